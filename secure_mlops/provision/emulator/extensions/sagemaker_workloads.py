"""SageMaker notebook instances, models, endpoint configs and jobs, as AWS keeps them.

moto drops, for notebook instances: InstanceMetadataServiceConfiguration and PlatformIdentifier
(API), and every property but InstanceType and RoleArn (CloudFormation); it has no
UpdateNotebookInstance. For models it drops EnableNetworkIsolation (API and CloudFormation).
Its jobs complete the moment they are created and cannot be stopped (no StopTrainingJob;
StopProcessingJob "stops" a completed job). This extension:

- notebook instances: keeps and returns every property (IMDS defaults to version 1 as on AWS),
  checks what SageMaker checks (direct internet access can only be disabled in a VPC; subnet,
  security groups and KMS key must exist), adds ``UpdateNotebookInstance`` (only when the
  instance is Stopped), and handles ``AWS::SageMaker::NotebookInstance`` with every property
  (create-only ones replace; others stop, update and restart the instance, as CloudFormation does);
- models: ``CreateModel`` and ``AWS::SageMaker::Model`` keep EnableNetworkIsolation,
  InferenceExecutionConfig and VpcConfig (checked);
- endpoint configs: ``AWS::SageMaker::EndpointConfig`` is checked against the registry schema
  and fails on properties the emulator does not keep instead of dropping them;
- jobs: training and processing jobs go InProgress → Completed through moto's state manager
  (``sagemaker::training_job`` / ``sagemaker::processing_job``, default: immediately, as moto
  did; a test can hold them InProgress with ``/moto-api/state-manager/set-transition``);
  ``StopTrainingJob`` and ``StopProcessingJob`` stop a job that is in progress and refuse any
  other, as AWS does; a stopped job goes Stopping → Stopped through the same state models;
- ``StopNotebookInstance``: the instance goes Stopping → Stopped through the state model
  ``sagemaker::notebook_instance`` (immediately by default); while it is Stopping it cannot be
  updated or deleted. Each Describe call counts as one poll for ``manual`` progressions.
  CloudFormation waits for Stopped before it updates or replaces an instance.
"""

from __future__ import annotations

from typing import Any

from moto.core.utils import utcnow

from ._support import PropertyValidationError, checked_properties, extend_init, handles, override, \
    resource_tags

NOTEBOOK_PROPERTIES = {"AcceleratorTypes", "AdditionalCodeRepositories", "DefaultCodeRepository",
                       "DirectInternetAccess", "InstanceMetadataServiceConfiguration", "InstanceType",
                       "LifecycleConfigName", "NotebookInstanceName", "PlatformIdentifier", "RoleArn", "RootAccess",
                       "SecurityGroupIds", "SubnetId", "Tags", "VolumeSizeInGB", "KmsKeyId"}
MODEL_PROPERTIES = {"Containers", "EnableNetworkIsolation", "ExecutionRoleArn", "InferenceExecutionConfig",
                    "ModelName", "PrimaryContainer", "Tags", "VpcConfig"}
ENDPOINT_CONFIG_PROPERTIES = {"AsyncInferenceConfig", "DataCaptureConfig", "EndpointConfigName", "KmsKeyId",
                              "ProductionVariants", "Tags"}
NOTEBOOK_REPLACING = ("DirectInternetAccess", "KmsKeyId", "NotebookInstanceName", "PlatformIdentifier",
                      "SecurityGroupIds", "SubnetId")


def _backend(account_id: str, region_name: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account_id][region_name]


def _validation(message: str) -> Exception:
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError(message=message)


# --------------------------------------------------------------------------- notebook instances


