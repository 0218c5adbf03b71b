"""AWS KMS: customer managed keys (state, usage, rotation, key policy) and aliases."""

from __future__ import annotations

from . import reader


@reader("AWS::KMS::Key")
def key(r):
    kms = r.client("kms")
    meta = kms.describe_key(KeyId=r.physical_id)["KeyMetadata"]
    r.attributes.update(Arn=meta["Arn"], KeyId=meta["KeyId"])
    r.compare("Enabled", meta.get("Enabled"), default=True)
    if "Tags" in r.properties:
        with r.section("Tags"):
            r.compare_tags([{"Key": t["TagKey"], "Value": t["TagValue"]}
                            for t in kms.list_resource_tags(KeyId=meta["KeyId"]).get("Tags", [])])
    r.compare("KeyUsage", meta.get("KeyUsage"), default="ENCRYPT_DECRYPT")
    r.compare("KeySpec", meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"), default="SYMMETRIC_DEFAULT")
    r.compare("MultiRegion", meta.get("MultiRegion", False), default=False)
    if meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
        rotation = kms.get_key_rotation_status(KeyId=meta["KeyId"])
        r.compare("EnableKeyRotation", rotation.get("KeyRotationEnabled"), default=False)
        if rotation.get("RotationPeriodInDays") is not None:
            r.compare("RotationPeriodInDays", rotation["RotationPeriodInDays"])
    policy = kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]
    r.compare("KeyPolicy", policy, kind="policy")


@reader("AWS::KMS::Alias")
def alias(r):
    kms = r.client("kms")
    found = None
    for page in kms.get_paginator("list_aliases").paginate():
        found = next((a for a in page["Aliases"] if a["AliasName"] == r.physical_id), None)
        if found:
            break
    if found is None:
        r.mismatch("(resource)", r.physical_id, "not listed by kms:ListAliases", "missing")
        return
    r.compare("AliasName", found["AliasName"])
    r.compare("TargetKeyId", found.get("TargetKeyId"), kind="kms")
