"""CodeCommit: repository listing, encryption, tags, seed code, and ``AWS::CodeCommit::Repository``.

moto creates, gets and deletes repositories only. This extension adds, as AWS documents them:
``ListRepositories`` (sorted, paginated), ``BatchGetRepositories``, the KMS key of a repository
(``kmsKeyId``: the given key, else the account's ``aws/codecommit`` key; checked to exist and
be enabled) with ``UpdateRepositoryEncryptionKey``, ``UpdateRepositoryDescription``,
``UpdateRepositoryName``, tags (Tag/Untag/ListTagsForResource and on create), and the initial
commit a template's ``Code`` property makes: the ZIP (which must exist in S3) becomes the
files of one commit by "AWS CodeCommit" ("Initial commit by AWS CodeCommit") on the declared
branch, with git's object ids (blob, tree and commit SHA-1s), read back with ``ListBranches``,
``GetBranch``, ``GetCommit``, ``GetFolder`` and ``GetFile``. ``AWS::CodeCommit::Repository`` is
handled.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.core.utils import iso_8601_datetime_with_milliseconds

from ._support import Handler, aws_managed_key, extend_init, file_under, handles, override


def _backend(account_id: str, region_name: str) -> Any:
    from moto.codecommit.models import codecommit_backends

    return codecommit_backends[account_id][region_name]


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _kms_key(account_id: str, region_name: str, key: str | None) -> str:
    from moto.kms.models import kms_backends

    kms = kms_backends[account_id][region_name]
    if not key:  # the AWS managed key of the service, created on first use
        return aws_managed_key(account_id, region_name, "codecommit",
                               "Default key that protects my CodeCommit repositories").id
    try:
        found = kms.describe_key(kms.any_id_to_key_id(key))
    except Exception:
        raise _error("EncryptionKeyNotFoundException", f"No encryption key was found for {key}") from None
    if not found.enabled:
        raise _error("EncryptionKeyDisabledException", f"The encryption key {key} is disabled")
    return found.id


def _repo(backend: Any, name: str) -> Any:
    from moto.codecommit.exceptions import RepositoryDoesNotExistException

    repo = backend.repositories.get(name)
    if repo is None:
        raise RepositoryDoesNotExistException(name)
    return repo


def _by_arn(backend: Any, arn: str) -> Any:
    for repo in backend.repositories.values():
        if repo.repository_metadata["Arn"] == arn:
            return repo
    raise _error("RepositoryDoesNotExistException", f"{arn} does not exist")


def _touch(repo: Any) -> None:
    repo.repository_metadata["lastModifiedDate"] = iso_8601_datetime_with_milliseconds()


def _install_backend() -> None:
    from moto.codecommit.models import CodeCommit, CodeCommitBackend

    def setup(backend: Any) -> None:
        backend.repository_tags = {}

    extend_init(CodeCommitBackend, setup)

    @override(CodeCommitBackend)
    def create_repository(self: Any, repository_name: str, repository_description: str,
                          kms_key_id: str | None = None, tags: dict[str, str] | None = None) -> dict[str, Any]:
        key = _kms_key(self.account_id, self.region_name, kms_key_id)
        metadata = create_repository.original(self, repository_name, repository_description)
        metadata["kmsKeyId"] = key
        if repository_description is None:
            metadata.pop("repositoryDescription", None)
        self.repository_tags[metadata["Arn"]] = dict(tags or {})
        return metadata

    @override(CodeCommitBackend)
    def delete_repository(self: Any, repository_name: str) -> str | None:
        repo = self.repositories.get(repository_name)
        if repo is not None:
            self.repository_tags.pop(repo.repository_metadata["Arn"], None)
        return delete_repository.original(self, repository_name)

    @override(CodeCommitBackend)
    def update_repository_name(self: Any, old: str, new: str) -> None:
        from moto.codecommit.exceptions import RepositoryNameExistsException
        from moto.utilities.utils import get_partition

        repo = _repo(self, old)
        if new in self.repositories:
            raise RepositoryNameExistsException(new)
        tags = self.repository_tags.pop(repo.repository_metadata["Arn"], {})
        meta = repo.repository_metadata
        meta["repositoryName"] = new
        meta["cloneUrlSsh"] = f"ssh://git-codecommit.{self.region_name}.amazonaws.com/v1/repos/{new}"
        meta["cloneUrlHttp"] = f"https://git-codecommit.{self.region_name}.amazonaws.com/v1/repos/{new}"
        meta["Arn"] = f"arn:{get_partition(self.region_name)}:codecommit:{self.region_name}:{self.account_id}:{new}"
        self.repository_tags[meta["Arn"]] = tags
        self.repositories[new] = self.repositories.pop(old)
        _touch(repo)

    @override(CodeCommit)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        __init__.original(self, *args, **kwargs)
        self.branches: dict[str, str] = {}
        self.commits: dict[str, Commit] = {}


# --------------------------------------------------------------------------- repository content

CODECOMMIT_AUTHOR = ("AWS CodeCommit", "noreply-awscodecommit@amazon.com")
INITIAL_MESSAGE = "Initial commit by AWS CodeCommit"


def _git_id(kind: str, data: bytes) -> str:
    """git's object id: SHA-1 of "<kind> <size>\\0<data>"."""
    return hashlib.sha1(f"{kind} {len(data)}".encode() + b"\0" + data).hexdigest()


