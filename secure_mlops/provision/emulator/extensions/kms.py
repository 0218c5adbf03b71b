"""KMS: keys as CloudFormation declares them.

moto's ``AWS::KMS::Key`` stores a key policy given as an object unserialised (describe_key
then fails), ignores KeySpec/KeyUsage/MultiRegion/PendingWindowInDays, has no update and
deletes keys at once. This extension applies every property, serialises the policy (AWS's
default key policy when none is given), updates policy, description, rotation, enablement
and tags in place (KeySpec/KeyUsage/MultiRegion/Origin changes replace the key), and deletes
as CloudFormation does: the key is scheduled for deletion after PendingWindowInDays (default
30) and stays readable as PendingDeletion. The keys moto makes on first use of a reserved
alias (``alias/aws/<service>``) are AWS managed keys (KeyManager AWS), as on AWS.
"""

from __future__ import annotations

import json
from typing import Any

from ._support import PropertyValidationError, checked_properties, handles, override

KEY_PROPERTIES = {"BypassPolicyLockoutSafetyCheck", "Description", "EnableKeyRotation", "Enabled", "KeyPolicy",
                  "KeySpec", "KeyUsage", "MultiRegion", "Origin", "PendingWindowInDays", "Tags"}
REPLACING = ("KeySpec", "KeyUsage", "MultiRegion", "Origin")


def _kms(account_id: str, region_name: str) -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[account_id][region_name]


def default_policy(account_id: str) -> str:
    """The key policy AWS gives a key created without one: the account may use and manage it."""
    return json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"}]})


def _policy(props: dict[str, Any], account_id: str, logical_id: str) -> str:
    policy = props.get("KeyPolicy")
    if policy is None:
        return default_policy(account_id)
    text = policy if isinstance(policy, str) else json.dumps(policy)
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not doc.get("Statement"):
        from moto.core.exceptions import JsonRESTError

        raise JsonRESTError("MalformedPolicyDocumentException",
                            f"Resource {logical_id}: the key policy is not a valid policy document")
    return text


def _checked(logical_id: str, cloudformation_json: Any) -> dict[str, Any]:
    props = checked_properties("AWS::KMS::Key", logical_id, cloudformation_json, KEY_PROPERTIES)
    spec = props.get("KeySpec", "SYMMETRIC_DEFAULT")
    if props.get("EnableKeyRotation") and spec != "SYMMETRIC_DEFAULT":
        raise PropertyValidationError(
            f"Resource {logical_id}: key rotation is only supported for symmetric encryption keys")
    return props


def _apply(kms: Any, key: Any, props: dict[str, Any], old: dict[str, Any]) -> None:
    if props.get("EnableKeyRotation"):
        kms.enable_key_rotation(key.id)
    elif old.get("EnableKeyRotation") or key.key_rotation_status:
        kms.disable_key_rotation(key.id)
    if props.get("Enabled", True):
        if not key.enabled:
            kms.enable_key(key.id)
    elif key.enabled:
        kms.disable_key(key.id)


def _install() -> None:
    from moto.kms.models import Key

    @override(Key, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = _checked(logical_id, cloudformation_json)
        kms = _kms(account_id, region_name)
        key = kms.create_key(
            policy=_policy(props, account_id, logical_id), key_usage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=props.get("KeySpec", "SYMMETRIC_DEFAULT"), description=props.get("Description", ""),
            tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props.get("Tags") or []],
            multi_region=bool(props.get("MultiRegion")), origin=props.get("Origin", "AWS_KMS"))
        _apply(kms, key, props, {})
        key.cfn_properties = props
        return key

    @override(Key, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = _checked(logical_id, cloudformation_json)
        old = getattr(original_resource, "cfn_properties", {})
        kms = _kms(account_id, region_name)
        if any(props.get(k) != old.get(k) for k in REPLACING):
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                      region_name, LogicalId=logical_id)
            original_resource.delete(account_id, region_name)
            return new
        key = original_resource
        policy = _policy(props, account_id, logical_id)
        if policy != key.policy:
            kms.put_key_policy(key.id, policy)
        if props.get("Description", "") != key.description:
            kms.update_key_description(key.id, props.get("Description", ""))
        removed = {t["Key"] for t in old.get("Tags") or []} - {t["Key"] for t in props.get("Tags") or []}
        if removed:
            kms.untag_resource(key.id, sorted(removed))
        if props.get("Tags"):
            kms.tag_resource(key.id, {t["Key"]: t["Value"] for t in props["Tags"]})
        _apply(kms, key, props, old)
        key.cfn_properties = props
        return key

    @override(Key)
    def delete(self: Any, account_id: str, region_name: str) -> None:
        props = getattr(self, "cfn_properties", {})
        kms = _kms(account_id, region_name)
        if self.id in kms.keys and self.key_state != "PendingDeletion":
            kms.schedule_key_deletion(self.id, int(props.get("PendingWindowInDays", 30)))


def _install_managed_keys() -> None:
    from moto.kms.models import KmsBackend

    @override(KmsBackend)
    def _generate_default_keys(self: Any, alias_name: str) -> str | None:
        key_id = _generate_default_keys.original(self, alias_name)
        if key_id is not None:
            self.keys[key_id].key_manager = "AWS"
        return key_id


def install() -> None:
    handles("AWS::KMS::Key")
    _install()
    _install_managed_keys()
