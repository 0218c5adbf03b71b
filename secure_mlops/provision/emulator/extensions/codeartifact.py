"""CodeArtifact: the service moto does not have, for the package mirror of internet-free
environments (control ART-01), and its CloudFormation types.

Implemented as AWS documents it: domains (Create/Describe/List/Delete; encrypted with the
given KMS key, or the account's ``aws/codeartifact`` key; a domain with repositories cannot be
deleted), repositories (Create/Describe/List/ListInDomain/Update/Delete, upstreams in the same
domain), external connections (Associate/Disassociate; one per repository, only the public
ones AWS offers), domain and repository permissions policies (Put/Get/Delete with revisions),
``GetRepositoryEndpoint`` and tags. Packages themselves are not stored (no package operations).

``AWS::CodeArtifact::Domain`` and ``AWS::CodeArtifact::Repository`` are handled.

moto has no CodeArtifact backend, so this module registers one: its BackendDict (reset with
the others), its URL pattern, and the module moto's server looks up for the service.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.common_models import BaseModel, CloudFormationModel
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import utcnow

from ._support import Handler, aws_managed_key, file_under, handles, new_id

SERVICE = "codeartifact"
#: external connections AWS offers (name -> package format)
EXTERNAL_CONNECTIONS = {
    "public:pypi": "pypi", "public:npmjs": "npm", "public:maven-central": "maven",
    "public:maven-googleandroid": "maven", "public:maven-gradleplugins": "maven",
    "public:maven-commonsware": "maven", "public:maven-clojars": "maven", "public:nuget-org": "nuget",
    "public:crates-io": "cargo", "public:ruby-gems-org": "ruby",
}
DOMAIN_NAME = re.compile(r"^[a-z][a-z0-9\-]{0,48}[a-z0-9]$")
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$")


class CodeArtifactError(ServiceException):
    pass


class ResourceNotFound(CodeArtifactError):
    code = "ResourceNotFoundException"


class Conflict(CodeArtifactError):
    code = "ConflictException"


class Validation(CodeArtifactError):
    code = "ValidationException"


class QuotaExceeded(CodeArtifactError):
    code = "ServiceQuotaExceededException"


class Policy(BaseModel):
    def __init__(self, resource_arn: str, document: str):
        self.resource_arn = resource_arn
        self.document = document
        self.revision = new_id("", 44, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    def describe(self) -> dict[str, Any]:
        return {"resourceArn": self.resource_arn, "revision": self.revision, "document": self.document}


class Domain(BaseModel):
    def __init__(self, backend: "CodeArtifactBackend", name: str, encryption_key: str):
        self.name = name
        self.owner = backend.account_id
        self.arn = f"arn:aws:codeartifact:{backend.region_name}:{backend.account_id}:domain/{name}"
        self.encryption_key = encryption_key
        self.created = utcnow()
        self.policy: Policy | None = None
        self.s3_bucket_arn = f"arn:aws:s3:::assets-{backend.account_id}-{backend.region_name}"
        self.backend = backend

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "owner": self.owner, "arn": self.arn, "status": "Active",
                "createdTime": self.created, "encryptionKey": self.encryption_key,
                "repositoryCount": sum(1 for r in self.backend.repositories.values() if r.domain == self.name),
                "assetSizeBytes": 0, "s3BucketArn": self.s3_bucket_arn}

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.describe().items()
                if k in ("name", "owner", "arn", "status", "createdTime", "encryptionKey")}


class Repository(BaseModel):
    def __init__(self, backend: "CodeArtifactBackend", domain: str, name: str, description: str | None,
                 upstreams: list[str]):
        self.domain = domain
        self.name = name
        self.owner = backend.account_id
        self.arn = f"arn:aws:codeartifact:{backend.region_name}:{backend.account_id}:repository/{domain}/{name}"
        self.description = description
        self.upstreams = upstreams
        self.external_connections: list[str] = []
        self.created = utcnow()
        self.policy: Policy | None = None

    def describe(self) -> dict[str, Any]:
        out = {"name": self.name, "administratorAccount": self.owner, "domainName": self.domain,
               "domainOwner": self.owner, "arn": self.arn, "description": self.description,
               "upstreams": [{"repositoryName": u} for u in self.upstreams],
               "externalConnections": [{"externalConnectionName": c, "packageFormat": EXTERNAL_CONNECTIONS[c],
                                        "status": "Available"} for c in self.external_connections],
               "createdTime": self.created}
        return {k: v for k, v in out.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.describe().items()
                if k in ("name", "administratorAccount", "domainName", "domainOwner", "arn", "description",
                         "createdTime")}


class CodeArtifactBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.domains: dict[str, Domain] = {}
        self.repositories: dict[tuple[str, str], Repository] = {}
        self.tags: dict[str, dict[str, str]] = {}

    @property
    def _url_module(self) -> Any:  # the URL table lives in this module
        return sys.modules[__name__]

    # -- domains
    def _kms_key(self, key: str | None) -> str:
        from moto.kms.models import kms_backends

        kms = kms_backends[self.account_id][self.region_name]
        if not key:  # the AWS managed key of the service, created on first use as on AWS
            return aws_managed_key(self.account_id, self.region_name, "codeartifact",
                                   "Default key that protects my CodeArtifact domains when no other key is defined").arn
        if not key.startswith("arn:"):
            raise Validation("encryptionKey must be the ARN of a KMS key")
        try:
            found = kms.describe_key(kms.any_id_to_key_id(key))
        except Exception:
            raise Validation(f"The KMS key {key} does not exist or CodeArtifact cannot use it") from None
        if not found.enabled:
            raise Validation(f"The KMS key {key} is disabled")
        return found.arn

    def domain(self, name: str, owner: str | None = None) -> Domain:
        if owner not in (None, self.account_id) or name not in self.domains:
            raise ResourceNotFound(f"Domain not found: {name}")
        return self.domains[name]

    def create_domain(self, name: str, encryption_key: str | None, tags: list[dict[str, str]] | None) -> Domain:
        if not name or not DOMAIN_NAME.match(name):
            raise Validation(f"Invalid domain name: {name}")
        if name in self.domains:
            raise Conflict(f"Domain {name} already exists")
        domain = Domain(self, name, self._kms_key(encryption_key))
        self.domains[name] = domain
        self.tag(domain.arn, tags)
        return domain

    def delete_domain(self, name: str, owner: str | None = None) -> Domain:
        domain = self.domain(name, owner)
        if any(r.domain == name for r in self.repositories.values()):
            raise Conflict(f"Domain {name} contains repositories; delete them first")
        del self.domains[name]
        self.tags.pop(domain.arn, None)
        return domain

    # -- repositories
    def repository(self, domain: str, name: str, owner: str | None = None) -> Repository:
        self.domain(domain, owner)
        repo = self.repositories.get((domain, name))
        if repo is None:
            raise ResourceNotFound(f"Repository not found: {name} in domain {domain}")
        return repo

    def _upstreams(self, domain: str, name: str, upstreams: list[dict[str, str]] | None) -> list[str]:
        names = [u["repositoryName"] for u in upstreams or []]
        for upstream in names:
            if upstream == name:
                raise Validation("A repository cannot be its own upstream")
            self.repository(domain, upstream)
        if len(names) > 10:
            raise Validation("A repository can have at most 10 upstream repositories")
        return names

    def create_repository(self, domain: str, name: str, description: str | None, upstreams: list | None,
                          tags: list | None, owner: str | None = None) -> Repository:
        self.domain(domain, owner)
        if not name or not REPOSITORY_NAME.match(name):
            raise Validation(f"Invalid repository name: {name}")
        if (domain, name) in self.repositories:
            raise Conflict(f"Repository {name} already exists in domain {domain}")
        repo = Repository(self, domain, name, description, self._upstreams(domain, name, upstreams))
        self.repositories[(domain, name)] = repo
        self.tag(repo.arn, tags)
        return repo

    def update_repository(self, domain: str, name: str, description: str | None, upstreams: list | None,
                          owner: str | None = None) -> Repository:
        repo = self.repository(domain, name, owner)
        if description is not None:
            repo.description = description
        if upstreams is not None:
            repo.upstreams = self._upstreams(domain, name, upstreams)
        return repo

    def delete_repository(self, domain: str, name: str, owner: str | None = None) -> Repository:
        repo = self.repository(domain, name, owner)
        if any(name in r.upstreams for r in self.repositories.values() if r.domain == domain):
            raise Conflict(f"Repository {name} is an upstream of another repository")
        del self.repositories[(domain, name)]
        self.tags.pop(repo.arn, None)
        return repo

    def associate_external_connection(self, domain: str, name: str, connection: str,
                                      owner: str | None = None) -> Repository:
        repo = self.repository(domain, name, owner)
        if connection not in EXTERNAL_CONNECTIONS:
            raise Validation(f"Invalid external connection: {connection}")
        if repo.external_connections:
            raise QuotaExceeded("A repository can have only one external connection")
        repo.external_connections.append(connection)
        return repo

    def disassociate_external_connection(self, domain: str, name: str, connection: str,
                                         owner: str | None = None) -> Repository:
        repo = self.repository(domain, name, owner)
        if connection not in repo.external_connections:
            raise ResourceNotFound(f"External connection {connection} not found on repository {name}")
        repo.external_connections.remove(connection)
        return repo

    # -- policies and tags
    def put_policy(self, target: Domain | Repository, document: str, revision: str | None) -> Policy:
        if target.policy is not None and revision is not None and revision != target.policy.revision:
            raise Conflict("The policy revision does not match the current one")
        try:
            doc = json.loads(document)
        except (TypeError, ValueError):
            doc = None
        if not isinstance(doc, dict) or not doc.get("Statement"):
            raise Validation("policyDocument must be a JSON policy document")
        target.policy = Policy(target.arn, document)
        return target.policy

    def get_policy(self, target: Domain | Repository) -> Policy:
        if target.policy is None:
            raise ResourceNotFound(f"No permissions policy for {target.arn}")
        return target.policy

    def delete_policy(self, target: Domain | Repository, revision: str | None) -> Policy:
        policy = self.get_policy(target)
        if revision is not None and revision != policy.revision:
            raise Conflict("The policy revision does not match the current one")
        target.policy = None
        return policy

    def _arn_exists(self, arn: str) -> None:
        known = {d.arn for d in self.domains.values()} | {r.arn for r in self.repositories.values()}
        if arn not in known:
            raise ResourceNotFound(f"Resource not found: {arn}")

    def tag(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        self.tags.setdefault(arn, {}).update({t["key"]: t["value"] for t in tags or []})

    def untag(self, arn: str, keys: list[str]) -> None:
        self._arn_exists(arn)
        for key in keys:
            self.tags.get(arn, {}).pop(key, None)

    def list_tags(self, arn: str) -> list[dict[str, str]]:
        self._arn_exists(arn)
        return [{"key": k, "value": v} for k, v in self.tags.get(arn, {}).items()]


codeartifact_backends = BackendDict(CodeArtifactBackend, SERVICE)


def _page(items: list, token: str | None, size: Any) -> tuple[list, str | None]:
    start, size = int(token or 0), int(size or 100)
    return items[start:start + size], (str(start + size) if start + size < len(items) else None)


class CodeArtifactResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name=SERVICE)
        self.automated_parameter_parsing = True

    @property
    def backend(self) -> CodeArtifactBackend:
        return codeartifact_backends[self.current_account][self.region]

    def _domain(self) -> Domain:
        return self.backend.domain(self._get_param("domain"), self._get_param("domainOwner"))

    def _repository(self) -> Repository:
        return self.backend.repository(self._get_param("domain"), self._get_param("repository"),
                                       self._get_param("domainOwner"))

    def create_domain(self) -> ActionResult:
        domain = self.backend.create_domain(self._get_param("domain"), self._get_param("encryptionKey"),
                                            self._get_param("tags"))
        return ActionResult({"domain": domain.describe()})

    def describe_domain(self) -> ActionResult:
        return ActionResult({"domain": self._domain().describe()})

    def delete_domain(self) -> ActionResult:
        domain = self.backend.delete_domain(self._get_param("domain"), self._get_param("domainOwner"))
        return ActionResult({"domain": domain.describe()})

    def list_domains(self) -> ActionResult:
        items, token = _page([d.summary() for d in self.backend.domains.values()], self._get_param("nextToken"),
                             self._get_param("maxResults"))
        return ActionResult({"domains": items, "nextToken": token})

    def create_repository(self) -> ActionResult:
        repo = self.backend.create_repository(
            self._get_param("domain"), self._get_param("repository"), self._get_param("description"),
            self._get_param("upstreams"), self._get_param("tags"), self._get_param("domainOwner"))
        return ActionResult({"repository": repo.describe()})

    def describe_repository(self) -> ActionResult:
        return ActionResult({"repository": self._repository().describe()})

    def update_repository(self) -> ActionResult:
        repo = self.backend.update_repository(self._get_param("domain"), self._get_param("repository"),
                                              self._get_param("description"), self._get_param("upstreams"),
                                              self._get_param("domainOwner"))
        return ActionResult({"repository": repo.describe()})

    def delete_repository(self) -> ActionResult:
        repo = self.backend.delete_repository(self._get_param("domain"), self._get_param("repository"),
                                              self._get_param("domainOwner"))
        return ActionResult({"repository": repo.describe()})

    def list_repositories(self) -> ActionResult:
        prefix = self._get_param("repositoryPrefix") or ""
        repos = [r.summary() for r in self.backend.repositories.values() if r.name.startswith(prefix)]
        items, token = _page(repos, self._get_param("nextToken"), self._get_param("maxResults"))
        return ActionResult({"repositories": items, "nextToken": token})

    def list_repositories_in_domain(self) -> ActionResult:
        domain = self._domain()
        prefix = self._get_param("repositoryPrefix") or ""
        repos = [r.summary() for r in self.backend.repositories.values()
                 if r.domain == domain.name and r.name.startswith(prefix)]
        items, token = _page(repos, self._get_param("nextToken"), self._get_param("maxResults"))
        return ActionResult({"repositories": items, "nextToken": token})

    def associate_external_connection(self) -> ActionResult:
        repo = self.backend.associate_external_connection(
            self._get_param("domain"), self._get_param("repository"), self._get_param("externalConnection"),
            self._get_param("domainOwner"))
        return ActionResult({"repository": repo.describe()})

    def disassociate_external_connection(self) -> ActionResult:
        repo = self.backend.disassociate_external_connection(
            self._get_param("domain"), self._get_param("repository"), self._get_param("externalConnection"),
            self._get_param("domainOwner"))
        return ActionResult({"repository": repo.describe()})

    def put_domain_permissions_policy(self) -> ActionResult:
        policy = self.backend.put_policy(self._domain(), self._get_param("policyDocument"),
                                         self._get_param("policyRevision"))
        return ActionResult({"policy": policy.describe()})

    def get_domain_permissions_policy(self) -> ActionResult:
        return ActionResult({"policy": self.backend.get_policy(self._domain()).describe()})

    def delete_domain_permissions_policy(self) -> ActionResult:
        policy = self.backend.delete_policy(self._domain(), self._get_param("policyRevision"))
        return ActionResult({"policy": policy.describe()})

    def put_repository_permissions_policy(self) -> ActionResult:
        policy = self.backend.put_policy(self._repository(), self._get_param("policyDocument"),
                                         self._get_param("policyRevision"))
        return ActionResult({"policy": policy.describe()})

    def get_repository_permissions_policy(self) -> ActionResult:
        return ActionResult({"policy": self.backend.get_policy(self._repository()).describe()})

    def delete_repository_permissions_policy(self) -> ActionResult:
        policy = self.backend.delete_policy(self._repository(), self._get_param("policyRevision"))
        return ActionResult({"policy": policy.describe()})

    def get_repository_endpoint(self) -> ActionResult:
        repo = self._repository()
        fmt = self._get_param("format")
        if fmt not in ("npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"):
            raise Validation(f"Invalid format: {fmt}")
        url = (f"https://{repo.domain}-{repo.owner}.d.codeartifact.{self.region}.amazonaws.com/"
               f"{fmt}/{repo.name}/")
        return ActionResult({"repositoryEndpoint": url})

    def tag_resource(self, ) -> ActionResult:
        arn = self._get_param("resourceArn")
        self.backend._arn_exists(arn)
        self.backend.tag(arn, self._get_param("tags"))
        return ActionResult({})

    def untag_resource(self) -> ActionResult:
        self.backend.untag(self._get_param("resourceArn"), self._get_param("tagKeys") or [])
        return ActionResult({})

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": self.backend.list_tags(self._get_param("resourceArn"))})


#: what moto's server reads to route requests to this backend
url_bases = [r"https?://codeartifact\.(.+)\.amazonaws\.com"]
url_paths = {"{0}/v1/(?P<path>.*)$": CodeArtifactResponse.dispatch}


# --------------------------------------------------------------------------- CloudFormation


def _cfn_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"key": t["Key"], "value": t["Value"]} for t in tags]


class DomainHandler(Handler, CloudFormationModel):
    TYPE = "AWS::CodeArtifact::Domain"
    ATTRIBUTES = ("Arn", "EncryptionKey", "Name", "Owner")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = codeartifact_backends[self.account_id][self.region_name]
        domain = backend.create_domain(p["DomainName"], p.get("EncryptionKey"), _cfn_tags(self.tags(kwargs)))
        try:
            if p.get("PermissionsPolicyDocument") is not None:
                backend.put_policy(domain, json.dumps(p["PermissionsPolicyDocument"]), None)
        except Exception:
            backend.delete_domain(domain.name)
            raise
        self.physical_id = domain.arn
        self.attributes = {"Arn": domain.arn, "EncryptionKey": domain.encryption_key, "Name": domain.name,
                           "Owner": domain.owner, "DomainName": domain.name}

    def update(self, properties: dict[str, Any]) -> None:
        backend = codeartifact_backends[self.account_id][self.region_name]
        domain = backend.domain(properties["DomainName"])
        if properties.get("PermissionsPolicyDocument") is not None:
            backend.put_policy(domain, json.dumps(properties["PermissionsPolicyDocument"]), None)
        elif domain.policy is not None:
            backend.delete_policy(domain, None)
        _retag(self, backend, domain.arn, properties)

    def remove(self) -> None:
        codeartifact_backends[self.account_id][self.region_name].delete_domain(self.properties["DomainName"])


class RepositoryHandler(Handler, CloudFormationModel):
    TYPE = "AWS::CodeArtifact::Repository"
    ATTRIBUTES = ("Arn", "DomainName", "DomainOwner", "Name")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = codeartifact_backends[self.account_id][self.region_name]
        repo = backend.create_repository(p["DomainName"], p["RepositoryName"], p.get("Description"),
                                         [{"repositoryName": u} for u in p.get("Upstreams") or []],
                                         _cfn_tags(self.tags(kwargs)), p.get("DomainOwner"))
        try:
            for connection in p.get("ExternalConnections") or []:
                backend.associate_external_connection(repo.domain, repo.name, connection)
            if p.get("PermissionsPolicyDocument") is not None:
                backend.put_policy(repo, json.dumps(p["PermissionsPolicyDocument"]), None)
        except Exception:
            backend.delete_repository(repo.domain, repo.name)
            raise
        self.physical_id = repo.arn
        self.attributes = {"Arn": repo.arn, "DomainName": repo.domain, "DomainOwner": repo.owner, "Name": repo.name}

    def update(self, properties: dict[str, Any]) -> None:
        p = properties
        backend = codeartifact_backends[self.account_id][self.region_name]
        repo = backend.update_repository(p["DomainName"], p["RepositoryName"], p.get("Description", ""),
                                         [{"repositoryName": u} for u in p.get("Upstreams") or []])
        wanted = list(p.get("ExternalConnections") or [])
        for connection in list(repo.external_connections):
            if connection not in wanted:
                backend.disassociate_external_connection(repo.domain, repo.name, connection)
        for connection in wanted:
            if connection not in repo.external_connections:
                backend.associate_external_connection(repo.domain, repo.name, connection)
        if p.get("PermissionsPolicyDocument") is not None:
            backend.put_policy(repo, json.dumps(p["PermissionsPolicyDocument"]), None)
        elif repo.policy is not None:
            backend.delete_policy(repo, None)
        _retag(self, backend, repo.arn, properties)

    def remove(self) -> None:
        p = self.properties
        codeartifact_backends[self.account_id][self.region_name].delete_repository(p["DomainName"], p["RepositoryName"])


def _retag(handler: Handler, backend: CodeArtifactBackend, arn: str, properties: dict[str, Any]) -> None:
    current = [{"Key": k, "Value": v} for k, v in backend.tags.get(arn, {}).items()]
    backend.tags[arn] = {t["Key"]: t["Value"] for t in handler.retagged(current, properties)}


def install() -> None:
    import moto.backend_index as backend_index
    import moto.backends as backends

    pattern = re.compile(r"https?://codeartifact\.(.+)\.amazonaws\.com")
    if not any(name == SERVICE for name, _ in backend_index.backend_url_patterns):
        backend_index.backend_url_patterns.append((SERVICE, pattern))
    original = backends.get_backend

    def get_backend(name: str) -> Any:
        return codeartifact_backends if name == SERVICE else original(name)

    backends.get_backend = get_backend
    handles(DomainHandler.TYPE, RepositoryHandler.TYPE)
    file_under(SERVICE, Domain, Repository, Policy, DomainHandler, RepositoryHandler)