class Commit:
    """One commit: its files (path -> (blob id, mode, content)) and the tree id of every folder."""

    def __init__(self, files: dict[str, tuple[bytes, str]], message: str, author: tuple[str, str],
                 parents: list[str] | None = None):
        import time

        self.files = {path: (_git_id("blob", data), mode, data) for path, (data, mode) in files.items()}
        self.trees: dict[str, str] = {}
        self.tree_id = self._tree("")
        self.message, self.parents = message, list(parents or [])
        self.person = {"name": author[0], "email": author[1], "date": f"{int(time.time())} +0000"}
        who = f"{author[0]} <{author[1]}> {self.person['date']}"
        body = f"tree {self.tree_id}\n" + "".join(f"parent {p}\n" for p in self.parents)
        body += f"author {who}\ncommitter {who}\n\n{message}\n"
        self.commit_id = _git_id("commit", body.encode())

    def entries(self, folder: str) -> tuple[dict[str, tuple[str, str]], list[str]]:
        """(files directly in ``folder``: name -> (blob id, mode), names of its sub-folders)."""
        prefix = f"{folder}/" if folder else ""
        files, subs = {}, set()
        for path, (blob, mode, _) in self.files.items():
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):]
            if "/" in rest:
                subs.add(rest.split("/", 1)[0])
            else:
                files[rest] = (blob, mode)
        return files, sorted(subs)

    def _tree(self, folder: str) -> str:
        files, subs = self.entries(folder)
        items = [(name, mode, blob) for name, (blob, mode) in files.items()]
        items += [(name, "40000", self._tree(f"{folder}/{name}" if folder else name)) for name in subs]
        # git orders entries by name, a folder's name compared as if it ended with "/"
        items.sort(key=lambda e: e[0] + ("/" if e[1] == "40000" else ""))
        data = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(oid) for name, mode, oid in items)
        tree_id = _git_id("tree", data)
        self.trees[folder] = tree_id
        return tree_id

    def describe(self) -> dict[str, Any]:
        return {"commitId": self.commit_id, "treeId": self.tree_id, "parents": self.parents,
                "message": self.message + "\n", "author": dict(self.person), "committer": dict(self.person),
                "additionalData": ""}


def _zip_files(data: bytes) -> dict[str, tuple[bytes, str]]:
    import io
    import zipfile

    files = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            executable = (info.external_attr >> 16) & 0o111
            files[info.filename.lstrip("/")] = (archive.read(info), "100755" if executable else "100644")
    return files


