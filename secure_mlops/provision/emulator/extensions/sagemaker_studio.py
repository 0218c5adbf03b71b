"""SageMaker Studio: domains and user profiles, as the API and CloudFormation.

moto keeps domains (create/describe/list/delete) but gives them ids AWS never issues
(``d-<name>``), no tags unless some were given, no validation and no update. It has no user
profiles. This extension:

- gives domains AWS-shaped ids (``d-`` + 12 characters), boundary security groups and URLs,
  checks CreateDomain as SageMaker does (enums, VPC, subnets in that VPC, security groups, KMS
  key, execution role) and adds ``UpdateDomain``;
- creates what SageMaker creates for a domain's home directories: an encrypted EFS file system
  (``HomeEfsFileSystemId``; the domain's KmsKeyId, else the ``aws/elasticfilesystem`` key),
  tagged ``ManagedByAmazonSageMakerResource``, the security groups
  ``security-group-for-inbound-nfs-<domain>`` and ``security-group-for-outbound-nfs-<domain>``
  (NFS, and the Lustre ports, from one to the other, nothing else), and a mount target per
  availability zone of the domain's subnets. ``DeleteDomain`` keeps all of it unless
  ``RetentionPolicy.HomeEfsFileSystem`` is ``Delete`` (then the mount targets and the file
  system go; the two security groups stay: what AWS does with them then is not documented),
  so the VPC's subnets cannot be deleted while the file system is mounted there;
- adds user profiles (Create/Describe/List/Update/DeleteUserProfile), kept on moto's SageMaker
  backend, taggable by ARN; a domain with user profiles cannot be deleted;
- handles ``AWS::SageMaker::Domain`` and ``AWS::SageMaker::UserProfile`` in CloudFormation.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import BaseModel, CloudFormationModel
from moto.core.utils import utcnow

from ._support import Handler, aws_managed_key, extend_init, file_under, handles, new_hex_id, new_id, override

ROLE_ARN_PATTERN = r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$"


def _backend(account_id: str, region_name: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends[account_id][region_name]


def _errors():
    from moto.sagemaker import exceptions

    return exceptions


def _enum(value: Any, field: str, allowed: list[str]) -> None:
    if value is not None and value not in allowed:
        raise _errors().ValidationError(
            message=f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def _check_role(role: Any, field: str) -> None:
    import re

    if role is not None and not re.match(ROLE_ARN_PATTERN, str(role)):
        raise _errors().ValidationError(
            message=f"1 validation error detected: Value '{role}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {ROLE_ARN_PATTERN}"
        )


def check_network(account_id: str, region_name: str, vpc_id: str | None, subnet_ids: list[str] | None,
                   security_groups: list[str] | None) -> None:
    """The VPC, subnets and security groups exist, and the subnets and groups are in the VPC."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region_name]
    err = _errors().ValidationError
    if vpc_id is not None and vpc_id not in ec2.vpcs:
        raise err(message=f"Invalid VpcId: {vpc_id} does not exist.")
    for subnet_id in subnet_ids or []:
        subnet = next((s for zone in ec2.subnets.values() for s in zone.values() if s.id == subnet_id), None)
        if subnet is None:
            raise err(message=f"Invalid SubnetIds: subnet {subnet_id} does not exist.")
        if vpc_id is not None and subnet.vpc_id != vpc_id:
            raise err(message=f"Invalid SubnetIds: subnet {subnet_id} is not in VPC {vpc_id}.")
    for group_id in security_groups or []:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise err(message=f"Invalid SecurityGroups: security group {group_id} does not exist.")
        if vpc_id is not None and group.vpc_id != vpc_id:
            raise err(message=f"Invalid SecurityGroups: security group {group_id} is not in VPC {vpc_id}.")


