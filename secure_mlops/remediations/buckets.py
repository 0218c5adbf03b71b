"""Reading one bucket's settings for the S3 remediations (absent settings read as None)."""

from __future__ import annotations

import json

from .base import read_failed

#: error codes that mean "this setting is not configured"
_ABSENT = {"NoSuchBucketPolicy", "ServerSideEncryptionConfigurationNotFoundError",
           "NoSuchPublicAccessBlockConfiguration"}


def _get(finding, what: str, call):
    import botocore.exceptions

    try:
        return call()
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _ABSENT:
            return None
        raise read_failed(f"the {what} of bucket {finding.resource_id}", exc) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise read_failed(f"the {what} of bucket {finding.resource_id}", exc) from None


def encryption(finding, session) -> dict | None:
    answer = _get(finding, "default encryption",
                  lambda: session.client("s3").get_bucket_encryption(Bucket=finding.resource_id))
    if not answer:
        return None
    rules = answer["ServerSideEncryptionConfiguration"].get("Rules") or [{}]
    default = dict(rules[0].get("ApplyServerSideEncryptionByDefault") or {})
    if "BucketKeyEnabled" in rules[0]:
        default["BucketKeyEnabled"] = rules[0]["BucketKeyEnabled"]
    return default


def public_access_block(finding, session) -> dict | None:
    answer = _get(finding, "public access block",
                  lambda: session.client("s3").get_public_access_block(Bucket=finding.resource_id))
    return answer["PublicAccessBlockConfiguration"] if answer else None


def policy(finding, session) -> dict | None:
    answer = _get(finding, "bucket policy", lambda: session.client("s3").get_bucket_policy(Bucket=finding.resource_id))
    if not answer:
        return None
    try:
        return json.loads(answer["Policy"])
    except (TypeError, ValueError) as exc:
        raise read_failed(f"the bucket policy of {finding.resource_id} (not JSON)", exc) from None


def versioning(finding, session) -> str | None:
    answer = _get(finding, "versioning", lambda: session.client("s3").get_bucket_versioning(Bucket=finding.resource_id))
    return (answer or {}).get("Status")


def logging(finding, session) -> dict | None:
    answer = _get(finding, "access logging", lambda: session.client("s3").get_bucket_logging(Bucket=finding.resource_id))
    return (answer or {}).get("LoggingEnabled")