def _resolve_commit(repo: Any, specifier: str | None) -> Commit:
    """A commit from a branch name or a commit id (the default branch when none is given)."""
    spec = specifier or repo.repository_metadata.get("defaultBranch")
    commit_id = repo.branches.get(spec, spec)
    commit = repo.commits.get(commit_id)
    if commit is None:
        raise _error("CommitDoesNotExistException", f"Could not find commit {spec}")
    return commit


def _mode_name(mode: str) -> str:
    return {"100755": "EXECUTABLE", "120000": "SYMLINK"}.get(mode, "NORMAL")


def _install_api() -> None:
    import json

    from moto.codecommit.responses import CodeCommitResponse

    api: dict[str, Any] = {}

    def op(fn: Any) -> Any:
        api[fn.__name__] = fn
        return fn

    @op
    def create_repository(self: Any) -> str:
        from moto.codecommit.exceptions import InvalidRepositoryNameException
        from moto.codecommit.responses import _is_repository_name_valid

        if not _is_repository_name_valid(self._get_param("repositoryName")):
            raise InvalidRepositoryNameException()
        metadata = self.codecommit_backend.create_repository(
            self._get_param("repositoryName"), self._get_param("repositoryDescription"),
            self._get_param("kmsKeyId"), self._get_param("tags"))
        return json.dumps({"repositoryMetadata": metadata})

    @op
    def list_repositories(self: Any) -> str:
        sort_by = self._get_param("sortBy") or "repositoryName"
        order = self._get_param("order") or "ascending"
        if sort_by not in ("repositoryName", "lastModifiedDate"):
            raise _error("InvalidSortByException", "The specified sort by value is not valid.")
        if order not in ("ascending", "descending"):
            raise _error("InvalidOrderException", "The specified sort order is not valid.")
        repos = sorted((r.repository_metadata for r in self.codecommit_backend.repositories.values()),
                       key=lambda m: m[sort_by], reverse=order == "descending")
        start = int(self._get_param("nextToken") or 0)
        page = repos[start:start + 1000]
        out: dict[str, Any] = {"repositories": [{"repositoryName": m["repositoryName"], "repositoryId": m["repositoryId"]}
                                                for m in page]}
        if start + 1000 < len(repos):
            out["nextToken"] = str(start + 1000)
        return json.dumps(out)

    @op
    def batch_get_repositories(self: Any) -> str:
        names = self._get_param("repositoryNames") or []
        if len(names) > 25:
            raise _error("MaximumRepositoryNamesExceededException", "The maximum number of allowed repository names was exceeded. Currently, this number is 25.")
        backend = self.codecommit_backend
        found = [backend.repositories[n].repository_metadata for n in names if n in backend.repositories]
        missing = [n for n in names if n not in backend.repositories]
        return json.dumps({"repositories": found, "repositoriesNotFound": missing,
                           "errors": [{"repositoryId": "", "repositoryName": n, "errorCode": "RepositoryDoesNotExistException",
                                       "errorMessage": f"{n} does not exist"} for n in missing]})

    @op
    def update_repository_description(self: Any) -> str:
        repo = _repo(self.codecommit_backend, self._get_param("repositoryName"))
        repo.repository_metadata["repositoryDescription"] = self._get_param("repositoryDescription") or ""
        _touch(repo)
        return "{}"

    @op
    def update_repository_name(self: Any) -> str:
        self.codecommit_backend.update_repository_name(self._get_param("oldName"), self._get_param("newName"))
        return "{}"

    @op
    def update_repository_encryption_key(self: Any) -> str:
        backend = self.codecommit_backend
        repo = _repo(backend, self._get_param("repositoryName"))
        original = repo.repository_metadata.get("kmsKeyId")
        if not self._get_param("kmsKeyId"):
            raise _error("EncryptionKeyRequiredException", "A KMS encryption key ID is required but was not specified.")
        repo.repository_metadata["kmsKeyId"] = _kms_key(backend.account_id, backend.region_name,
                                                        self._get_param("kmsKeyId"))
        _touch(repo)
        return json.dumps({"repositoryId": repo.repository_metadata["repositoryId"],
                           "kmsKeyId": repo.repository_metadata["kmsKeyId"], "originalKmsKeyId": original})

    @op
    def tag_resource(self: Any) -> str:
        backend = self.codecommit_backend
        repo = _by_arn(backend, self._get_param("resourceArn"))
        backend.repository_tags.setdefault(repo.repository_metadata["Arn"], {}).update(self._get_param("tags") or {})
        return "{}"

    @op
    def untag_resource(self: Any) -> str:
        backend = self.codecommit_backend
        repo = _by_arn(backend, self._get_param("resourceArn"))
        for key in self._get_param("tagKeys") or []:
            backend.repository_tags.get(repo.repository_metadata["Arn"], {}).pop(key, None)
        return "{}"

    @op
    def list_tags_for_resource(self: Any) -> str:
        backend = self.codecommit_backend
        repo = _by_arn(backend, self._get_param("resourceArn"))
        return json.dumps({"tags": backend.repository_tags.get(repo.repository_metadata["Arn"], {})})

    @op
    def list_branches(self: Any) -> str:
        repo = _repo(self.codecommit_backend, self._get_param("repositoryName"))
        return json.dumps({"branches": sorted(repo.branches)})

    @op
    def get_branch(self: Any) -> str:
        repo = _repo(self.codecommit_backend, self._get_param("repositoryName"))
        name = self._get_param("branchName")
        if name not in repo.branches:
            raise _error("BranchDoesNotExistException", f"{name} does not exist")
        return json.dumps({"branch": {"branchName": name, "commitId": repo.branches[name]}})

    @op
    def get_commit(self: Any) -> str:
        repo = _repo(self.codecommit_backend, self._get_param("repositoryName"))
        commit = repo.commits.get(self._get_param("commitId") or "")
        if commit is None:
            raise _error("CommitIdDoesNotExistException", f"Could not find commit {self._get_param('commitId')}")
        return json.dumps({"commit": commit.describe()})

    @op
    def get_folder(self: Any) -> str:
        repo = _repo(self.codecommit_backend, self._get_param("repositoryName"))
        commit = _resolve_commit(repo, self._get_param("commitSpecifier"))
        folder = (self._get_param("folderPath") or "/").strip("/")
        if folder not in commit.trees:
            raise _error("FolderDoesNotExistException", f"Could not find path {self._get_param('folderPath')}")
        files, subs = commit.entries(folder)

        def absolute(name: str) -> str:
            return f"{folder}/{name}" if folder else name

        return json.dumps({
            "commitId": commit.commit_id, "folderPath": f"/{folder}" if folder else "/", "treeId": commit.trees[folder],
            "subFolders": [{"treeId": commit.trees[absolute(n)], "absolutePath": absolute(n), "relativePath": n}
                           for n in subs],
            "files": [{"blobId": blob, "absolutePath": absolute(n), "relativePath": n, "fileMode": _mode_name(mode)}
                      for n, (blob, mode) in sorted(files.items())],
            "symbolicLinks": [], "subModules": []})

    @op
    def get_file(self: Any) -> str:
        import base64

        repo = _repo(self.codecommit_backend, self._get_param("repositoryName"))
        commit = _resolve_commit(repo, self._get_param("commitSpecifier"))
        path = (self._get_param("filePath") or "").strip("/")
        if path not in commit.files:
            raise _error("FileDoesNotExistException", f"Could not find file {self._get_param('filePath')}")
        blob, mode, data = commit.files[path]
        return json.dumps({"commitId": commit.commit_id, "blobId": blob, "filePath": path,
                           "fileMode": _mode_name(mode), "fileSize": len(data),
                           "fileContent": base64.b64encode(data).decode()})

    for name, fn in api.items():
        override(CodeCommitResponse, name)(fn)


