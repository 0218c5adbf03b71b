"""SageMaker model registry and projects.

moto keeps model package groups (create/describe/list) but cannot delete them, has no
resource policies for them and accepts a second group of the same name; it has no projects.
This extension:

- refuses a duplicate group name, adds ``DeleteModelPackageGroup`` (refused while the group
  holds model packages) and ``Put/Get/DeleteModelPackageGroupPolicy`` (the policy must be a
  JSON policy document);
- adds projects (``Create/Describe/List/Update/DeleteProject``): a project provisions its
  Service Catalog product (through the emulator's Service Catalog, as the caller) with the
  ``SageMakerProjectName``/``SageMakerProjectId`` parameters, and deleting it terminates
  the provisioned product;
- handles ``AWS::SageMaker::ModelPackageGroup`` and ``AWS::SageMaker::Project``.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.common_models import BaseModel, CloudFormationModel
from moto.core.utils import utcnow

from ._support import Handler, caller_arn, extend_init, file_under, handles, new_id, override, stack_principal


def _backend(account_id: str, region_name: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account_id][region_name]


def _validation(message: str) -> Exception:
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError(message=message)


def _group_arn(backend: Any, name: str) -> str:
    from moto.sagemaker.utils import arn_formatter

    return arn_formatter("model-package-group", name, backend.account_id, backend.region_name)


# --------------------------------------------------------------------------- model package groups


def create_model_package_group(self: Any, model_package_group_name: str, model_package_group_description: str,
                               tags: list | None = None) -> str:
    if model_package_group_name in self.model_package_groups:
        raise _validation(f"Model Package Group already exists: {_group_arn(self, model_package_group_name)}")
    return create_model_package_group.original(self, model_package_group_name, model_package_group_description,
                                               tags)


def delete_model_package_group(self: Any, name: str) -> None:
    group = self.describe_model_package_group(name)
    if any(p.model_package_group_name == name for p in self.model_packages.values()):
        from moto.sagemaker.exceptions import ConflictException

        raise ConflictException(f"Model Package Group {group.arn} contains model packages; delete them first.")
    del self.model_package_groups[name]
    self.model_package_group_policies.pop(name, None)


def put_model_package_group_policy(self: Any, name: str, policy: str) -> str:
    group = self.describe_model_package_group(name)
    try:
        doc = json.loads(policy)
    except (TypeError, ValueError):
        doc = None
    if not isinstance(doc, dict) or not doc.get("Statement"):
        raise _validation("The resource policy is not a valid JSON policy document.")
    self.model_package_group_policies[name] = policy
    return group.arn


def get_model_package_group_policy(self: Any, name: str) -> str:
    group = self.describe_model_package_group(name)
    if name not in self.model_package_group_policies:
        raise _validation(f"Cannot find resource policy for {group.arn}")
    return self.model_package_group_policies[name]


def delete_model_package_group_policy(self: Any, name: str) -> None:
    group = self.describe_model_package_group(name)
    if self.model_package_group_policies.pop(name, None) is None:
        raise _validation(f"Cannot find resource policy for {group.arn}")


# --------------------------------------------------------------------------- projects


class Project(BaseModel):
    def __init__(self, account_id: str, region_name: str, name: str, description: str | None,
                 provisioning: dict[str, Any], tags: list[dict[str, str]] | None, created_by: str):
        from moto.sagemaker.utils import arn_formatter

        self.name = name
        self.id = new_id("p-", 12)
        self.arn = arn_formatter("project", name, account_id, region_name)
        self.description = description
        self.provisioning = provisioning
        self.tags = list(tags or [])
        self.status = "Pending"
        self.provisioned_product_id: str | None = None
        self.status_message: str | None = None
        self.created_by = created_by
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ProjectArn": self.arn, "ProjectName": self.name, "ProjectId": self.id,
            "ProjectDescription": self.description, "ServiceCatalogProvisioningDetails": self.provisioning,
            "ProjectStatus": self.status, "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "CreatedBy": {"UserProfileName": self.created_by.rsplit("/", 1)[-1]},
        }
        details = {k: v for k, v in (("ProvisionedProductId", self.provisioned_product_id),
                                     ("ProvisionedProductStatusMessage", self.status_message)) if v}
        if details:
            out["ServiceCatalogProvisionedProductDetails"] = details
        return {k: v for k, v in out.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        return {"ProjectName": self.name, "ProjectDescription": self.description, "ProjectArn": self.arn,
                "ProjectId": self.id, "CreationTime": self.creation_time, "ProjectStatus": self.status}


def _project(self: Any, name: str) -> Project:
    project = self.projects.get(name)
    if project is None:
        raise _validation(f"Project {name} does not exist")
    return project


def create_project(self: Any, caller: str, name: str, description: str | None, provisioning: dict[str, Any] | None,
                   tags: list | None) -> Project:
    from .servicecatalog import _backend as sc_backend

    if name in self.projects:
        raise _validation(f"Project {name} already exists")
    if not provisioning or not provisioning.get("ProductId"):
        raise _validation("ServiceCatalogProvisioningDetails.ProductId is required")
    project = Project(self.account_id, self.region_name, name, description, provisioning, tags, caller)
    sc = sc_backend(self.account_id, self.region_name)
    params = [p for p in provisioning.get("ProvisioningParameters") or []
              if p.get("Key") not in ("SageMakerProjectName", "SageMakerProjectId")]
    params += [{"Key": "SageMakerProjectName", "Value": name}, {"Key": "SageMakerProjectId", "Value": project.id}]
    artifact = provisioning.get("ProvisioningArtifactId")
    if not artifact:
        artifacts = [a for a in sc.artifacts.get(provisioning["ProductId"], []) if a.active]
        artifact = artifacts[-1].id if artifacts else None
    record = sc.provision_product(
        caller, provisioning["ProductId"], None, artifact, None, provisioning.get("PathId"),
        f"SageMaker-{name}-{project.id}", params,
        [{"Key": "sagemaker:project-name", "Value": name}, {"Key": "sagemaker:project-id", "Value": project.id}]
        + list(tags or []), None)
    project.provisioned_product_id = record.provisioned_product_id
    if record.status == "SUCCEEDED":
        project.status = "CreateCompleted"
    else:
        project.status = "CreateFailed"
        project.status_message = "; ".join(e["Description"] for e in record.errors)
    self.projects[name] = project
    return project


def delete_project(self: Any, name: str) -> None:
    from .servicecatalog import _backend as sc_backend

    project = _project(self, name)
    sc = sc_backend(self.account_id, self.region_name)
    if project.provisioned_product_id and project.provisioned_product_id in sc.provisioned:
        record = sc.terminate_provisioned_product(project.provisioned_product_id, None, False, False)
        if record.status != "SUCCEEDED":
            project.status = "DeleteFailed"
            project.status_message = "; ".join(e["Description"] for e in record.errors)
            raise _validation(f"Project {name} could not be deleted: {project.status_message}")
    del self.projects[name]


def update_project(self: Any, name: str, description: str | None, update: dict[str, Any] | None,
                   tags: list | None) -> Project:
    from .servicecatalog import _backend as sc_backend

    project = _project(self, name)
    if description is not None:
        project.description = description
    if tags is not None:
        project.tags = list(tags)
    if update:
        sc = sc_backend(self.account_id, self.region_name)
        params = [p for p in update.get("ProvisioningParameters") or []
                  if p.get("Key") not in ("SageMakerProjectName", "SageMakerProjectId")]
        record = sc.update_provisioned_product(project.provisioned_product_id, None,
                                               update.get("ProvisioningArtifactId"), params, None)
        project.status = "UpdateCompleted" if record.status == "SUCCEEDED" else "UpdateFailed"
        project.status_message = "; ".join(e["Description"] for e in record.errors) or None
        if update.get("ProvisioningArtifactId"):
            project.provisioning["ProvisioningArtifactId"] = update["ProvisioningArtifactId"]
    project.last_modified_time = utcnow()
    return project


# --------------------------------------------------------------------------- API


def _install_api() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.responses import SageMakerResponse

    def delete_model_package_group_api(self: Any) -> Any:
        self.sagemaker_backend.delete_model_package_group(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    def put_model_package_group_policy_api(self: Any) -> Any:
        arn = self.sagemaker_backend.put_model_package_group_policy(
            self._get_param("ModelPackageGroupName"), self._get_param("ResourcePolicy"))
        return ActionResult({"ModelPackageGroupArn": arn})

    def get_model_package_group_policy_api(self: Any) -> Any:
        return ActionResult({"ResourcePolicy": self.sagemaker_backend.get_model_package_group_policy(
            self._get_param("ModelPackageGroupName"))})

    def delete_model_package_group_policy_api(self: Any) -> Any:
        self.sagemaker_backend.delete_model_package_group_policy(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    def create_project_api(self: Any) -> Any:
        project = self.sagemaker_backend.create_project(
            caller_arn(self), self._get_param("ProjectName"), self._get_param("ProjectDescription"),
            self._get_param("ServiceCatalogProvisioningDetails"), self._get_param("Tags"))
        return ActionResult({"ProjectArn": project.arn, "ProjectId": project.id})

    def describe_project_api(self: Any) -> Any:
        return ActionResult(_project(self.sagemaker_backend, self._get_param("ProjectName")).describe())

    def list_projects_api(self: Any) -> Any:
        projects = list(self.sagemaker_backend.projects.values())
        contains = self._get_param("NameContains")
        if contains:
            projects = [p for p in projects if contains in p.name]
        key = "name" if self._get_param("SortBy") == "Name" else "creation_time"
        projects.sort(key=lambda p: getattr(p, key), reverse=(self._get_param("SortOrder") or "Descending") == "Descending")
        start, size = int(self._get_param("NextToken") or 0), int(self._get_param("MaxResults") or 10)
        result: dict[str, Any] = {"ProjectSummaryList": [p.summary() for p in projects[start:start + size]]}
        if start + size < len(projects):
            result["NextToken"] = str(start + size)
        return ActionResult(result)

    def update_project_api(self: Any) -> Any:
        project = self.sagemaker_backend.update_project(
            self._get_param("ProjectName"), self._get_param("ProjectDescription"),
            self._get_param("ServiceCatalogProvisioningUpdateDetails"), self._get_param("Tags"))
        return ActionResult({"ProjectArn": project.arn})

    def delete_project_api(self: Any) -> Any:
        self.sagemaker_backend.delete_project(self._get_param("ProjectName"))
        return EmptyResult()

    for name, fn in {
        "delete_model_package_group": delete_model_package_group_api,
        "put_model_package_group_policy": put_model_package_group_policy_api,
        "get_model_package_group_policy": get_model_package_group_policy_api,
        "delete_model_package_group_policy": delete_model_package_group_policy_api,
        "create_project": create_project_api,
        "describe_project": describe_project_api,
        "list_projects": list_projects_api,
        "update_project": update_project_api,
        "delete_project": delete_project_api,
    }.items():
        override(SageMakerResponse, name)(fn)


def _install_backend() -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    def setup(backend: Any) -> None:
        backend.model_package_group_policies = {}
        backend.projects = {}

    extend_init(SageMakerModelBackend, setup)
    for fn in (create_model_package_group, delete_model_package_group, put_model_package_group_policy,
               get_model_package_group_policy, delete_model_package_group_policy, create_project, delete_project,
               update_project):
        override(SageMakerModelBackend)(fn)

    @override(SageMakerModelBackend)
    def _get_resource_from_arn(self: Any, arn: str) -> Any:
        kind, _, name = arn.split(":", 5)[-1].partition("/")
        if kind == "project":
            return _project(self, name)
        return _get_resource_from_arn.original(self, arn)

    @override(SageMakerModelBackend)
    def iter_tagged_resources(self: Any) -> Any:
        from moto.core.resource_tagging import TaggedResource

        yield from iter_tagged_resources.original(self)
        for project in self.projects.values():
            yield TaggedResource(arn=project.arn, tags={t["Key"]: t["Value"] for t in project.tags},
                                 resource_type="sagemaker:project")


# --------------------------------------------------------------------------- CloudFormation


class ModelPackageGroupHandler(Handler, CloudFormationModel):
    TYPE = "AWS::SageMaker::ModelPackageGroup"
    ATTRIBUTES = ("ModelPackageGroupArn", "CreationTime", "ModelPackageGroupStatus")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = _backend(self.account_id, self.region_name)
        name = p["ModelPackageGroupName"]
        arn = backend.create_model_package_group(name, p.get("ModelPackageGroupDescription"), self.tags(kwargs))
        try:
            self._policy(backend, name, p.get("ModelPackageGroupPolicy"))
        except Exception:
            backend.delete_model_package_group(name)
            raise
        group = backend.model_package_groups[name]
        self.physical_id = arn
        self.attributes = {"ModelPackageGroupArn": arn, "CreationTime": group.creation_time.isoformat(),
                           "ModelPackageGroupStatus": lambda: group.model_package_group_status}

    @staticmethod
    def _policy(backend: Any, name: str, policy: Any) -> None:
        if policy is not None:
            backend.put_model_package_group_policy(name, policy if isinstance(policy, str) else json.dumps(policy))
        elif name in backend.model_package_group_policies:
            backend.delete_model_package_group_policy(name)

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        name = properties["ModelPackageGroupName"]
        self._policy(backend, name, properties.get("ModelPackageGroupPolicy"))
        group = backend.model_package_groups[name]
        group.tags = self.retagged(group.tags or [], properties)

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_model_package_group(
            self.properties["ModelPackageGroupName"])


class ProjectHandler(Handler, CloudFormationModel):
    TYPE = "AWS::SageMaker::Project"
    ATTRIBUTES = ("ProjectArn", "CreationTime", "ProjectId", "ProjectStatus")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = _backend(self.account_id, self.region_name)
        project = backend.create_project(stack_principal(self.account_id, self.region_name, self.stack_id),
                                         p["ProjectName"], p.get("ProjectDescription"),
                                         p.get("ServiceCatalogProvisioningDetails"), self.tags(kwargs))
        if project.status == "CreateFailed":
            message = project.status_message
            backend.delete_project(project.name)
            raise _validation(f"Project {project.name} failed to provision: {message}")
        self.physical_id = project.arn
        self.attributes = {"ProjectArn": project.arn, "CreationTime": project.creation_time.isoformat(),
                           "ProjectId": project.id, "ProjectStatus": lambda: project.status}

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_project(self.properties["ProjectName"])


def install() -> None:
    handles(ModelPackageGroupHandler.TYPE, ProjectHandler.TYPE)
    _install_backend()
    _install_api()
    file_under("sagemaker", Project, ModelPackageGroupHandler, ProjectHandler)