def check_kms_key(account_id: str, region_name: str, key: str | None, field: str = "KmsKeyId") -> None:
    """The KMS key (id, ARN, alias name or alias ARN) exists and is enabled."""
    if not key:
        return
    from moto.kms.models import kms_backends

    kms = kms_backends[account_id][region_name]
    try:
        key_id = kms.any_id_to_key_id(key)
        found = kms.describe_key(key_id)
    except Exception:
        raise _errors().ValidationError(message=f"Invalid {field}: the KMS key {key} does not exist or is not accessible.") from None
    if not found.enabled:
        raise _errors().ValidationError(message=f"Invalid {field}: the KMS key {key} is disabled.")


def _check_user_settings(account_id: str, region_name: str, settings: dict[str, Any] | None, field: str,
                         vpc_id: str | None) -> None:
    if not settings:
        return
    _check_role(settings.get("ExecutionRole"), f"{field}.executionRole")
    groups = settings.get("SecurityGroups") or []
    if len(groups) > 5:
        raise _errors().ValidationError(
            message=f"1 validation error detected: Value at '{field}.securityGroups' failed to "
            "satisfy constraint: Member must have length less than or equal to 5"
        )
    check_network(account_id, region_name, vpc_id, None, groups)
    sharing = settings.get("SharingSettings") or {}
    _enum(sharing.get("NotebookOutputOption"), f"{field}.sharingSettings.notebookOutputOption", ["Allowed", "Disabled"])


