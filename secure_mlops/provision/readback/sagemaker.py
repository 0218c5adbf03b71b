"""Amazon SageMaker: the Studio domain (VPC only, KMS key, default user settings), user
profiles, model package groups (resource policy), notebook instances and models."""

from __future__ import annotations

from . import reader
from .compare import ABSENT, MISSING


def _name(physical_id: str) -> str:
    """A SageMaker name or id from a physical id that may be an ARN."""
    return physical_id.rsplit("/", 1)[-1] if physical_id.startswith("arn:") else physical_id


def _tags(r, arn: str) -> None:
    if "Tags" in r.properties:
        with r.section("Tags"):
            tags = []
            for page in r.client("sagemaker").get_paginator("list_tags").paginate(ResourceArn=arn):
                tags += page.get("Tags", [])
            r.compare_tags(tags)


def _user_settings(r, prefix: str, settings: dict) -> None:
    """The security-relevant user settings of a domain (defaults) or a user profile."""
    r.compare(f"{prefix}.ExecutionRole", settings.get("ExecutionRole"))
    r.compare(f"{prefix}.SecurityGroups", settings.get("SecurityGroups", []), kind="set")
    sharing = settings.get("SharingSettings") or {}
    r.compare(f"{prefix}.SharingSettings.NotebookOutputOption", sharing.get("NotebookOutputOption"))
    r.compare(f"{prefix}.SharingSettings.S3OutputPath", sharing.get("S3OutputPath"))
    r.compare(f"{prefix}.SharingSettings.S3KmsKeyId", sharing.get("S3KmsKeyId"), kind="kms")
    r.compare(f"{prefix}.StudioWebPortal", settings.get("StudioWebPortal"))
    r.compare(f"{prefix}.DefaultLandingUri", settings.get("DefaultLandingUri"))
    for app in ("JupyterServerAppSettings", "KernelGatewayAppSettings", "JupyterLabAppSettings"):
        r.compare(f"{prefix}.{app}.LifecycleConfigArns", (settings.get(app) or {}).get("LifecycleConfigArns"),
                  kind="set")


@reader("AWS::SageMaker::Domain")
def domain(r):
    got = r.client("sagemaker").describe_domain(DomainId=_name(r.physical_id))
    r.attributes.update(
        DomainId=got["DomainId"], DomainArn=got["DomainArn"], Url=got.get("Url"),
        HomeEfsFileSystemId=got.get("HomeEfsFileSystemId"),
        SecurityGroupIdForDomainBoundary=got.get("SecurityGroupIdForDomainBoundary"),
        SingleSignOnManagedApplicationInstanceId=got.get("SingleSignOnManagedApplicationInstanceId"),
        SingleSignOnApplicationArn=got.get("SingleSignOnApplicationArn"),
    )
    if got.get("Status") not in (None, "InService", "Pending", "Updating"):
        r.mismatch("(status)", "InService", got.get("Status"), got.get("FailureReason") or "the domain is not in service")
    r.compare("DomainName", got.get("DomainName"))
    _tags(r, got["DomainArn"])
    r.compare("AuthMode", got.get("AuthMode"))
    r.compare("AppNetworkAccessType", got.get("AppNetworkAccessType"), default="PublicInternetOnly")
    r.compare("AppSecurityGroupManagement", got.get("AppSecurityGroupManagement"))
    r.compare("KmsKeyId", got.get("KmsKeyId"), kind="kms")
    r.compare("VpcId", got.get("VpcId"))
    r.compare("SubnetIds", got.get("SubnetIds"), kind="set")
    _user_settings(r, "DefaultUserSettings", got.get("DefaultUserSettings") or {})
    settings = got.get("DomainSettings") or {}
    r.compare("DomainSettings.SecurityGroupIds", settings.get("SecurityGroupIds"), kind="set")
    r.compare("DomainSettings.ExecutionRoleIdentityConfig", settings.get("ExecutionRoleIdentityConfig"))


@reader("AWS::SageMaker::UserProfile")
def user_profile(r):
    domain_id = r.required("DomainId")
    name = r.required("UserProfileName")
    got = r.client("sagemaker").describe_user_profile(DomainId=domain_id, UserProfileName=name)
    r.attributes.update(UserProfileArn=got["UserProfileArn"])
    if got.get("Status") not in (None, "InService", "Pending", "Updating"):
        r.mismatch("(status)", "InService", got.get("Status"), got.get("FailureReason") or "the profile is not in service")
    # CloudFormation names a user profile by its ARN or by its compound identifier (name and domain id)
    if r.physical_id not in (got["UserProfileArn"], name, f"{domain_id}|{name}", f"{name}|{domain_id}"):
        r.mismatch("PhysicalResourceId", got["UserProfileArn"], r.physical_id,
                   "the physical id does not name this user profile")
    r.compare("DomainId", got.get("DomainId"))
    _tags(r, got["UserProfileArn"])
    r.compare("UserProfileName", got.get("UserProfileName"))
    r.compare("SingleSignOnUserIdentifier", got.get("SingleSignOnUserIdentifier"))
    r.compare("SingleSignOnUserValue", got.get("SingleSignOnUserValue"))
    _user_settings(r, "UserSettings", got.get("UserSettings") or {})


