"""IAM: roles and managed policies as CloudFormation declares them, and AWS managed policies.

moto's ``AWS::IAM::Role`` drops ManagedPolicyArns, stores inline policies given as objects
unserialised, ignores updates of everything but the description, and cannot delete a role
with managed policies. Its ``AWS::IAM::ManagedPolicy`` has no update. And moto does not know
the AWS managed policies (``arn:aws:iam::aws:policy/...``) unless asked to load them.

This extension:

- makes the AWS managed policies exist in every account, as on AWS (moto can load them,
  ``MOTO_IAM_LOAD_MANAGED_POLICIES``, but then parses 1,500 policies for every account and
  partition backend on the first request after each reset: seconds per test); here they are
  parsed once per process and built for an account on its first managed-policy lookup;
- ``AWS::IAM::Role``: validates the trust policy, applies Policies (as JSON), ManagedPolicyArns,
  PermissionsBoundary, MaxSessionDuration, Description, Path and Tags; updates each of them
  (removed policies are detached/deleted); deletes the role after detaching its policies;
- ``AWS::IAM::ManagedPolicy``: attaches to Roles/Users/Groups, updates by a new default
  policy version (at most five kept) and by attachment changes, deletes after detaching.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ._support import PropertyValidationError, checked_properties, handles, needs_replacement, override

ROLE_PROPERTIES = {"AssumeRolePolicyDocument", "Description", "ManagedPolicyArns", "MaxSessionDuration",
                   "Path", "PermissionsBoundary", "Policies", "RoleName", "Tags"}


def _iam(account_id: str, region_name: str) -> Any:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account_id][get_partition(region_name)]


def _json(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def _sync_role(iam: Any, role: Any, props: dict[str, Any], old: dict[str, Any]) -> None:
    """Inline policies, managed policies and the permissions boundary as the template says."""
    wanted = {p["PolicyName"]: _json(p["PolicyDocument"]) for p in props.get("Policies") or []}
    for name in list(role.policies):
        if name in {p["PolicyName"] for p in old.get("Policies") or []} and name not in wanted:
            iam.delete_role_policy(role.name, name)
    for name, document in wanted.items():
        iam.put_role_policy(role.name, name, document)

    arns = list(dict.fromkeys(props.get("ManagedPolicyArns") or []))
    for arn in old.get("ManagedPolicyArns") or []:
        if arn not in arns and arn in role.managed_policies:
            iam.detach_role_policy(arn, role.name)
    for arn in arns:
        if arn not in role.managed_policies:
            iam.attach_role_policy(arn, role.name)

    boundary = props.get("PermissionsBoundary")
    if boundary:
        if boundary not in {p.arn for p in iam.managed_policies.values()}:
            from moto.iam.exceptions import NotFoundException

            raise NotFoundException(f"Policy {boundary} does not exist or is not attachable.")
        iam.put_role_permissions_boundary(role.name, boundary)
    elif old.get("PermissionsBoundary"):
        iam.delete_role_permissions_boundary(role.name)


def _remove_role(iam: Any, name: str) -> None:
    role = next((r for r in iam.get_roles() if r.name == name), None)
    if role is None:
        return
    for arn in list(role.managed_policies):
        iam.detach_role_policy(arn, name)
    for policy in list(role.policies):
        iam.delete_role_policy(name, policy)
    for profile in iam.instance_profiles.values():
        profile.roles = [r for r in profile.roles if r.name != name]
    for policy in iam.inline_policies.values():
        policy.role_names = [n for n in policy.role_names if n != name]
    iam.delete_role(name)


def _install_role() -> None:
    from moto.iam.models import Role
    from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator

    @override(Role, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = checked_properties("AWS::IAM::Role", logical_id, cloudformation_json, ROLE_PROPERTIES)
        iam = _iam(account_id, region_name)
        trust = _json(props["AssumeRolePolicyDocument"])
        IAMTrustPolicyDocumentValidator(trust).validate()
        role = iam.create_role(
            role_name=props.get("RoleName") or resource_name[:64], assume_role_policy_document=trust,
            path=props.get("Path", "/"), permissions_boundary=None, description=props.get("Description", ""),
            tags=props.get("Tags") or [], max_session_duration=str(props.get("MaxSessionDuration", 3600)))
        try:
            _sync_role(iam, role, props, {})
        except Exception:
            _remove_role(iam, role.name)
            raise
        role.cfn_properties = props
        return role

    @override(Role, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = checked_properties("AWS::IAM::Role", logical_id, cloudformation_json, ROLE_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        if needs_replacement("AWS::IAM::Role", old, props):
            if props.get("RoleName") and props.get("RoleName") == old.get("RoleName"):
                raise PropertyValidationError(
                    "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                    f"Rename {props['RoleName']} and update the stack again.")
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                      region_name, LogicalId=logical_id)
            _remove_role(_iam(account_id, region_name), original_resource.name)
            return new
        iam = _iam(account_id, region_name)
        role = original_resource
        trust = _json(props["AssumeRolePolicyDocument"])
        if trust != role.assume_role_policy_document:
            iam.update_assume_role_policy(role.name, trust)
        role.description = props.get("Description", "")
        role.max_session_duration = str(props.get("MaxSessionDuration", 3600))
        old_tags = {t["Key"] for t in old.get("Tags") or []} - {t["Key"] for t in props.get("Tags") or []}
        if old_tags:
            iam.untag_role(role.name, sorted(old_tags))
        if props.get("Tags"):
            iam.tag_role(role.name, props["Tags"])
        _sync_role(iam, role, props, old)
        role.cfn_properties = props
        return role

    @override(Role, kind="classmethod")
    def delete_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        _remove_role(_iam(account_id, region_name), resource_name)


MANAGED_POLICY_PROPERTIES = {"Description", "Groups", "ManagedPolicyName", "Path", "PolicyDocument", "Roles",
                             "Users"}


def _attachments(iam: Any, arn: str, props: dict[str, Any], old: dict[str, Any]) -> None:
    kinds = (("Roles", iam.attach_role_policy, iam.detach_role_policy),
             ("Users", iam.attach_user_policy, iam.detach_user_policy),
             ("Groups", iam.attach_group_policy, iam.detach_group_policy))
    for key, attach, detach in kinds:
        new_names, old_names = list(props.get(key) or []), list(old.get(key) or [])
        for name in old_names:
            if name not in new_names:
                detach(arn, name)
        for name in new_names:
            if name not in old_names:
                attach(arn, name)


def _install_managed_policy() -> None:
    from moto.iam.models import ManagedPolicy

    @override(ManagedPolicy, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = checked_properties("AWS::IAM::ManagedPolicy", logical_id, cloudformation_json, MANAGED_POLICY_PROPERTIES)
        iam = _iam(account_id, region_name)
        policy = iam.create_policy(description=props.get("Description", ""), path=props.get("Path", "/"),
                                   policy_document=_json(props["PolicyDocument"]),
                                   policy_name=props.get("ManagedPolicyName") or resource_name[:128], tags=[])
        try:
            _attachments(iam, policy.arn, props, {})
        except Exception:
            iam.delete_policy(policy.arn)
            raise
        policy.cfn_properties = props
        return policy

    @override(ManagedPolicy, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = checked_properties("AWS::IAM::ManagedPolicy", logical_id, cloudformation_json, MANAGED_POLICY_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        iam = _iam(account_id, region_name)
        if needs_replacement("AWS::IAM::ManagedPolicy", old, props):
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                      region_name, LogicalId=logical_id)
            _delete_policy(iam, original_resource.arn, old)
            return new
        policy = original_resource
        document = _json(props["PolicyDocument"])
        if document != _json(old.get("PolicyDocument")):
            if len(policy.versions) >= 5:
                oldest = next(v for v in policy.versions if not v.is_default)
                iam.delete_policy_version(policy.arn, oldest.version_id)
            iam.create_policy_version(policy.arn, document, "true")
        _attachments(iam, policy.arn, props, old)
        policy.cfn_properties = props
        return policy

    @override(ManagedPolicy, kind="classmethod")
    def delete_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        iam = _iam(account_id, region_name)
        policy = iam.managed_policies.get(resource_name)
        if policy is not None:
            _delete_policy(iam, resource_name, getattr(policy, "cfn_properties", {}))

    @override(ManagedPolicy)
    def delete(self: Any, account_id: str, region_name: str) -> None:
        _delete_policy(_iam(account_id, region_name), self.arn, getattr(self, "cfn_properties", {}))


def _delete_policy(iam: Any, arn: str, props: dict[str, Any]) -> None:
    _attachments(iam, arn, {}, props)
    policy = iam.managed_policies.get(arn)
    for version in list(getattr(policy, "versions", [])):
        if not version.is_default:
            iam.delete_policy_version(arn, version.version_id)
    iam.delete_policy(arn)


#: AWS managed policies whose path moto's snapshot records wrongly (AWS documents these ARNs)
PATH_FIXES = {
    "AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy": "/service-role/",
}


@lru_cache(maxsize=1)
def _aws_policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    for name, path in PATH_FIXES.items():
        if name in data:
            data[name]["Path"] = path
    return data


class ManagedPolicies(dict):
    """An account's managed policies, with AWS's own ones added on first use."""

    def __init__(self, account_id: str, region_name: str):
        super().__init__()
        self._account = (account_id, region_name)
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        from moto.iam.models import AWSManagedPolicy

        account_id, region_name = self._account
        for name, data in _aws_policy_data().items():
            policy = AWSManagedPolicy.from_data(name, account_id, region_name, data)
            dict.setdefault(self, policy.arn, policy)


def _lazy(name: str) -> Any:
    method = getattr(dict, name)

    def call(self: ManagedPolicies, *args: Any, **kwargs: Any) -> Any:
        self._load()
        return method(self, *args, **kwargs)

    call.__name__ = name
    return call


for _name in ("__getitem__", "__contains__", "__iter__", "__len__", "__setitem__", "__delitem__", "get", "keys",
              "values", "items", "pop", "setdefault", "copy", "__repr__"):
    setattr(ManagedPolicies, _name, _lazy(_name))


def _install_aws_managed_policies() -> None:
    from moto.iam.models import IAMBackend

    @override(IAMBackend)
    def _init_aws_policies(self: Any) -> list:
        return []  # added lazily by ManagedPolicies

    @override(IAMBackend)
    def _init_managed_policies(self: Any) -> dict[str, Any]:
        return ManagedPolicies(self.account_id, self.region_name)


def install() -> None:
    _install_aws_managed_policies()
    handles("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")
    _install_role()
    _install_managed_policy()