def _merge(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """Update semantics of SageMaker settings: given top-level members replace, others stay."""
    merged = dict(old or {})
    merged.update({k: v for k, v in (new or {}).items() if v is not None})
    return merged


# --------------------------------------------------------------------------- user profiles


class UserProfile(BaseModel):
    def __init__(self, account_id: str, region_name: str, domain_id: str, name: str,
                 user_settings: dict[str, Any] | None, tags: list[dict[str, str]] | None,
                 sso_identifier: str | None, sso_value: str | None):
        from moto.sagemaker.utils import arn_formatter

        self.domain_id = domain_id
        self.name = name
        self.arn = arn_formatter("user-profile", f"{domain_id}/{name}", account_id, region_name)
        self.user_settings = user_settings
        self.tags = list(tags or [])
        self.sso_identifier = sso_identifier
        self.sso_value = sso_value
        self.home_efs_uid = str(200000 + abs(hash(self.arn)) % 100000)
        self.status = "InService"
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        out = {
            "DomainId": self.domain_id,
            "UserProfileArn": self.arn,
            "UserProfileName": self.name,
            "HomeEfsFileSystemUid": self.home_efs_uid,
            "Status": self.status,
            "LastModifiedTime": self.last_modified_time,
            "CreationTime": self.creation_time,
            "SingleSignOnUserIdentifier": self.sso_identifier,
            "SingleSignOnUserValue": self.sso_value,
            "UserSettings": self.user_settings,
        }
        return {k: v for k, v in out.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }


def _domain(backend: Any, domain_id: str) -> Any:
    domain = backend.domains.get(domain_id)
    if domain is None:
        from moto.sagemaker.utils import arn_formatter

        arn = arn_formatter("domain", domain_id, backend.account_id, backend.region_name)
        raise _errors().ResourceNotFound(message=f"Domain {arn} does not exist")
    return domain


def _profile(backend: Any, domain_id: str, name: str) -> UserProfile:
    _domain(backend, domain_id)
    profile = backend.user_profiles.get((domain_id, name.lower()))
    if profile is None:
        from moto.sagemaker.utils import arn_formatter

        arn = arn_formatter("user-profile", f"{domain_id}/{name}", backend.account_id, backend.region_name)
        raise _errors().ResourceNotFound(message=f"User profile {arn} does not exist")
    return profile


def create_user_profile(self: Any, domain_id: str, user_profile_name: str, user_settings: dict | None = None,
                        tags: list | None = None, single_sign_on_user_identifier: str | None = None,
                        single_sign_on_user_value: str | None = None) -> UserProfile:
    domain = _domain(self, domain_id)
    if (domain_id, user_profile_name.lower()) in self.user_profiles:
        raise _errors().ResourceInUseException(
            message=f"Resource Already Exists: UserProfile with name {user_profile_name} already exists. "
            "Choose a different name."
        )
    sso = single_sign_on_user_identifier or single_sign_on_user_value
    if domain.auth_mode == "SSO" and not (single_sign_on_user_identifier and single_sign_on_user_value):
        raise _errors().ValidationError(
            message="SingleSignOnUserIdentifier and SingleSignOnUserValue are required for a domain in SSO mode"
        )
    if domain.auth_mode != "SSO" and sso:
        raise _errors().ValidationError(
            message="SingleSignOnUserIdentifier and SingleSignOnUserValue can only be set for a domain in SSO mode"
        )
    _enum(single_sign_on_user_identifier, "singleSignOnUserIdentifier", ["UserName"])
    _check_user_settings(self.account_id, self.region_name, user_settings, "userSettings", domain.vpc_id)
    profile = UserProfile(self.account_id, self.region_name, domain_id, user_profile_name, user_settings, tags,
                          single_sign_on_user_identifier, single_sign_on_user_value)
    self.user_profiles[(domain_id, user_profile_name.lower())] = profile
    return profile


def update_user_profile(self: Any, domain_id: str, user_profile_name: str, user_settings: dict | None) -> UserProfile:
    profile = _profile(self, domain_id, user_profile_name)
    _check_user_settings(self.account_id, self.region_name, user_settings, "userSettings",
                         self.domains[domain_id].vpc_id)
    profile.user_settings = _merge(profile.user_settings, user_settings) or None
    profile.last_modified_time = utcnow()
    return profile


def delete_user_profile(self: Any, domain_id: str, user_profile_name: str) -> None:
    profile = _profile(self, domain_id, user_profile_name)
    del self.user_profiles[(domain_id, profile.name.lower())]


def list_user_profiles(self: Any, domain_id: str | None, name_contains: str | None, sort_by: str | None,
                       sort_order: str | None) -> list[UserProfile]:
    _enum(sort_by, "sortBy", ["CreationTime", "LastModifiedTime"])
    _enum(sort_order, "sortOrder", ["Ascending", "Descending"])
    found = [p for p in self.user_profiles.values()
             if (domain_id is None or p.domain_id == domain_id)
             and (name_contains is None or name_contains.lower() in p.name.lower())]
    key = "last_modified_time" if sort_by == "LastModifiedTime" else "creation_time"
    return sorted(found, key=lambda p: getattr(p, key), reverse=(sort_order or "Descending") == "Descending")


# --------------------------------------------------------------------------- home directories (EFS)

#: the tag SageMaker puts on what it creates for a domain (value: the domain's ARN)
MANAGED_TAG = "ManagedByAmazonSageMakerResource"
#: TCP ports the outbound group may reach the inbound group on: Lustre (988, 1018-1023), NFS (2049)
HOME_PORTS = ((988, 988), (1018, 1023), (2049, 2049))


def _nfs_group(ec2: Any, direction: str, domain: Any) -> Any:
    return ec2.create_security_group(
        f"security-group-for-{direction}-nfs-{domain.id}",
        f"[DO NOT DELETE] Security Group that allows {direction} NFS traffic for SageMaker Notebooks "
        f"Domain [{domain.id}]",
        domain.vpc_id, tags={MANAGED_TAG: domain.arn})


def create_home_efs(account_id: str, region_name: str, domain: Any) -> None:
    """The EFS file system, NFS security groups and mount targets SageMaker creates for a domain."""
    from moto.ec2.models import ec2_backends
    from moto.efs.models import efs_backends
    from moto.kms.models import kms_backends

    from .cfn_ec2_rules import rule_args

    ec2 = ec2_backends[account_id][region_name]
    efs = efs_backends[account_id][region_name]
    if domain.kms_key_id:
        kms = kms_backends[account_id][region_name]
        key_arn = kms.describe_key(kms.any_id_to_key_id(domain.kms_key_id)).arn
    else:
        key_arn = aws_managed_key(account_id, region_name, "elasticfilesystem",
                                  "Default key that protects my EFS filesystems when no other key is defined").arn
    fs = efs.create_file_system(
        creation_token=new_hex_id("sagemaker-", 32), performance_mode="generalPurpose", encrypted=True,
        kms_key_id=key_arn, throughput_mode="bursting", provisioned_throughput_in_mibps=None,
        availability_zone_name=None, backup=False, tags=[{"Key": MANAGED_TAG, "Value": domain.arn}])
    domain.home_efs_file_system_id = fs.file_system_id
    if not domain.vpc_id:
        return
    inbound, outbound = _nfs_group(ec2, "inbound", domain), _nfs_group(ec2, "outbound", domain)
    for group in (inbound, outbound):  # neither keeps EC2's default allow-all egress rule
        ec2.revoke_security_group_egress(**rule_args(group.id, {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}, True))
    for low, high in HOME_PORTS:
        rule = {"IpProtocol": "tcp", "FromPort": low, "ToPort": high}
        ec2.authorize_security_group_ingress(**rule_args(inbound.id, {**rule, "SourceSecurityGroupId": outbound.id}, False))
        ec2.authorize_security_group_egress(**rule_args(outbound.id, {**rule, "DestinationSecurityGroupId": inbound.id}, True))
    zones: set[str] = set()
    for subnet_id in domain.subnet_ids or []:
        subnet = ec2.get_subnet(subnet_id)
        if subnet.availability_zone in zones:  # EFS: one mount target per availability zone
            continue
        zones.add(subnet.availability_zone)
        efs.create_mount_target(fs.file_system_id, subnet_id, None, [inbound.id])


def delete_home_efs(account_id: str, region_name: str, domain: Any) -> None:
    """RetentionPolicy HomeEfsFileSystem=Delete: the mount targets and the file system (the data) go."""
    from moto.efs.models import efs_backends

    efs = efs_backends[account_id][region_name]
    fs = efs.file_systems_by_id.get(domain.home_efs_file_system_id)
    if fs is None:
        return
    for target in list(fs.iter_mount_targets()):
        efs.delete_mount_target(target.mount_target_id)
    efs.delete_file_system(fs.file_system_id)


# --------------------------------------------------------------------------- domains


def _check_domain(self: Any, kwargs: dict[str, Any]) -> None:
    _enum(kwargs.get("auth_mode"), "authMode", ["SSO", "IAM"])
    _enum(kwargs.get("app_network_access_type"), "appNetworkAccessType", ["PublicInternetOnly", "VpcOnly"])
    _enum(kwargs.get("app_security_group_management"), "appSecurityGroupManagement", ["Service", "Customer"])
    check_network(self.account_id, self.region_name, kwargs.get("vpc_id"), kwargs.get("subnet_ids"), None)
    _check_user_settings(self.account_id, self.region_name, kwargs.get("default_user_settings"),
                         "defaultUserSettings", kwargs.get("vpc_id"))
    check_kms_key(self.account_id, self.region_name, kwargs.get("kms_key_id"))


def update_domain(self: Any, domain_id: str, default_user_settings: dict | None = None,
                  domain_settings_for_update: dict | None = None, app_security_group_management: str | None = None,
                  default_space_settings: dict | None = None, subnet_ids: list | None = None,
                  app_network_access_type: str | None = None, tag_propagation: str | None = None) -> Any:
    domain = _domain(self, domain_id)
    _enum(app_network_access_type, "appNetworkAccessType", ["PublicInternetOnly", "VpcOnly"])
    _enum(app_security_group_management, "appSecurityGroupManagement", ["Service", "Customer"])
    _enum(tag_propagation, "tagPropagation", ["ENABLED", "DISABLED"])
    check_network(self.account_id, self.region_name, domain.vpc_id, subnet_ids, None)
    _check_user_settings(self.account_id, self.region_name, default_user_settings, "defaultUserSettings", domain.vpc_id)
    if default_user_settings is not None:
        domain.default_user_settings = _merge(domain.default_user_settings, default_user_settings)
    if domain_settings_for_update is not None:
        domain.domain_settings = _merge(domain.domain_settings, domain_settings_for_update)
    if default_space_settings is not None:
        domain.default_space_settings = _merge(domain.default_space_settings, default_space_settings)
    if app_security_group_management is not None:
        domain.app_security_group_management = app_security_group_management
    if subnet_ids is not None:
        domain.subnet_ids = subnet_ids
    if app_network_access_type is not None:
        domain.app_network_access_type = app_network_access_type
    if tag_propagation is not None:
        domain.tag_propagation = tag_propagation
    domain.last_modified_time = utcnow()
    return domain


# --------------------------------------------------------------------------- API (responses)


def _install_api() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.responses import SageMakerResponse

    def create_user_profile_api(self: Any) -> Any:
        profile = self.sagemaker_backend.create_user_profile(
            domain_id=self._get_param("DomainId"),
            user_profile_name=self._get_param("UserProfileName"),
            user_settings=self._get_param("UserSettings"),
            tags=self._get_param("Tags"),
            single_sign_on_user_identifier=self._get_param("SingleSignOnUserIdentifier"),
            single_sign_on_user_value=self._get_param("SingleSignOnUserValue"),
        )
        return ActionResult({"UserProfileArn": profile.arn})

    def describe_user_profile_api(self: Any) -> Any:
        profile = _profile(self.sagemaker_backend, self._get_param("DomainId"), self._get_param("UserProfileName"))
        return ActionResult(profile.describe())

    def update_user_profile_api(self: Any) -> Any:
        profile = self.sagemaker_backend.update_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName"), self._get_param("UserSettings"))
        return ActionResult({"UserProfileArn": profile.arn})

    def delete_user_profile_api(self: Any) -> Any:
        self.sagemaker_backend.delete_user_profile(self._get_param("DomainId"), self._get_param("UserProfileName"))
        return EmptyResult()

    def list_user_profiles_api(self: Any) -> Any:
        profiles = self.sagemaker_backend.list_user_profiles(
            self._get_param("DomainIdEquals"), self._get_param("UserProfileNameContains"),
            self._get_param("SortBy"), self._get_param("SortOrder"))
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or 10)
        page = profiles[start:start + size]
        result: dict[str, Any] = {"UserProfiles": [p.summary() for p in page]}
        if start + size < len(profiles):
            result["NextToken"] = str(start + size)
        return ActionResult(result)

    def update_domain_api(self: Any) -> Any:
        domain = self.sagemaker_backend.update_domain(
            domain_id=self._get_param("DomainId"),
            default_user_settings=self._get_param("DefaultUserSettings"),
            domain_settings_for_update=self._get_param("DomainSettingsForUpdate"),
            app_security_group_management=self._get_param("AppSecurityGroupManagement"),
            default_space_settings=self._get_param("DefaultSpaceSettings"),
            subnet_ids=self._get_param("SubnetIds"),
            app_network_access_type=self._get_param("AppNetworkAccessType"),
            tag_propagation=self._get_param("TagPropagation"),
        )
        return ActionResult({"DomainArn": domain.arn})

    for name, fn in {
        "create_user_profile": create_user_profile_api,
        "describe_user_profile": describe_user_profile_api,
        "update_user_profile": update_user_profile_api,
        "delete_user_profile": delete_user_profile_api,
        "list_user_profiles": list_user_profiles_api,
        "update_domain": update_domain_api,
    }.items():
        override(SageMakerResponse, name)(fn)