@reader("AWS::SageMaker::ModelPackageGroup")
def model_package_group(r):
    sm = r.client("sagemaker")
    got = sm.describe_model_package_group(ModelPackageGroupName=_name(r.physical_id))
    r.attributes.update(ModelPackageGroupArn=got["ModelPackageGroupArn"],
                        CreationTime=str(got.get("CreationTime", "")),
                        ModelPackageGroupStatus=got.get("ModelPackageGroupStatus"))
    r.compare("ModelPackageGroupName", got["ModelPackageGroupName"])
    _tags(r, got["ModelPackageGroupArn"])
    if r.declared("ModelPackageGroupPolicy", default=None) is not None:
        policy = r.optional(sm.get_model_package_group_policy, ("Cannot find resource policy",),
                            ModelPackageGroupName=got["ModelPackageGroupName"])
        r.compare("ModelPackageGroupPolicy", (policy or {}).get("ResourcePolicy", ABSENT), kind="policy")


@reader("AWS::SageMaker::NotebookInstance")
def notebook_instance(r):
    got = r.client("sagemaker").describe_notebook_instance(NotebookInstanceName=_name(r.physical_id))
    r.attributes.update(NotebookInstanceName=got["NotebookInstanceName"])
    r.compare("NotebookInstanceName", got["NotebookInstanceName"])
    r.compare("DirectInternetAccess", got.get("DirectInternetAccess"), default="Enabled")
    r.compare("RootAccess", got.get("RootAccess"), default="Enabled")
    r.compare("KmsKeyId", got.get("KmsKeyId"), kind="kms")
    r.compare("SubnetId", got.get("SubnetId"))
    r.compare("SecurityGroupIds", got.get("SecurityGroups"), kind="set")
    r.compare("RoleArn", got.get("RoleArn"))
    r.compare("InstanceType", got.get("InstanceType"))
    r.compare("VolumeSizeInGB", got.get("VolumeSizeInGB"))
    r.compare("LifecycleConfigName", got.get("NotebookInstanceLifecycleConfigName"))
    r.compare("PlatformIdentifier", got.get("PlatformIdentifier"))
    r.compare("InstanceMetadataServiceConfiguration.MinimumInstanceMetadataServiceVersion",
              (got.get("InstanceMetadataServiceConfiguration") or {}).get("MinimumInstanceMetadataServiceVersion"))


@reader("AWS::SageMaker::Model")
def model(r):
    got = r.client("sagemaker").describe_model(ModelName=_name(r.physical_id))
    r.attributes.update(ModelName=got["ModelName"])
    r.compare("ModelName", got["ModelName"])
    r.compare("ExecutionRoleArn", got.get("ExecutionRoleArn"))
    r.compare("EnableNetworkIsolation", got.get("EnableNetworkIsolation", False), default=False)
    vpc = got.get("VpcConfig") or {}
    r.compare("VpcConfig.SecurityGroupIds", vpc.get("SecurityGroupIds"), kind="set")
    r.compare("VpcConfig.Subnets", vpc.get("Subnets"), kind="set")
    _tags(r, got["ModelArn"])
    # what is served: the image, or the (approved) model package
    containers = got.get("Containers") or ([got["PrimaryContainer"]] if got.get("PrimaryContainer") else [])
    primary = got.get("PrimaryContainer") or (containers[0] if containers else {})
    for key in ("Image", "ModelPackageName", "ModelDataUrl"):
        r.compare(f"PrimaryContainer.{key}", primary.get(key))
    declared = r.declared("Containers", default=[])
    if declared and len(declared) != len(containers):
        r.compared += 1
        r.mismatch("Containers", declared, containers or ABSENT)
    for i, (d, a) in enumerate(zip(declared, containers)):
        for key in ("Image", "ModelPackageName", "ModelDataUrl"):
            r.compare(f"Containers[{i}].{key}", a.get(key), declared=d.get(key, MISSING))


@reader("AWS::SageMaker::EndpointConfig")
def endpoint_config(r):
    got = r.client("sagemaker").describe_endpoint_config(EndpointConfigName=_name(r.physical_id))
    r.attributes.update(EndpointConfigName=got["EndpointConfigName"])
    r.compare("EndpointConfigName", got["EndpointConfigName"])
    _tags(r, got["EndpointConfigArn"])
    r.compare("KmsKeyId", got.get("KmsKeyId"), kind="kms")
    capture = got.get("DataCaptureConfig") or {}
    r.compare("DataCaptureConfig.EnableCapture", capture.get("EnableCapture"))
    r.compare("DataCaptureConfig.InitialSamplingPercentage", capture.get("InitialSamplingPercentage"))
    r.compare("DataCaptureConfig.DestinationS3Uri", capture.get("DestinationS3Uri"))
    r.compare("DataCaptureConfig.KmsKeyId", capture.get("KmsKeyId"), kind="kms")
    r.compare("DataCaptureConfig.CaptureOptions", capture.get("CaptureOptions"))
    variants = {v.get("VariantName"): v for v in got.get("ProductionVariants", [])}
    for i, declared in enumerate(r.declared("ProductionVariants", default=[])):
        actual = variants.get(declared.get("VariantName"))
        r.compare(f"ProductionVariants[{i}]", actual, declared=declared)


@reader("AWS::SageMaker::Endpoint")
def endpoint(r):
    got = r.client("sagemaker").describe_endpoint(EndpointName=_name(r.physical_id))
    r.attributes.update(EndpointName=got["EndpointName"])
    r.compare("EndpointName", got["EndpointName"])
    r.compare("EndpointConfigName", got.get("EndpointConfigName"))
    _tags(r, got["EndpointArn"])
    if got.get("EndpointStatus") in ("Failed", "OutOfService"):
        r.mismatch("(status)", "InService", got.get("EndpointStatus"), got.get("FailureReason") or "not in service")
