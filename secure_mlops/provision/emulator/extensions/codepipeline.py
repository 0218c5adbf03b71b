"""CodePipeline: ``AWS::CodePipeline::Pipeline`` (moto has no handler), and the pipeline checks.

moto's CreatePipeline reads the role's trusted services wrongly when a trust statement lists
several (it then refuses a role that does trust CodePipeline). This extension checks the role
as AWS does (it exists and a statement allows ``codepipeline.amazonaws.com`` to assume it),
checks the artifact store (the bucket exists; a KMS key, when given, exists and is enabled),
and handles ``AWS::CodePipeline::Pipeline``: CloudFormation's properties become the API's
pipeline structure (action ``Configuration`` keys are kept as written), updates bump the
pipeline version, Ref is the name and ``Fn::GetAtt Version`` the version.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from ._support import Handler, file_under, handles, override, refuse_unimplemented

SUPPORTED = {"Name", "RoleArn", "ArtifactStore", "ArtifactStores", "Stages", "Tags", "RestartExecutionOnUpdate",
             "PipelineType", "ExecutionMode", "DisableInboundStageTransitions"}


def _backend(account_id: str, region_name: str) -> Any:
    from moto.codepipeline.models import codepipeline_backends

    return codepipeline_backends[account_id][region_name]


def _invalid(message: str) -> Exception:
    from moto.codepipeline.exceptions import InvalidStructureException

    return InvalidStructureException(message)


def api_shape(value: Any) -> Any:
    """PascalCase properties as camelCase members; an action's Configuration is kept as is."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: (v if k == "Configuration" else api_shape(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [api_shape(v) for v in value]
    return value


def _trusts_codepipeline(document: Any) -> bool:
    doc = json.loads(document) if isinstance(document, str) else document
    statements = doc.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal") or {}
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if st.get("Effect") == "Allow" and "codepipeline.amazonaws.com" in services and \
                any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            return True
    return False


def check_pipeline(backend: Any, pipeline: dict[str, Any]) -> None:
    try:
        role = backend.iam_backend.get_role_by_arn(pipeline.get("roleArn", ""))
    except Exception:
        role = None
    if role is None or not _trusts_codepipeline(role.assume_role_policy_document):
        raise _invalid(f"CodePipeline is not authorized to perform AssumeRole on role {pipeline.get('roleArn')}")
    if len(pipeline.get("stages") or []) < 2:
        raise _invalid(f"Pipeline has only {len(pipeline.get('stages') or [])} stage(s). "
                       "There should be a minimum of 2 stages in a pipeline")
    stores = [pipeline["artifactStore"]] if pipeline.get("artifactStore") else \
        list((pipeline.get("artifactStores") or {}).values())
    from moto.kms.models import kms_backends
    from moto.s3.models import s3_backends

    for store in stores:
        if store.get("type") != "S3":
            raise _invalid(f"Invalid artifact store type: {store.get('type')}")
        try:
            s3_backends[backend.account_id]["aws"].get_bucket(store.get("location", ""))
        except Exception:
            raise _invalid(f"The artifact store bucket {store.get('location')} does not exist") from None
        key = (store.get("encryptionKey") or {}).get("id")
        if key:
            kms = kms_backends[backend.account_id][backend.region_name]
            try:
                found = kms.describe_key(kms.any_id_to_key_id(key))
            except Exception:
                raise _invalid(f"The artifact store encryption key {key} does not exist") from None
            if not found.enabled:
                raise _invalid(f"The artifact store encryption key {key} is disabled")


def _install() -> None:
    from moto.codepipeline.models import CodePipeline, CodePipelineBackend

    @override(CodePipelineBackend)
    def create_pipeline(self: Any, pipeline: dict[str, Any], tags: list[dict[str, str]] | None) -> Any:
        if pipeline["name"] in self.pipelines:
            raise _invalid(f"A pipeline with the name '{pipeline['name']}' already exists in account "
                           f"'{self.account_id}'")
        check_pipeline(self, pipeline)
        self.pipelines[pipeline["name"]] = CodePipeline(self.account_id, self.region_name, pipeline)
        if tags:
            self.pipelines[pipeline["name"]].validate_tags(tags)
            self.pipelines[pipeline["name"]].tags.update({t["key"]: t["value"] for t in tags})
        return pipeline, sorted(tags or [], key=lambda t: t["key"])

    @override(CodePipelineBackend)
    def update_pipeline(self: Any, pipeline: dict[str, Any]) -> Any:
        if pipeline.get("name") in self.pipelines:
            check_pipeline(self, pipeline)
        return update_pipeline.original(self, pipeline)


class PipelineHandler(Handler, CloudFormationModel):
    TYPE = "AWS::CodePipeline::Pipeline"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("Version",)

    def _pipeline(self, p: dict[str, Any], name: str) -> dict[str, Any]:
        refuse_unimplemented(self.TYPE, self.logical_id, p, SUPPORTED, error=_invalid)
        pipeline = api_shape({k: v for k, v in p.items() if k in ("RoleArn", "ArtifactStore", "Stages",
                                                                  "PipelineType", "ExecutionMode")})
        if p.get("ArtifactStores"):
            pipeline["artifactStores"] = {s["Region"]: api_shape(s["ArtifactStore"]) for s in p["ArtifactStores"]}
        pipeline["name"] = name
        return pipeline

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        name = self.properties.get("Name") or resource_name[:100]
        backend = _backend(self.account_id, self.region_name)
        tags = [{"key": t["Key"], "value": t["Value"]} for t in self.tags(kwargs) if not t["Key"].startswith("aws:")]
        backend.create_pipeline(self._pipeline(self.properties, name), tags)
        self.physical_id = name
        self.attributes = {"Version": lambda: str(backend.pipelines[name].pipeline["version"])}

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        backend.update_pipeline(self._pipeline(properties, self.physical_id))
        pipeline = backend.pipelines[self.physical_id]
        current = [{"Key": k, "Value": v} for k, v in pipeline.tags.items()]
        pipeline.tags = {t["Key"]: t["Value"] for t in self.retagged(current, properties)
                         if not t["Key"].startswith("aws:")}

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_pipeline(self.physical_id)


def install() -> None:
    handles(PipelineHandler.TYPE)
    _install()
    file_under("codepipeline", PipelineHandler)
