"""CodeBuild: projects as AWS keeps them, and ``AWS::CodeBuild::Project`` (moto has no handler).

moto stores every project with the ``aws/s3`` key whatever key was given, requires a source
and artifacts location even for CODEPIPELINE projects (AWS does not), and cannot update a
project. This extension keeps the project's KMS key (checked to exist and be enabled), checks
projects as CodeBuild does (source and artifact types, locations only where AWS needs them,
a service role of the account, a VPC configuration whose subnets and security groups exist in
its VPC), adds ``UpdateProject`` and handles ``AWS::CodeBuild::Project`` (CloudFormation's
PascalCase properties become the API's members; updates in place; Ref is the name).
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.core.utils import unix_time

from ._support import Handler, file_under, handles, override, refuse_unimplemented

SOURCE_TYPES = ("BITBUCKET", "CODECOMMIT", "CODEPIPELINE", "GITHUB", "GITHUB_ENTERPRISE", "GITLAB",
                "GITLAB_SELF_MANAGED", "NO_SOURCE", "S3")
ARTIFACT_TYPES = ("CODEPIPELINE", "S3", "NO_ARTIFACTS")
#: CloudFormation property names whose API member is not the same name in camelCase
RENAMES = {"BuildSpec": "buildspec", "TimeoutInMinutes": "timeoutInMinutes", "VpcConfig": "vpcConfig"}


def _backend(account_id: str, region_name: str) -> Any:
    from moto.codebuild.models import codebuild_backends

    return codebuild_backends[account_id][region_name]


def _invalid(message: str) -> Exception:
    from moto.codebuild.exceptions import InvalidInputException

    return InvalidInputException(message)


def api_shape(value: Any, key: str = "") -> Any:
    """CloudFormation's PascalCase property tree as the CodeBuild API's camelCase members."""
    if isinstance(value, dict):
        return {RENAMES.get(k, k[:1].lower() + k[1:]): api_shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [api_shape(v, key) for v in value]
    return value


def check_project(account_id: str, region_name: str, source: dict, artifacts: dict, service_role: str,
                  vpc_config: dict | None, encryption_key: str | None) -> str | None:
    """Raise as CodeBuild does for an invalid project; return the KMS key ARN (or None)."""
    if (source or {}).get("type") not in SOURCE_TYPES:
        raise _invalid("Invalid type provided: Project source type")
    if source["type"] not in ("CODEPIPELINE", "NO_SOURCE") and not source.get("location"):
        raise _invalid("Project source location is required")
    if (artifacts or {}).get("type") not in ARTIFACT_TYPES:
        raise _invalid("Invalid type provided: Artifact type")
    if artifacts["type"] == "S3" and not artifacts.get("location"):
        raise _invalid("Project artifacts location is required")
    if artifacts["type"] == "NO_ARTIFACTS" and artifacts.get("location"):
        raise _invalid("Invalid artifacts: artifact type NO_ARTIFACTS should have null location")
    if not (service_role or "").startswith(f"arn:aws:iam::{account_id}:role/"):
        raise _invalid("Invalid service role: Service role account ID does not match caller's account")
    if vpc_config:
        from .sagemaker_studio import check_network

        if not (vpc_config.get("vpcId") and vpc_config.get("subnets") and vpc_config.get("securityGroupIds")):
            raise _invalid("Invalid vpc config: vpcId, subnets and securityGroupIds are required")
        try:
            check_network(account_id, region_name, vpc_config["vpcId"], vpc_config["subnets"],
                          vpc_config["securityGroupIds"])
        except Exception as exc:
            raise _invalid(f"Invalid vpc config: {getattr(exc, 'message', exc)}") from None
    if not encryption_key:
        return None
    from moto.kms.models import kms_backends

    kms = kms_backends[account_id][region_name]
    try:
        key = kms.describe_key(kms.any_id_to_key_id(encryption_key))
    except Exception:
        raise _invalid(f"Invalid encryption key: {encryption_key} does not exist") from None
    if not key.enabled:
        raise _invalid(f"Invalid encryption key: {encryption_key} is disabled")
    return encryption_key if encryption_key.startswith("arn:") else key.arn


def _install() -> None:
    from moto.codebuild.models import CodeBuildBackend
    from moto.codebuild.responses import CodeBuildResponse
    from moto.core.responses import ActionResult

    @override(CodeBuildBackend)
    def create_project(self: Any, project_name: str, *args: Any, encryption_key: str | None = None,
                       **kwargs: Any) -> dict[str, Any]:
        metadata = create_project.original(self, project_name, *args, **kwargs)
        if encryption_key:
            metadata["encryptionKey"] = encryption_key
        return metadata

    @override(CodeBuildBackend)
    def update_project(self: Any, name: str, changes: dict[str, Any]) -> dict[str, Any]:
        from moto.codebuild.exceptions import ResourceNotFoundException

        project = self.codebuild_projects.get(name)
        if project is None:
            raise ResourceNotFoundException(f"Project cannot be found: arn:aws:codebuild:{self.region_name}:"
                                            f"{self.account_id}:project/{name}")
        meta = project.project_metadata
        key = check_project(self.account_id, self.region_name, changes.get("source", meta["source"]),
                            changes.get("artifacts", meta["artifacts"]),
                            changes.get("serviceRole", meta["serviceRole"]),
                            changes.get("vpcConfig", meta.get("vpcConfig")),
                            changes.get("encryptionKey"))
        for member in ("description", "source", "artifacts", "environment", "serviceRole", "timeoutInMinutes",
                       "queuedTimeoutInMinutes", "logsConfig", "vpcConfig", "cache", "sourceVersion"):
            if member in changes:
                if changes[member] is None:
                    meta.pop(member, None)
                else:
                    meta[member] = changes[member]
        if key:
            meta["encryptionKey"] = key
        if "tags" in changes:
            project.tags = meta["tags"] = changes["tags"]
        meta["lastModifiedDate"] = unix_time()
        return meta

    @override(CodeBuildResponse, "create_project")
    def create_project_api(self: Any) -> Any:
        from moto.codebuild.exceptions import ResourceAlreadyExistsException

        name = self._get_param("name")
        key = check_project(self.current_account, self.region, self._get_param("source"),
                            self._get_param("artifacts"), self._get_param("serviceRole"),
                            self._get_param("vpcConfig"), self._get_param("encryptionKey"))
        if name in self.codebuild_backend.codebuild_projects:
            raise ResourceAlreadyExistsException(
                f"Project already exists: arn:aws:codebuild:{self.region}:{self.current_account}:project/{name}")
        metadata = self.codebuild_backend.create_project(
            project_name=name, description=self._get_param("description"), project_source=self._get_param("source"),
            artifacts=self._get_param("artifacts"), environment=self._get_param("environment"),
            service_role=self._get_param("serviceRole"), tags=self._get_param("tags"), cache=self._get_param("cache"),
            timeout=self._get_param("timeoutInMinutes"), queued_timeout=self._get_param("queuedTimeoutInMinutes"),
            source_version=self._get_param("sourceVersion"), logs_config=self._get_param("logsConfig"),
            vpc_config=self._get_param("vpcConfig"), encryption_key=key)
        return ActionResult({"project": metadata})

    def update_project_api(self: Any) -> Any:
        members = ("description", "source", "artifacts", "environment", "serviceRole", "timeoutInMinutes",
                   "queuedTimeoutInMinutes", "encryptionKey", "tags", "vpcConfig", "logsConfig", "cache",
                   "sourceVersion")
        changes = {m: self._get_param(m) for m in members if self._get_param(m) is not None}
        return ActionResult({"project": self.codebuild_backend.update_project(self._get_param("name"), changes)})

    override(CodeBuildResponse, "update_project")(update_project_api)


class ProjectHandler(Handler, CloudFormationModel):
    TYPE = "AWS::CodeBuild::Project"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("Arn",)
    SUPPORTED = {"Name", "Description", "ServiceRole", "EncryptionKey", "Artifacts", "Source", "Environment",
                 "VpcConfig", "TimeoutInMinutes", "QueuedTimeoutInMinutes", "Tags", "LogsConfig", "Cache",
                 "SourceVersion"}

    def _members(self, p: dict[str, Any]) -> dict[str, Any]:
        refuse_unimplemented(self.TYPE, self.logical_id, p, self.SUPPORTED, error=_invalid)
        return api_shape({k: v for k, v in p.items() if k not in ("Name", "Tags")})

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        m = self._members(p)
        backend = _backend(self.account_id, self.region_name)
        name = p.get("Name") or resource_name[:150]
        key = check_project(self.account_id, self.region_name, m.get("source"), m.get("artifacts"),
                            m.get("serviceRole"), m.get("vpcConfig"), m.get("encryptionKey"))
        if name in backend.codebuild_projects:
            from moto.codebuild.exceptions import ResourceAlreadyExistsException

            raise ResourceAlreadyExistsException(f"Project already exists: {backend.codebuild_projects[name].arn}")
        tags = [{"key": t["Key"], "value": t["Value"]} for t in self.tags(kwargs)]
        metadata = backend.create_project(
            project_name=name, description=m.get("description"), project_source=m["source"],
            artifacts=m["artifacts"], environment=m["environment"], service_role=m["serviceRole"], tags=tags,
            cache=m.get("cache"), timeout=m.get("timeoutInMinutes"), queued_timeout=m.get("queuedTimeoutInMinutes"),
            source_version=m.get("sourceVersion"), logs_config=m.get("logsConfig"), vpc_config=m.get("vpcConfig"),
            encryption_key=key)
        self.physical_id = name
        self.attributes = {"Arn": metadata["arn"]}

    def update(self, properties: dict[str, Any]) -> None:
        m = self._members(properties)
        for member in ("description", "vpcConfig", "logsConfig", "cache", "sourceVersion"):
            m.setdefault(member, None)  # no longer declared: removed
        current = [{"Key": t["key"], "Value": t["value"]} for t in
                   _backend(self.account_id, self.region_name).codebuild_projects[self.physical_id].tags or []]
        m["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in self.retagged(current, properties)]
        _backend(self.account_id, self.region_name).update_project(self.physical_id, m)

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_project(self.physical_id)


def install() -> None:
    handles(ProjectHandler.TYPE)
    _install()
    file_under("codebuild", ProjectHandler)
