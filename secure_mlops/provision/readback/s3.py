"""Amazon S3: buckets (encryption, public access block, versioning, logging, ownership) and
bucket policies."""

from __future__ import annotations

from . import reader
from .compare import ABSENT, MISSING


@reader("AWS::S3::Bucket")
def bucket(r):
    s3 = r.client("s3")
    name = r.physical_id
    s3.head_bucket(Bucket=name)
    r.attributes.update(
        Arn=f"arn:{r.partition}:s3:::{name}",
        DomainName=f"{name}.s3.amazonaws.com",
        RegionalDomainName=f"{name}.s3.{r.region}.amazonaws.com",
        DualStackDomainName=f"{name}.s3.dualstack.{r.region}.amazonaws.com",
        WebsiteURL=f"http://{name}.s3-website-{r.region}.amazonaws.com",
    )
    r.compare("BucketName", name)
    if "Tags" in r.properties:
        with r.section("Tags"):
            tagging = r.optional(s3.get_bucket_tagging, ("NoSuchTagSet",), Bucket=name)
            r.compare_tags((tagging or {}).get("TagSet", []))

    with r.section("BucketEncryption"):
        _encryption(r, s3, name)
    with r.section("PublicAccessBlockConfiguration"):
        if r.declared("PublicAccessBlockConfiguration") is not MISSING:
            pab = r.optional(s3.get_public_access_block, ("NoSuchPublicAccessBlockConfiguration",), Bucket=name)
            r.compare("PublicAccessBlockConfiguration", (pab or {}).get("PublicAccessBlockConfiguration"))
    with r.section("VersioningConfiguration"):
        if r.declared("VersioningConfiguration") is not MISSING:
            r.compare("VersioningConfiguration.Status", s3.get_bucket_versioning(Bucket=name).get("Status"))
    with r.section("LoggingConfiguration"):
        if r.declared("LoggingConfiguration") is not MISSING:
            _logging(r, s3, name)
    with r.section("OwnershipControls"):
        if r.declared("OwnershipControls") is not MISSING:
            oc = r.optional(s3.get_bucket_ownership_controls, ("OwnershipControlsNotFoundError",), Bucket=name)
            r.compare("OwnershipControls.Rules", (oc or {}).get("OwnershipControls", {}).get("Rules"))
    with r.section("ObjectLockEnabled"):
        if r.declared("ObjectLockEnabled") is not MISSING:
            lock = r.optional(s3.get_object_lock_configuration, ("ObjectLockConfigurationNotFoundError",),
                              Bucket=name)
            enabled = (lock or {}).get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            r.compare("ObjectLockEnabled", enabled)


def _encryption(r, s3, name: str) -> None:
    path = "BucketEncryption.ServerSideEncryptionConfiguration"
    declared_rules = r.declared(path)
    if declared_rules is MISSING:
        return
    enc = r.optional(s3.get_bucket_encryption, ("ServerSideEncryptionConfigurationNotFoundError",), Bucket=name)
    actual_rules = (enc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    if len(actual_rules) != len(declared_rules):
        r.compared += 1
        r.mismatch(path, declared_rules, actual_rules or ABSENT)
    for i, (d, a) in enumerate(zip(declared_rules, actual_rules)):
        d_default = d.get("ServerSideEncryptionByDefault") or {}
        a_default = a.get("ApplyServerSideEncryptionByDefault") or {}
        base = f"{path}[{i}]"
        r.compare(f"{base}.ServerSideEncryptionByDefault.SSEAlgorithm", a_default.get("SSEAlgorithm"),
                  declared=d_default.get("SSEAlgorithm", MISSING))
        r.compare(f"{base}.ServerSideEncryptionByDefault.KMSMasterKeyID", a_default.get("KMSMasterKeyID"),
                  kind="kms", declared=d_default.get("KMSMasterKeyID", MISSING))
        r.compare(f"{base}.BucketKeyEnabled", a.get("BucketKeyEnabled", False),
                  declared=d.get("BucketKeyEnabled", MISSING))


def _logging(r, s3, name: str) -> None:
    logging = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
    if not logging:
        r.compared += 1
        r.mismatch("LoggingConfiguration", r.declared("LoggingConfiguration"), ABSENT,
                   "differs: server access logging is off")
        return
    # without a destination, the bucket logs to itself
    r.compare("LoggingConfiguration.DestinationBucketName", logging.get("TargetBucket"), default=name)
    r.compare("LoggingConfiguration.LogFilePrefix", logging.get("TargetPrefix"))


@reader("AWS::S3::BucketPolicy")
def bucket_policy(r):
    name = r.required("Bucket")
    got = r.optional(r.client("s3").get_bucket_policy, ("NoSuchBucketPolicy",), Bucket=name)
    r.compare("PolicyDocument", (got or {}).get("Policy"), kind="policy")