def _seed(account_id: str, region_name: str, repo: Any, code: dict[str, Any]) -> None:
    """The initial commit of a template's Code: the ZIP must exist; its branch is created."""
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    location = code["S3"]
    try:
        obj = s3_backends[account_id][get_partition(region_name)].get_object(
            location["Bucket"], location["Key"], version_id=location.get("ObjectVersion"))
    except Exception:
        obj = None
    if obj is None:
        raise _error("InvalidParameterException",
                     f"The S3 object s3://{location['Bucket']}/{location['Key']} of the repository code does not exist")
    import zipfile

    try:
        files = _zip_files(obj.value)
    except zipfile.BadZipFile:
        raise _error("InvalidParameterException", "The repository code must be a ZIP archive") from None
    commit = Commit(files, INITIAL_MESSAGE, CODECOMMIT_AUTHOR)
    branch = code.get("BranchName") or "main"
    repo.commits[commit.commit_id] = commit
    repo.branches[branch] = commit.commit_id
    repo.repository_metadata["defaultBranch"] = branch


class RepositoryHandler(Handler, CloudFormationModel):
    TYPE = "AWS::CodeCommit::Repository"
    ATTRIBUTES = ("Arn", "CloneUrlHttp", "CloneUrlSsh", "Name", "RepositoryId")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        if p.get("Triggers"):
            raise _error("InvalidParameterException",
                         f"Resource {self.logical_id}: the embedded emulator does not implement repository Triggers")
        backend = _backend(self.account_id, self.region_name)
        tags = {t["Key"]: t["Value"] for t in self.tags(kwargs)}
        metadata = backend.create_repository(p["RepositoryName"], p.get("RepositoryDescription"), p.get("KmsKeyId"), tags)
        try:
            if p.get("Code"):
                _seed(self.account_id, self.region_name, backend.repositories[p["RepositoryName"]], p["Code"])
        except Exception:
            backend.delete_repository(p["RepositoryName"])
            raise
        self.physical_id = metadata["repositoryId"]
        self._bind()

    def _bind(self) -> None:
        backend = _backend(self.account_id, self.region_name)
        repo_id = self.physical_id

        def meta() -> dict[str, Any]:
            return next(r.repository_metadata for r in backend.repositories.values()
                        if r.repository_metadata["repositoryId"] == repo_id)

        self.attributes = {"Arn": lambda: meta()["Arn"], "CloneUrlHttp": lambda: meta()["cloneUrlHttp"],
                           "CloneUrlSsh": lambda: meta()["cloneUrlSsh"], "Name": lambda: meta()["repositoryName"],
                           "RepositoryId": repo_id, "KmsKeyId": lambda: meta()["kmsKeyId"]}

    def update(self, properties: dict[str, Any]) -> None:
        if properties.get("Triggers"):
            raise _error("InvalidParameterException", "the embedded emulator does not implement repository Triggers")
        backend = _backend(self.account_id, self.region_name)
        old_name, new_name = self.properties["RepositoryName"], properties["RepositoryName"]
        if old_name != new_name:
            backend.update_repository_name(old_name, new_name)
        repo = backend.repositories[new_name]
        meta = repo.repository_metadata
        meta["repositoryDescription"] = properties.get("RepositoryDescription", "")
        meta["kmsKeyId"] = _kms_key(self.account_id, self.region_name, properties.get("KmsKeyId"))
        current = [{"Key": k, "Value": v} for k, v in backend.repository_tags.get(meta["Arn"], {}).items()]
        backend.repository_tags[meta["Arn"]] = {t["Key"]: t["Value"] for t in self.retagged(current, properties)}
        _touch(repo)

    def remove(self) -> None:
        backend = _backend(self.account_id, self.region_name)
        name = next((n for n, r in backend.repositories.items()
                     if r.repository_metadata["repositoryId"] == self.physical_id), None)
        if name is not None:
            backend.delete_repository(name)


def install() -> None:
    handles(RepositoryHandler.TYPE)
    _install_backend()
    _install_api()
    file_under("codecommit", RepositoryHandler)
