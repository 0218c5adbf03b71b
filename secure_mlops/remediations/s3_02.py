"""S3-02 responsive: turn all four public access block flags on for the bucket.

Does: ``s3:PutPublicAccessBlock`` with BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and
RestrictPublicBuckets true. Public ACLs and public policies stop taking effect at once; nothing
is removed (ACLs and the policy stay as they are, ignored). Never: deletes objects, ACLs or the
bucket policy.
"""

from __future__ import annotations

from . import buckets
from .base import Call, step_for

CONTROL_ID = "S3-02"
permissions = ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock")
CONTAINS_ONLY = False

FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def read(finding, session) -> dict:
    return {"PublicAccessBlock": buckets.public_access_block(finding, session)}


def plan(finding, session, context=None) -> list:
    current = read(finding, session)["PublicAccessBlock"] or {}
    off = [f for f in FLAGS if current.get(f) is not True]
    if not off:
        return []
    return [step_for(finding, f"turn on {', '.join(off)} (all four public access block flags)",
                     [Call("s3", "PutPublicAccessBlock", {"Bucket": finding.resource_id,
                                                          "PublicAccessBlockConfiguration": dict.fromkeys(FLAGS, True)})])]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
