"""S3-06 responsive: enable server access logging to the environment's log bucket.

Does: ``s3:PutBucketLogging`` with the log bucket the environment publishes
(``/secure-mlops/<env>/log-bucket``) and the prefix ``<bucket>/``. The log bucket's policy
must let ``logging.s3.amazonaws.com`` write (the environment template grants it). Never:
changes the log bucket, deletes objects. Without the environment's log bucket the finding is
ERROR and nothing is done.
"""

from __future__ import annotations

from . import buckets
from .base import Call, NoRemedy, step_for

CONTROL_ID = "S3-06"
permissions = ("s3:GetBucketLogging", "s3:PutBucketLogging", "s3:GetBucketTagging", "ssm:GetParametersByPath")
CONTAINS_ONLY = False


def read(finding, session) -> dict:
    return {"Logging": buckets.logging(finding, session)}


def plan(finding, session, context=None) -> list:
    if (read(finding, session)["Logging"] or {}).get("TargetBucket"):
        return []
    env = context.environment_for(finding, ("log-bucket",))
    target = env.get("log-bucket")
    if target == finding.resource_id:
        raise NoRemedy(f"{target} is the environment's log bucket: it cannot log its own access to itself")
    status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": f"{finding.resource_id}/"}}
    return [step_for(finding, f"log object access to the log bucket {target} of environment {env.name}",
                     [Call("s3", "PutBucketLogging", {"Bucket": finding.resource_id, "BucketLoggingStatus": status})])]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