def _check_notebook(backend: Any, subnet_id: str | None, groups: list[str] | None, kms_key_id: str | None,
                    direct_internet_access: str | None) -> None:
    from .sagemaker_studio import check_kms_key, check_network

    if direct_internet_access not in (None, "Enabled", "Disabled"):
        raise _validation(f"1 validation error detected: Value '{direct_internet_access}' at "
                          "'directInternetAccess' failed to satisfy constraint: Member must satisfy enum value "
                          "set: [Enabled, Disabled]")
    if direct_internet_access == "Disabled" and not subnet_id:
        raise _validation("Direct internet access can only be disabled for a notebook instance in a VPC "
                          "(specify SubnetId and SecurityGroupIds).")
    if groups and not subnet_id:
        raise _validation("SecurityGroupIds can only be specified with a SubnetId.")
    vpc_id = None
    if subnet_id:
        from moto.ec2.models import ec2_backends

        ec2 = ec2_backends[backend.account_id][backend.region_name]
        subnet = next((s for zone in ec2.subnets.values() for s in zone.values() if s.id == subnet_id), None)
        if subnet is None:
            raise _validation(f"Invalid SubnetId: subnet {subnet_id} does not exist.")
        vpc_id = subnet.vpc_id
    check_network(backend.account_id, backend.region_name, vpc_id, None, groups)
    check_kms_key(backend.account_id, backend.region_name, kms_key_id)


def _check_imds(config: dict[str, Any] | None) -> dict[str, str]:
    version = str((config or {}).get("MinimumInstanceMetadataServiceVersion", "1"))
    if version not in ("1", "2"):
        raise _validation(f"1 validation error detected: Value '{version}' at "
                          "'instanceMetadataServiceConfiguration.minimumInstanceMetadataServiceVersion' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: 1|2")
    return {"MinimumInstanceMetadataServiceVersion": version}


def update_notebook_instance(self: Any, name: str, changes: dict[str, Any]) -> Any:
    notebook = self.get_notebook_instance(name)
    if notebook.status != "Stopped":
        raise _validation(f"Status ({notebook.status}) not in ([Stopped]). Unable to transition to (Updating) "
                          f"for Notebook Instance ({notebook.arn}).")
    if changes.get("InstanceType"):
        notebook.validate_instance_type(changes["InstanceType"])
        notebook.instance_type = changes["InstanceType"]
    if changes.get("VolumeSizeInGB") is not None:
        if int(changes["VolumeSizeInGB"]) < notebook.volume_size_in_gb:
            raise _validation("The volume size of a notebook instance cannot be decreased.")
        notebook.validate_volume_size_in_gb(int(changes["VolumeSizeInGB"]))
        notebook.volume_size_in_gb = int(changes["VolumeSizeInGB"])
    if changes.get("RoleArn"):
        notebook.role_arn = changes["RoleArn"]
    if changes.get("RootAccess"):
        if changes["RootAccess"] not in ("Enabled", "Disabled"):
            raise _validation(f"Invalid RootAccess: {changes['RootAccess']}")
        notebook.root_access = changes["RootAccess"]
    if changes.get("InstanceMetadataServiceConfiguration"):
        notebook.instance_metadata_service_configuration = _check_imds(changes["InstanceMetadataServiceConfiguration"])
    if changes.get("PlatformIdentifier"):
        notebook.platform_identifier = changes["PlatformIdentifier"]
    for key, attr, unset in (("LifecycleConfigName", "lifecycle_config_name", "DisassociateLifecycleConfig"),
                             ("DefaultCodeRepository", "default_code_repository", "DisassociateDefaultCodeRepository"),
                             ("AdditionalCodeRepositories", "additional_code_repositories",
                              "DisassociateAdditionalCodeRepositories"),
                             ("AcceleratorTypes", "accelerator_types", "DisassociateAcceleratorTypes")):
        if changes.get(unset):
            setattr(notebook, attr, None)
        elif changes.get(key) is not None:
            setattr(notebook, attr, changes[key])
    notebook.last_modified_time = utcnow()
    return notebook


def _notebook_from_template(backend: Any, name: str, props: dict[str, Any], tags: list[dict[str, str]]) -> Any:
    notebook = backend.create_notebook_instance(
        notebook_instance_name=name, instance_type=props["InstanceType"], role_arn=props["RoleArn"],
        subnet_id=props.get("SubnetId"), security_group_ids=props.get("SecurityGroupIds"),
        kms_key_id=props.get("KmsKeyId"), tags=tags, lifecycle_config_name=props.get("LifecycleConfigName"),
        direct_internet_access=props.get("DirectInternetAccess", "Enabled"),
        volume_size_in_gb=props.get("VolumeSizeInGB", 5), accelerator_types=props.get("AcceleratorTypes"),
        default_code_repository=props.get("DefaultCodeRepository"),
        additional_code_repositories=props.get("AdditionalCodeRepositories"), root_access=props.get("RootAccess"),
        instance_metadata_service_configuration=props.get("InstanceMetadataServiceConfiguration"),
        platform_identifier=props.get("PlatformIdentifier"))
    notebook.cfn_properties = props
    return notebook


