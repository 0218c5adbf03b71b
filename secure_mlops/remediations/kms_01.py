"""KMS-01 responsive: enable yearly rotation of a customer managed symmetric key.

Does: ``kms:EnableKeyRotation`` on the key. Never: disables, schedules deletion of, or changes
the policy of a key. A key that is not Enabled (disabled, pending import or deletion) is left
alone and reported: rotation can only be turned on for an enabled key.
"""

from __future__ import annotations

from .base import NoRemedy, Call, read_failed, step_for

CONTROL_ID = "KMS-01"
permissions = ("kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation")
CONTAINS_ONLY = False


def _key_id(finding) -> str:
    return finding.resource_arn or finding.resource_id


def read(finding, session) -> dict:
    import botocore.exceptions

    kms = session.client("kms")
    try:
        meta = kms.describe_key(KeyId=_key_id(finding))["KeyMetadata"]
        rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"key {finding.resource_id}", exc) from None
    return {"KeyId": meta["KeyId"], "KeyState": meta.get("KeyState"), "KeySpec": meta.get("KeySpec"),
            "KeyManager": meta.get("KeyManager"), "KeyRotationEnabled": rotation}


def plan(finding, session, context=None) -> list:
    state = read(finding, session)
    if state["KeyRotationEnabled"]:
        return []
    if state["KeyManager"] != "CUSTOMER" or state["KeySpec"] != "SYMMETRIC_DEFAULT":
        raise NoRemedy(f"key {state['KeyId']} is {state['KeyManager']} {state['KeySpec']}: "
                       "only customer managed symmetric keys can rotate automatically")
    if state["KeyState"] != "Enabled":
        raise NoRemedy(f"key {state['KeyId']} is {state['KeyState']}: rotation can be enabled only on an "
                       "enabled key; nothing was changed")
    return [step_for(finding, "enable yearly rotation of the key",
                     [Call("kms", "EnableKeyRotation", {"KeyId": state["KeyId"]})])]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