def _install_backend() -> None:
    from moto.sagemaker.models import Domain, SageMakerModelBackend
    from moto.sagemaker.utils import arn_formatter

    def setup(backend: Any) -> None:
        backend.user_profiles = {}

    extend_init(SageMakerModelBackend, setup)
    for name, fn in {
        "create_user_profile": create_user_profile,
        "update_user_profile": update_user_profile,
        "delete_user_profile": delete_user_profile,
        "list_user_profiles": list_user_profiles,
        "update_domain": update_domain,
    }.items():
        override(SageMakerModelBackend, name)(fn)

    @override(SageMakerModelBackend)
    def create_domain(self: Any, **kwargs: Any) -> Any:
        _check_domain(self, kwargs)
        result = create_domain.original(self, **kwargs)
        domain_id = result["DomainArn"].rsplit("/", 1)[1]
        try:
            create_home_efs(self.account_id, self.region_name, self.domains[domain_id])
        except Exception:
            del self.domains[domain_id]
            raise
        result["DomainId"] = domain_id  # CreateDomain answers the id too
        return result

    @override(SageMakerModelBackend)
    def delete_domain(self: Any, domain_id: str, retention_policy: Any = None) -> None:
        domain = _domain(self, domain_id)
        if any(p.domain_id == domain_id for p in self.user_profiles.values()):
            raise _errors().ResourceInUseException(
                message=f"Domain {domain_id} has user profiles; delete them before deleting the domain."
            )
        home = (retention_policy or {}).get("HomeEfsFileSystem", "Retain")
        _enum(home, "retentionPolicy.homeEfsFileSystem", ["Retain", "Delete"])
        if home == "Delete":
            delete_home_efs(self.account_id, self.region_name, domain)
        delete_domain.original(self, domain_id, retention_policy)

    @override(Domain)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        __init__.original(self, *args, **kwargs)
        # AWS ids: d-<12>, fs-<17 hex>, sg-<17 hex>; URL of the Studio domain
        self.id = new_id("d-", 12)
        self.arn = arn_formatter("domain", self.id, self.account_id, self.region_name)
        self.home_efs_file_system_id = None  # create_home_efs: the file system SageMaker creates
        self.security_group_id_for_domain_boundary = new_hex_id("sg-")
        self.url = f"https://{self.id}.studio.{self.region_name}.sagemaker.aws"
        self.tags = list(self.tags or [])
        self.tag_propagation = "DISABLED"
        if self.auth_mode != "SSO":
            self.single_sign_on_managed_application_instance_id = None
            self.single_sign_on_managed_application_arn = None

    @override(Domain)
    def describe(self: Any) -> dict[str, Any]:
        out = describe.original(self)
        out["TagPropagation"] = self.tag_propagation
        out.pop("FailureReason", None)
        return {k: v for k, v in out.items() if v is not None}

    @override(SageMakerModelBackend)
    def _get_resource_from_arn(self: Any, arn: str) -> Any:
        resource_part = arn.split(":", 5)[-1]
        kind, _, rest = resource_part.partition("/")
        if kind == "user-profile":
            domain_id, _, name = rest.partition("/")
            return _profile(self, domain_id, name)
        return _get_resource_from_arn.original(self, arn)

    @override(SageMakerModelBackend)
    def iter_tagged_resources(self: Any) -> Any:
        from moto.core.resource_tagging import TaggedResource

        yield from iter_tagged_resources.original(self)
        for profile in self.user_profiles.values():
            yield TaggedResource(arn=profile.arn, tags={t["Key"]: t["Value"] for t in profile.tags},
                                 resource_type="sagemaker:user-profile")