def _stop_and_wait(backend: Any, notebook: Any) -> None:
    """Stop an instance and wait until it is Stopped, as CloudFormation's handler does."""
    backend.stop_notebook_instance(notebook.notebook_instance_name)
    notebook.status = "Stopped"


def _install_notebooks() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.models import FakeSagemakerNotebookInstance, SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    @override(SageMakerModelBackend)
    def create_notebook_instance(self: Any, notebook_instance_name: str, instance_type: str, role_arn: str,
                                 instance_metadata_service_configuration: dict | None = None,
                                 platform_identifier: str | None = None, **kwargs: Any) -> Any:
        _check_notebook(self, kwargs.get("subnet_id"), kwargs.get("security_group_ids"), kwargs.get("kms_key_id"),
                        kwargs.get("direct_internet_access"))
        imds = _check_imds(instance_metadata_service_configuration)
        if kwargs.get("root_access") not in (None, "Enabled", "Disabled"):
            raise _validation(f"Invalid RootAccess: {kwargs['root_access']}")
        notebook = create_notebook_instance.original(self, notebook_instance_name, instance_type, role_arn, **kwargs)
        notebook.instance_metadata_service_configuration = imds
        notebook.platform_identifier = platform_identifier
        if notebook.root_access is None:
            notebook.root_access = "Enabled"  # AWS's default
        return notebook

    override(SageMakerModelBackend)(update_notebook_instance)

    def status_get(self: Any) -> Any:
        state = self.__dict__.get("sm_stop_state")
        if state is not None and state.status == "Stopped":
            self.status = "Stopped"
        return self.__dict__.get("sm_status")

    def status_set(self: Any, value: Any) -> None:
        self.__dict__["sm_status"] = value
        self.__dict__["sm_stop_state"] = None

    FakeSagemakerNotebookInstance.status = property(status_get, status_set)

    @override(FakeSagemakerNotebookInstance)
    def stop(self: Any) -> None:
        from moto.moto_api._internal.managed_state_model import ManagedState

        self.status = "Stopping"
        self.__dict__["sm_stop_state"] = ManagedState(_NOTEBOOK, [("Stopping", "Stopped")])

    @override(SageMakerResponse, "describe_notebook_instance")
    def describe_notebook_instance_api(self: Any) -> Any:
        notebook = self.sagemaker_backend.get_notebook_instance(self._get_param("NotebookInstanceName"))
        state = notebook.__dict__.get("sm_stop_state")
        if state is not None:
            state.advance()  # one poll
        return ActionResult(notebook.to_dict())

    @override(FakeSagemakerNotebookInstance)
    def to_dict(self: Any) -> dict[str, Any]:
        out = to_dict.original(self)
        out["InstanceMetadataServiceConfiguration"] = getattr(
            self, "instance_metadata_service_configuration", {"MinimumInstanceMetadataServiceVersion": "1"})
        out["PlatformIdentifier"] = getattr(self, "platform_identifier", None)
        return {k: v for k, v in out.items() if v is not None}

    @override(SageMakerResponse, "create_notebook_instance")
    def create_notebook_instance_api(self: Any) -> Any:
        notebook = self.sagemaker_backend.create_notebook_instance(
            notebook_instance_name=self._get_param("NotebookInstanceName"),
            instance_type=self._get_param("InstanceType"), subnet_id=self._get_param("SubnetId"),
            security_group_ids=self._get_param("SecurityGroupIds"), role_arn=self._get_param("RoleArn"),
            kms_key_id=self._get_param("KmsKeyId"), tags=self._get_param("Tags"),
            lifecycle_config_name=self._get_param("LifecycleConfigName"),
            direct_internet_access=self._get_param("DirectInternetAccess"),
            volume_size_in_gb=self._get_param("VolumeSizeInGB"), accelerator_types=self._get_param("AcceleratorTypes"),
            default_code_repository=self._get_param("DefaultCodeRepository"),
            additional_code_repositories=self._get_param("AdditionalCodeRepositories"),
            root_access=self._get_param("RootAccess"),
            instance_metadata_service_configuration=self._get_param("InstanceMetadataServiceConfiguration"),
            platform_identifier=self._get_param("PlatformIdentifier"))
        return ActionResult({"NotebookInstanceArn": notebook.arn})

    def update_notebook_instance_api(self: Any) -> Any:
        fields = ("InstanceType", "RoleArn", "LifecycleConfigName", "DisassociateLifecycleConfig", "VolumeSizeInGB",
                  "DefaultCodeRepository", "AdditionalCodeRepositories", "AcceleratorTypes",
                  "DisassociateAcceleratorTypes", "DisassociateDefaultCodeRepository",
                  "DisassociateAdditionalCodeRepositories", "RootAccess", "InstanceMetadataServiceConfiguration",
                  "PlatformIdentifier")
        self.sagemaker_backend.update_notebook_instance(self._get_param("NotebookInstanceName"),
                                                        {f: self._get_param(f) for f in fields})
        return EmptyResult()

    override(SageMakerResponse, "update_notebook_instance")(update_notebook_instance_api)

    @override(FakeSagemakerNotebookInstance, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = checked_properties("AWS::SageMaker::NotebookInstance", logical_id, cloudformation_json, NOTEBOOK_PROPERTIES)
        tags = resource_tags("AWS::SageMaker::NotebookInstance", props, account_id, region_name,
                             {**kwargs, "LogicalId": logical_id})
        name = props.get("NotebookInstanceName") or resource_name[:63]
        return _notebook_from_template(_backend(account_id, region_name), name, props, tags)

    @override(FakeSagemakerNotebookInstance, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = checked_properties("AWS::SageMaker::NotebookInstance", logical_id, cloudformation_json, NOTEBOOK_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        backend = _backend(account_id, region_name)
        if any(props.get(k) != old.get(k) for k in NOTEBOOK_REPLACING):
            if props.get("NotebookInstanceName") and props["NotebookInstanceName"] == old.get("NotebookInstanceName"):
                raise PropertyValidationError(
                    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                    f"Rename {props['NotebookInstanceName']} and update the stack again.")
            name = props.get("NotebookInstanceName") or new_resource_name.split("/")[-1][:63]
            if name == original_resource.notebook_instance_name:
                name = f"{name[:50]}-{utcnow().strftime('%H%M%S%f')[:12]}"
            new = _notebook_from_template(backend, name, props, original_resource.tags)
            _stop_and_wait(backend, original_resource)
            backend.delete_notebook_instance(original_resource.notebook_instance_name)
            return new
        notebook = original_resource
        was_running = notebook.status == "InService"
        _stop_and_wait(backend, notebook)
        changes = {k: props.get(k) for k in ("InstanceType", "RoleArn", "VolumeSizeInGB", "RootAccess",
                                             "InstanceMetadataServiceConfiguration")}
        changes.update({
            "LifecycleConfigName": props.get("LifecycleConfigName"),
            "DisassociateLifecycleConfig": "LifecycleConfigName" not in props,
            "DefaultCodeRepository": props.get("DefaultCodeRepository"),
            "DisassociateDefaultCodeRepository": "DefaultCodeRepository" not in props,
            "AdditionalCodeRepositories": props.get("AdditionalCodeRepositories"),
            "DisassociateAdditionalCodeRepositories": "AdditionalCodeRepositories" not in props,
            "AcceleratorTypes": props.get("AcceleratorTypes"),
            "DisassociateAcceleratorTypes": "AcceleratorTypes" not in props,
        })
        if "InstanceMetadataServiceConfiguration" not in props:
            changes["InstanceMetadataServiceConfiguration"] = {"MinimumInstanceMetadataServiceVersion": "1"}
        if "RootAccess" not in props:
            changes["RootAccess"] = "Enabled"
        backend.update_notebook_instance(notebook.notebook_instance_name, changes)
        removed = {t["Key"] for t in old.get("Tags") or []} - {t["Key"] for t in props.get("Tags") or []}
        notebook.tags = [t for t in notebook.tags if t["Key"] not in removed]
        notebook.tags = [t for t in notebook.tags if t["Key"] not in {x["Key"] for x in props.get("Tags") or []}]
        notebook.tags += [{"Key": t["Key"], "Value": str(t["Value"])} for t in props.get("Tags") or []]
        if was_running:
            backend.start_notebook_instance(notebook.notebook_instance_name)
        notebook.cfn_properties = props
        return notebook

    @override(FakeSagemakerNotebookInstance, kind="classmethod")
    def delete_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        backend = _backend(account_id, region_name)
        notebook = backend.get_notebook_instance(resource_name.split("/")[-1])
        _stop_and_wait(backend, notebook)
        backend.delete_notebook_instance(notebook.notebook_instance_name)

    @override(FakeSagemakerNotebookInstance, kind="classmethod")
    def has_cfn_attr(cls: Any, attr: str) -> bool:
        return attr in ("NotebookInstanceName", "NotebookInstanceArn")

    @override(FakeSagemakerNotebookInstance)
    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        values = {"NotebookInstanceName": self.notebook_instance_name, "NotebookInstanceArn": self.arn}
        if attribute_name not in values:
            raise UnformattedGetAttTemplateException()
        return values[attribute_name]


# --------------------------------------------------------------------------- models and endpoint configs


def _check_model(backend: Any, role: str | None, vpc_config: dict[str, Any] | None) -> None:
    import re

    from .sagemaker_studio import ROLE_ARN_PATTERN, check_network

    if not role or not re.match(ROLE_ARN_PATTERN, role):
        raise _validation(f"1 validation error detected: Value '{role}' at 'executionRoleArn' failed to satisfy "
                          f"constraint: Member must satisfy regular expression pattern: {ROLE_ARN_PATTERN}")
    if vpc_config:
        subnets, groups = vpc_config.get("Subnets") or [], vpc_config.get("SecurityGroupIds") or []
        if not subnets or not groups:
            raise _validation("VpcConfig needs Subnets and SecurityGroupIds.")
        check_network(backend.account_id, backend.region_name, None, subnets, groups)


def _install_models() -> None:
    from moto.core.responses import ActionResult
    from moto.sagemaker.models import FakeEndpointConfig, Model, SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    @override(SageMakerModelBackend)
    def create_model(self: Any, model_name: str, execution_role_arn: str, primary_container: Any, vpc_config: Any,
                     containers: Any, tags: Any, enable_network_isolation: bool = False,
                     inference_execution_config: dict | None = None) -> Any:
        if model_name in self._models:
            raise _validation(f"Cannot create already existing model \"{self._models[model_name].arn}\".")
        if not primary_container and not containers:
            raise _validation("Either PrimaryContainer or Containers must be specified.")
        _check_model(self, execution_role_arn, vpc_config)
        model = create_model.original(self, model_name, execution_role_arn, primary_container, vpc_config,
                                      containers, tags)
        model.enable_network_isolation = bool(enable_network_isolation)
        if inference_execution_config:
            model.inference_execution_config = inference_execution_config
        if not vpc_config:
            model.vpc_config = None  # AWS omits VpcConfig when none was given
        return model

    @override(SageMakerResponse, "create_model")
    def create_model_api(self: Any) -> Any:
        model = self.sagemaker_backend.create_model(
            model_name=self._get_param("ModelName"), execution_role_arn=self._get_param("ExecutionRoleArn"),
            primary_container=self._get_param("PrimaryContainer"), vpc_config=self._get_param("VpcConfig"),
            containers=self._get_param("Containers"), tags=self._get_param("Tags"),
            enable_network_isolation=bool(self._get_param("EnableNetworkIsolation")),
            inference_execution_config=self._get_param("InferenceExecutionConfig"))
        return ActionResult(model.response_create)

    @override(Model, "create_from_cloudformation_json", kind="classmethod")
    def create_model_from_template(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                   region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        p = checked_properties("AWS::SageMaker::Model", logical_id, cloudformation_json, MODEL_PROPERTIES)
        tags = resource_tags("AWS::SageMaker::Model", p, account_id, region_name, {**kwargs, "LogicalId": logical_id})
        model = _backend(account_id, region_name).create_model(
            model_name=p.get("ModelName") or resource_name[:63], execution_role_arn=p.get("ExecutionRoleArn"),
            primary_container=p.get("PrimaryContainer"), vpc_config=p.get("VpcConfig"),
            containers=p.get("Containers"), tags=tags, enable_network_isolation=p.get("EnableNetworkIsolation", False),
            inference_execution_config=p.get("InferenceExecutionConfig"))
        model.cfn_properties = p
        return model

    @override(Model, "update_from_cloudformation_json", kind="classmethod")
    def update_model_from_template(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        p = checked_properties("AWS::SageMaker::Model", logical_id, cloudformation_json, MODEL_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        backend = _backend(account_id, region_name)
        if {k: v for k, v in p.items() if k != "Tags"} == {k: v for k, v in old.items() if k != "Tags"}:
            removed = {t["Key"] for t in old.get("Tags") or []}
            original_resource.tags = [t for t in original_resource.tags if t["Key"] not in removed]
            original_resource.tags += p.get("Tags") or []
            original_resource.cfn_properties = p
            return original_resource
        if p.get("ModelName") and p["ModelName"] == old.get("ModelName"):
            raise PropertyValidationError(
                "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                f"Rename {p['ModelName']} and update the stack again.")
        name = p.get("ModelName") or f"{original_resource.model_name[:50]}-{utcnow().strftime('%H%M%S%f')[:12]}"
        new = cls.create_from_cloudformation_json(name, {"Properties": {**p, "ModelName": name}}, account_id,
                                                  region_name, LogicalId=logical_id)
        new.cfn_properties = p
        backend.delete_model(original_resource.model_name)
        return new

    @override(FakeEndpointConfig, "create_from_cloudformation_json", kind="classmethod")
    def create_endpoint_config_from_template(cls: Any, resource_name: str, cloudformation_json: Any,
                                             account_id: str, region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        p = checked_properties("AWS::SageMaker::EndpointConfig", logical_id, cloudformation_json, ENDPOINT_CONFIG_PROPERTIES)
        if p.get("KmsKeyId"):
            from .sagemaker_studio import check_kms_key

            check_kms_key(account_id, region_name, p["KmsKeyId"])
        config = _backend(account_id, region_name).create_endpoint_config(
            endpoint_config_name=p.get("EndpointConfigName") or resource_name[:63],
            production_variants=p["ProductionVariants"], data_capture_config=p.get("DataCaptureConfig"),
            async_inference_config=p.get("AsyncInferenceConfig"), kms_key_id=p.get("KmsKeyId"),
            tags=p.get("Tags") or [])
        config.cfn_properties = p
        return config


    from moto.sagemaker.models import FakeEndpoint

    @override(SageMakerModelBackend)
    def update_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str) -> Any:
        """UpdateEndpoint: move an endpoint to another endpoint configuration (moto lacks it)."""
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is None:
            arn = FakeEndpoint.arn_formatter(endpoint_name, self.account_id, self.region_name)
            raise _validation(f"Could not find endpoint \"{arn}\".")
        try:
            config = self.describe_endpoint_config(endpoint_config_name)
        except KeyError:
            arn = FakeEndpointConfig.arn_formatter(endpoint_config_name, self.account_id, self.region_name)
            raise _validation(f"Could not find endpoint configuration \"{arn}\".") from None
        except Exception as exc:  # moto raises its ValidationError for an unknown configuration
            if "Could not find" in str(exc):
                arn = FakeEndpointConfig.arn_formatter(endpoint_config_name, self.account_id, self.region_name)
                raise _validation(f"Could not find endpoint configuration \"{arn}\".") from None
            raise
        if endpoint.endpoint_status != "InService":
            raise _validation(f"Cannot update in-progress endpoint \"{endpoint.arn}\".")
        endpoint.endpoint_config_name = endpoint_config_name
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        endpoint.data_capture_config = config.get("DataCaptureConfig")
        endpoint.last_modified_time = utcnow()
        return endpoint

    @override(SageMakerResponse, "update_endpoint")
    def update_endpoint_api(self: Any) -> Any:
        endpoint = self.sagemaker_backend.update_endpoint(self._get_param("EndpointName"),
                                                          self._get_param("EndpointConfigName"))
        return ActionResult({"EndpointArn": endpoint.arn})

    @override(FakeEndpoint, "update_from_cloudformation_json", kind="classmethod")
    def update_endpoint_from_template(cls: Any, original_resource: Any, new_resource_name: str,
                                      cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        """A new EndpointConfigName is applied in place (UpdateEndpoint), as CloudFormation does;
        a new EndpointName replaces the endpoint."""
        p = cloudformation_json.get("Properties") or {}
        backend = _backend(account_id, region_name)
        name = p.get("EndpointName") or original_resource.endpoint_name
        if name != original_resource.endpoint_name:
            new = backend.create_endpoint(name, p["EndpointConfigName"], p.get("Tags") or [])
            backend.delete_endpoint(original_resource.endpoint_name)
            return new
        if p.get("EndpointConfigName") != original_resource.endpoint_config_name:
            backend.update_endpoint(name, p["EndpointConfigName"])
        if p.get("Tags") is not None:
            old_keys = {t["Key"] for t in original_resource.tags if not t["Key"].startswith("aws:")}
            original_resource.tags = [t for t in original_resource.tags if t["Key"] not in old_keys] + list(p["Tags"])
        return original_resource


# --------------------------------------------------------------------------- jobs


_TRAINING = "sagemaker::training_job"
_PROCESSING = "sagemaker::processing_job"
_NOTEBOOK = "sagemaker::notebook_instance"
_FINAL = ("Completed", "Stopped", "Failed")


def _state(backend: Any, kind: str, name: str) -> Any:
    from moto.moto_api._internal.managed_state_model import ManagedState

    states = backend.job_states.setdefault(kind, {})
    if name not in states:
        states[name] = ManagedState(kind, [("InProgress", "Completed"), ("Stopping", "Stopped")])
    return states[name]


def _stopping(state: Any) -> None:
    """A job's state starts over at Stopping (its transition to Stopped is configured like the rest)."""
    from datetime import datetime

    state.status = "Stopping"
    state._tick = 0
    state._time_progressed = datetime.now()


def _refresh_training(backend: Any, job: Any) -> None:
    if job.training_job_status in _FINAL:
        return
    status = _state(backend, _TRAINING, job.training_job_name).status
    if status != job.training_job_status:
        job.training_job_status = status
        job.secondary_status = status if status in ("Completed", "Stopping", "Stopped") else "Training"
        job.last_modified_time = utcnow()
        if status in _FINAL:
            job.training_end_time = utcnow()


def _refresh_processing(backend: Any, job: Any) -> None:
    if job.processing_job_status in _FINAL:
        return
    status = _state(backend, _PROCESSING, job.processing_job_name).status
    if status != job.processing_job_status:
        job.processing_job_status = status
        job.last_modified_time = utcnow()
        if status in _FINAL:
            job.processing_end_time = utcnow()


def _install_jobs() -> None:
    from moto.core.responses import EmptyResult
    from moto.moto_api import state_manager
    from moto.sagemaker.models import FakeProcessingJob, FakeTrainingJob, SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    for model in (_TRAINING, _PROCESSING, _NOTEBOOK):
        state_manager.register_default_transition(model, transition={"progression": "immediate"})

    def setup(backend: Any) -> None:
        backend.job_states = {}

    extend_init(SageMakerModelBackend, setup)

    @override(FakeTrainingJob, "__init__")
    def training_job_init(self: Any, *args: Any, **kwargs: Any) -> None:
        training_job_init.original(self, *args, **kwargs)
        self.training_job_status = "InProgress"
        self.secondary_status = "Starting"
        self.training_end_time = None

    @override(FakeProcessingJob, "__init__")
    def processing_job_init(self: Any, *args: Any, **kwargs: Any) -> None:
        processing_job_init.original(self, *args, **kwargs)
        self.processing_job_status = "InProgress"
        self.processing_end_time = None

    @override(SageMakerModelBackend)
    def describe_training_job(self: Any, training_job_name: str) -> Any:
        job = self.training_jobs.get(training_job_name)
        if job is not None:
            _state(self, _TRAINING, training_job_name).advance()  # one poll
            _refresh_training(self, job)
        return describe_training_job.original(self, training_job_name)

    @override(SageMakerModelBackend)
    def list_training_jobs(self: Any, *args: Any, **kwargs: Any) -> Any:
        for job in self.training_jobs.values():
            _refresh_training(self, job)
        return list_training_jobs.original(self, *args, **kwargs)

    @override(SageMakerModelBackend)
    def describe_processing_job(self: Any, processing_job_name: str) -> Any:
        job = self.processing_jobs.get(processing_job_name)
        if job is not None:
            _state(self, _PROCESSING, processing_job_name).advance()  # one poll
            _refresh_processing(self, job)
        return describe_processing_job.original(self, processing_job_name)

    @override(SageMakerModelBackend)
    def list_processing_jobs(self: Any, *args: Any, **kwargs: Any) -> Any:
        for job in self.processing_jobs.values():
            _refresh_processing(self, job)
        return list_processing_jobs.original(self, *args, **kwargs)

    @override(SageMakerModelBackend)
    def stop_training_job(self: Any, name: str) -> None:
        job = self.training_jobs.get(name)
        if job is None:
            raise _validation(f"Could not find training job '{FakeTrainingJob.arn_formatter(name, self.account_id, self.region_name)}'.")
        _refresh_training(self, job)
        if job.training_job_status != "InProgress":
            raise _validation(f"The request was rejected because the training job is in status {job.training_job_status}.")
        _stopping(_state(self, _TRAINING, name))
        job.training_job_status = job.secondary_status = "Stopping"
        job.last_modified_time = utcnow()

    @override(SageMakerModelBackend)
    def stop_processing_job(self: Any, name: str) -> None:
        job = self.processing_jobs.get(name)
        if job is None:
            raise _validation(f"Could not find processing job '{FakeProcessingJob.arn_formatter(name, self.account_id, self.region_name)}'.")
        _refresh_processing(self, job)
        if job.processing_job_status != "InProgress":
            raise _validation(f"The request was rejected because the processing job is in status {job.processing_job_status}.")
        _stopping(_state(self, _PROCESSING, name))
        job.processing_job_status = "Stopping"
        job.last_modified_time = utcnow()

    @override(SageMakerResponse, "create_processing_job")
    def create_processing_job_api(self: Any) -> Any:
        result = create_processing_job_api.original(self)
        job = self.sagemaker_backend.processing_jobs[self._get_param("ProcessingJobName")]
        # moto drops these: the instance count and type, the volume and its KMS key, the environment
        job.processing_resources = self._get_param("ProcessingResources")
        job.environment = self._get_param("Environment")
        return result

    @override(SageMakerModelBackend)
    def update_model_package(self: Any, model_package_arn: str, model_approval_status: str | None,
                             approval_description: str | None, customer_metadata_properties: dict | None,
                             customer_metadata_properties_to_remove: list | None,
                             additional_inference_specifications_to_add: list | None) -> str:
        name = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
        package = self.model_packages.get(name)
        if package is None:
            raise _validation(f"Model package {model_package_arn} not found")
        description = approval_description if approval_description is not None else package.approval_description
        # UpdateModelPackage adds/overwrites the given metadata keys; the others stay
        metadata = {**(package.customer_metadata_properties or {}), **(customer_metadata_properties or {})}
        arn = update_model_package.original(self, model_package_arn, model_approval_status, description,
                                            metadata or None, customer_metadata_properties_to_remove or [],
                                            additional_inference_specifications_to_add)
        return arn

    def stop_training_job_api(self: Any) -> Any:
        self.sagemaker_backend.stop_training_job(self._get_param("TrainingJobName"))
        return EmptyResult()

    override(SageMakerResponse, "stop_training_job")(stop_training_job_api)


def install() -> None:
    handles("AWS::SageMaker::NotebookInstance", "AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig")
    _install_notebooks()
    _install_models()
    _install_jobs()
