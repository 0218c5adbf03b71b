"""S3-05 responsive: enable versioning on the environment's data or model bucket.

Does: ``s3:PutBucketVersioning`` Status Enabled. From then on overwritten and deleted objects
keep their previous versions. Never: deletes objects or versions, changes MFA delete or
lifecycle rules.
"""

from __future__ import annotations

from . import buckets
from .base import Call, step_for

CONTROL_ID = "S3-05"
permissions = ("s3:GetBucketVersioning", "s3:PutBucketVersioning")
CONTAINS_ONLY = False


def read(finding, session) -> dict:
    return {"Versioning": buckets.versioning(finding, session)}


def plan(finding, session, context=None) -> list:
    if read(finding, session)["Versioning"] == "Enabled":
        return []
    return [step_for(finding, "enable versioning",
                     [Call("s3", "PutBucketVersioning", {"Bucket": finding.resource_id,
                                                         "VersioningConfiguration": {"Status": "Enabled"}})])]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
