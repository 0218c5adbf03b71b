"""Buckets and KMS keys, described only for what the controls read.

``aws.audit-bucket`` lists the buckets of the audited region (``ListBuckets`` with
``BucketRegion``: one paginated call) and reads five attributes per bucket, instead of the
stock type's ten or so:

- ``DefaultEncryption``: the first default-encryption rule (``SSEAlgorithm``, ``KMSMasterKeyID``)
- ``PublicAccessBlock``: the bucket's four public access block flags
- ``Policy``: the bucket policy, parsed
- ``Versioning``: ``{"Status": ..., "MFADelete": ...}``
- ``Logging``: the server access logging target, or None

``aws.audit-kms-key`` lists keys and aliases (two paginated calls), skips the keys whose
aliases say they are AWS managed (``alias/aws/*``), and reads per customer key: the key
metadata, ``KeyRotationEnabled`` (symmetric keys with KMS key material) and ``Policy``.
"""

from __future__ import annotations

from c7n.query import TypeInfo

from .base import LeanResource, fetch, parse_policy, register


@register("audit-bucket")
class Bucket(LeanResource):
    class resource_type(TypeInfo):
        service = "s3"
        enum_spec = ("list_buckets", "Buckets", None)
        id = name = "Name"
        arn = "Arn"
        date = "CreationDate"
        cfn_type = "AWS::S3::Bucket"
        global_resource = False

    permissions = ("s3:ListAllMyBuckets", "s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock",
                   "s3:GetBucketPolicy", "s3:GetBucketVersioning", "s3:GetBucketLogging")

    def enumerate(self, client):
        buckets = self.paginate(client, "list_buckets", "Buckets", BucketRegion=self.region)
        for b in buckets:
            b["Arn"] = f"arn:aws:s3:::{b['Name']}"
            b.setdefault("BucketRegion", self.region)
        return buckets

    def describe(self, client, b):
        name = b["Name"]
        fetch(b, "DefaultEncryption", lambda: client.get_bucket_encryption(Bucket=name),
              missing=("ServerSideEncryptionConfigurationNotFoundError",),
              transform=_default_encryption)
        fetch(b, "PublicAccessBlock", lambda: client.get_public_access_block(Bucket=name),
              missing=("NoSuchPublicAccessBlockConfiguration",),
              transform=lambda a: a.get("PublicAccessBlockConfiguration"))
        fetch(b, "Policy", lambda: client.get_bucket_policy(Bucket=name), missing=("NoSuchBucketPolicy",),
              transform=lambda a: parse_policy(a.get("Policy")))
        fetch(b, "Versioning", lambda: client.get_bucket_versioning(Bucket=name),
              transform=lambda a: {"Status": a.get("Status"), "MFADelete": a.get("MFADelete")})
        fetch(b, "Logging", lambda: client.get_bucket_logging(Bucket=name),
              transform=lambda a: a.get("LoggingEnabled"))


def _default_encryption(answer: dict) -> dict | None:
    rules = (answer.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    if not rules:
        return None
    rule = rules[0]
    out = dict(rule.get("ApplyServerSideEncryptionByDefault") or {})
    out["BucketKeyEnabled"] = rule.get("BucketKeyEnabled")
    return out


@register("audit-kms-key")
class KmsKey(LeanResource):
    class resource_type(TypeInfo):
        service = "kms"
        enum_spec = ("list_keys", "Keys", None)
        id = "KeyId"
        name = "KeyId"
        arn = "KeyArn"
        cfn_type = "AWS::KMS::Key"

    permissions = ("kms:ListKeys", "kms:ListAliases", "kms:DescribeKey", "kms:GetKeyRotationStatus",
                   "kms:GetKeyPolicy")

    def enumerate(self, client):
        keys = self.paginate(client, "list_keys", "Keys")
        aliases: dict[str, list[str]] = {}
        for a in self.paginate(client, "list_aliases", "Aliases"):
            if a.get("TargetKeyId"):
                aliases.setdefault(a["TargetKeyId"], []).append(a["AliasName"])
        for k in keys:
            k["Aliases"] = sorted(aliases.get(k["KeyId"], []))
            if k["Aliases"] and all(n.startswith("alias/aws/") for n in k["Aliases"]):
                k["KeyManager"] = "AWS"  # AWS managed: nothing to describe
        return keys

    def describe(self, client, k):
        if k.get("KeyManager") == "AWS":
            return
        meta = client.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        k.update(meta)
        if k.get("KeyManager") != "CUSTOMER" or k.get("KeyState") in ("PendingDeletion", "PendingImport"):
            return
        if k.get("KeySpec") == "SYMMETRIC_DEFAULT" and k.get("Origin") == "AWS_KMS":
            fetch(k, "KeyRotationEnabled", lambda: client.get_key_rotation_status(KeyId=k["KeyId"]),
                  transform=lambda a: a.get("KeyRotationEnabled"))
        fetch(k, "Policy", lambda: client.get_key_policy(KeyId=k["KeyId"], PolicyName="default"),
              transform=lambda a: parse_policy(a.get("Policy")))