# --------------------------------------------------------------------------- CloudFormation


class DomainHandler(Handler, CloudFormationModel):
    TYPE = "AWS::SageMaker::Domain"
    ATTRIBUTES = ("DomainArn", "DomainId", "HomeEfsFileSystemId", "SecurityGroupIdForDomainBoundary",
                  "SingleSignOnApplicationArn", "SingleSignOnManagedApplicationInstanceId", "Url")

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        backend = _backend(self.account_id, self.region_name)
        result = backend.create_domain(
            domain_name=p["DomainName"], auth_mode=p["AuthMode"],
            default_user_settings=p["DefaultUserSettings"], subnet_ids=p.get("SubnetIds"),
            vpc_id=p.get("VpcId"), domain_settings=p.get("DomainSettings"), tags=self.tags(kwargs),
            app_network_access_type=p.get("AppNetworkAccessType"), home_efs_file_system_kms_key_id=None,
            kms_key_id=p.get("KmsKeyId"), app_security_group_management=p.get("AppSecurityGroupManagement"),
            default_space_settings=p.get("DefaultSpaceSettings"),
        )
        domain = next(d for d in backend.domains.values() if d.arn == result["DomainArn"])
        if p.get("TagPropagation"):
            domain.tag_propagation = p["TagPropagation"]
        self.physical_id = domain.id
        self._bind(domain)

    def _bind(self, domain: Any) -> None:
        self.attributes = {
            "DomainArn": domain.arn, "DomainId": domain.id,
            "HomeEfsFileSystemId": domain.home_efs_file_system_id,
            "SecurityGroupIdForDomainBoundary": domain.security_group_id_for_domain_boundary,
            "SingleSignOnApplicationArn": domain.single_sign_on_managed_application_arn,
            "SingleSignOnManagedApplicationInstanceId": domain.single_sign_on_managed_application_instance_id,
            "Url": domain.url,
        }

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        domain = _domain(backend, self.physical_id)
        backend.update_domain(
            domain_id=self.physical_id,
            default_user_settings=properties["DefaultUserSettings"],
            domain_settings_for_update=properties.get("DomainSettings"),
            app_security_group_management=properties.get("AppSecurityGroupManagement"),
            default_space_settings=properties.get("DefaultSpaceSettings"),
            subnet_ids=properties.get("SubnetIds"),
            app_network_access_type=properties.get("AppNetworkAccessType") or "PublicInternetOnly",
            tag_propagation=properties.get("TagPropagation"),
        )
        # the template is the whole truth: settings it no longer declares are gone
        domain.default_user_settings = properties["DefaultUserSettings"]
        domain.domain_settings = properties.get("DomainSettings")
        domain.default_space_settings = properties.get("DefaultSpaceSettings")
        domain.tags = self.retagged(domain.tags, properties)

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_domain(
            self.physical_id, {"HomeEfsFileSystem": "Retain"})


