"""S3-03 responsive: add a statement denying requests without TLS, keeping every existing one.

Does: ``s3:PutBucketPolicy`` with the current policy plus one statement: Deny ``s3:*`` to
``*`` on the bucket and its objects when ``aws:SecureTransport`` is false. Every existing
statement is kept as it is. Never: removes or edits a statement, deletes the policy or objects.
"""

from __future__ import annotations

import json

from . import buckets
from .base import Call, step_for

CONTROL_ID = "S3-03"
permissions = ("s3:GetBucketPolicy", "s3:PutBucketPolicy")
CONTAINS_ONLY = False

SID = "DenyInsecureTransport"


def read(finding, session) -> dict:
    return {"Policy": buckets.policy(finding, session)}


def _arns(bucket: str) -> list[str]:
    return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


def denies_insecure_transport(doc: dict | None, bucket: str) -> bool:
    """The audit's own reading (S3-03's missing-deny): every principal, both ARNs, TLS off."""
    from ..audit.filters.policy_logic import denied_for_everyone

    return all(denied_for_everyone(doc, "s3:*", arn, {"aws:SecureTransport": False}) is not None
               for arn in _arns(bucket))


def plan(finding, session, context=None) -> list:
    bucket = finding.resource_id
    doc = read(finding, session)["Policy"]
    if denies_insecure_transport(doc, bucket):
        return []
    new = json.loads(json.dumps(doc)) if doc else {"Version": "2012-10-17", "Statement": []}
    statements = new.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    sids = {s.get("Sid") for s in statements}
    sid = SID if SID not in sids else "SecureMlopsDenyInsecureTransport"
    statements.append({"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": _arns(bucket),
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    new["Statement"] = statements
    kept = len(statements) - 1
    return [step_for(finding, f"add statement {sid} (deny s3:* without TLS) to the bucket policy, keeping its "
                              f"{kept} existing statement(s)",
                     [Call("s3", "PutBucketPolicy", {"Bucket": bucket, "Policy": json.dumps(new)})])]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
