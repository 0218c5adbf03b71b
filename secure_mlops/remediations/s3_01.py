"""S3-01 responsive: set the bucket's default encryption to the environment's S3 key.

Does: ``s3:PutBucketEncryption`` with SSE-KMS, the key the environment publishes
(``/secure-mlops/<env>/s3-kms-key-arn``) and S3 Bucket Keys on. Applies to objects written
from now on; existing objects keep their encryption (nothing is rewritten or deleted).
Principals that write to the bucket need ``kms:GenerateDataKey`` on that key afterwards.
Never: removes objects, changes the bucket policy or the key, or gives a bucket outside the
environment (not one of its published buckets, no `environment` tag naming it) the
environment's key unless ``--environment`` names it (skipped, FAIL). Without the environment's
key the finding is ERROR and nothing is done.
"""

from __future__ import annotations

from . import buckets
from .base import Call, step_for

CONTROL_ID = "S3-01"
permissions = ("s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration", "s3:GetBucketTagging",
               "ssm:GetParametersByPath")
CONTAINS_ONLY = False


def read(finding, session) -> dict:
    return {"DefaultEncryption": buckets.encryption(finding, session)}


def passes(state: dict) -> bool:
    enc = state["DefaultEncryption"] or {}
    return enc.get("SSEAlgorithm") in ("aws:kms", "aws:kms:dsse") and bool(enc.get("KMSMasterKeyID"))


def plan(finding, session, context=None) -> list:
    if passes(read(finding, session)):
        return []
    env = context.environment_for(finding, ("s3-kms-key-arn",))
    key = env.get("s3-kms-key-arn")
    config = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
                         "BucketKeyEnabled": True}]}
    return [step_for(finding, f"set default encryption to SSE-KMS with the S3 key of environment {env.name}",
                     [Call("s3", "PutBucketEncryption",
                           {"Bucket": finding.resource_id, "ServerSideEncryptionConfiguration": config})])]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