class UserProfileHandler(Handler, CloudFormationModel):
    TYPE = "AWS::SageMaker::UserProfile"
    ATTRIBUTES = ("UserProfileArn",)

    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        p = self.properties
        profile = _backend(self.account_id, self.region_name).create_user_profile(
            domain_id=p["DomainId"], user_profile_name=p["UserProfileName"], user_settings=p.get("UserSettings"),
            tags=self.tags(kwargs), single_sign_on_user_identifier=p.get("SingleSignOnUserIdentifier"),
            single_sign_on_user_value=p.get("SingleSignOnUserValue"),
        )
        # compound primary identifier: CloudFormation joins its parts with "|"
        self.physical_id = f"{profile.name}|{profile.domain_id}"
        self.attributes = {"UserProfileArn": profile.arn}

    def update(self, properties: dict[str, Any]) -> None:
        backend = _backend(self.account_id, self.region_name)
        profile = backend.update_user_profile(properties["DomainId"], properties["UserProfileName"],
                                              properties.get("UserSettings"))
        profile.user_settings = properties.get("UserSettings")
        profile.tags = self.retagged(profile.tags, properties)

    def remove(self) -> None:
        _backend(self.account_id, self.region_name).delete_user_profile(
            self.properties["DomainId"], self.properties["UserProfileName"])


def install() -> None:
    handles(DomainHandler.TYPE, UserProfileHandler.TYPE)
    _install_backend()
    _install_api()
    file_under("sagemaker", UserProfile, DomainHandler, UserProfileHandler)
