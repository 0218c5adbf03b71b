"""What every remediation module is made of: API calls, steps, and the outcomes of planning.

A remediation module (``remediations/<id_in_snake_case>.py``) declares::

    CONTROL_ID = "KMS-01"
    permissions = ("kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:EnableKeyRotation")
    CONTAINS_ONLY = False          # True: the remediation contains the risk, the control still fails

    def read(finding, session) -> dict            # the resource's relevant attributes (read-only)
    def plan(finding, session, context=None) -> list[Step]   # [] when the resource already passes
    def apply(step, session) -> list[dict]        # makes exactly the calls the step lists

``plan`` may only read. Everything ``apply`` will do is in the step's ``calls`` (service,
operation, parameters), so a dry run prints exactly what ``--apply`` does. ``plan`` raises
``NotPlanned`` when it cannot decide (missing context, an unreadable resource: ERROR) and
``NoRemedy`` when nothing can be done automatically and the resource still fails (FAIL), and
``Skipped`` when it could be done but is not without the user's explicit choice (FAIL: the
resource is outside the environment whose values the remediation would apply to it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

#: API operation -> IAM action, where they differ (S3 names its permissions its own way)
IAM_ACTIONS = {
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "s3:PutEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "s3:PutBucketPublicAccessBlock",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
}

#: waiters the modules use -> the describe call they poll
WAITERS = {
    ("sagemaker", "notebook_instance_stopped"): "DescribeNotebookInstance",
    ("sagemaker", "notebook_instance_in_service"): "DescribeNotebookInstance",
}

#: the tag every containment leaves on the resource: one key per control
TAG_PREFIX = "secure-mlops:remediation:"
#: characters AWS allows in tag values of every service used here
_TAG_VALUE_BAD = re.compile(r"[^\w .:/=+\-@]")


class NotPlanned(Exception):
    """The remediation could not be planned (ERROR): context missing, resource unreadable."""


class NoRemedy(Exception):
    """Nothing (more) can be done automatically, and the resource still fails (FAIL)."""


class Skipped(Exception):
    """Not done without an explicit choice (FAIL): e.g. an environment's key for a resource outside it."""


class StepFailed(Exception):
    """A call of a step failed; `done` lists the calls made before it."""

    def __init__(self, call: "Call", error: str, done: list[dict]):
        self.call, self.error, self.done = call, error, done
        super().__init__(f"{call.describe()} failed: {error}")


def iam_action(service: str, operation: str) -> str:
    prefix = {"logs": "logs"}.get(service, service)
    return IAM_ACTIONS.get((service, operation), f"{prefix}:{operation}")


@dataclass
class Call:
    """One API call of a step, or a wait (``wait=True``: ``operation`` is a boto3 waiter name)."""

    service: str
    operation: str
    params: dict[str, Any]
    wait: bool = False

    @property
    def permission(self) -> str:
        op = WAITERS.get((self.service, self.operation), self.operation) if self.wait else self.operation
        return iam_action(self.service, op)

    def describe(self) -> str:
        args = json.dumps(self.params, sort_keys=False, default=str)
        if self.wait:
            return f"wait until {self.service} {self.operation} {args}"
        return f"{self.service}:{self.operation} {args}"

    def to_dict(self) -> dict[str, Any]:
        d = {"service": self.service, "operation": self.operation, "params": self.params}
        if self.wait:
            d["wait"] = True
        return d


@dataclass
class Step:
    """What a remediation does to one resource: a summary and the exact calls."""

    control_id: str
    resource_type: str
    resource_id: str
    resource_arn: str | None
    summary: str
    calls: list[Call] = field(default_factory=list)
    #: the step contains the risk (stop, tag) but cannot make the resource pass the control
    contains_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "contains_only": self.contains_only,
                "calls": [c.to_dict() for c in self.calls]}


def step_for(finding, summary: str, calls: list[Call], contains_only: bool = False) -> Step:
    return Step(control_id=finding.control_id, resource_type=finding.resource_type,
                resource_id=finding.resource_id, resource_arn=finding.resource_arn, summary=summary,
                calls=calls, contains_only=contains_only)


# ------------------------------------------------------------------------------ executing
#: how long a wait may take on AWS (notebook instances stop in a few minutes)
WAIT_DELAY_S = 15
WAIT_MAX_ATTEMPTS = 80


def run_calls(step: Step, session) -> list[dict]:
    """Make the step's calls in order; stop at the first failure (StepFailed)."""
    import botocore.exceptions
    from botocore import xform_name

    done: list[dict] = []
    clients: dict[str, Any] = {}
    for call in step.calls:
        client = clients.get(call.service) or clients.setdefault(call.service, session.client(call.service))
        try:
            if call.wait:
                client.get_waiter(call.operation).wait(
                    **call.params, WaiterConfig={"Delay": WAIT_DELAY_S, "MaxAttempts": WAIT_MAX_ATTEMPTS})
                answer: dict = {}
            else:
                answer = getattr(client, xform_name(call.operation))(**call.params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise StepFailed(call, error_text(exc), done) from None
        answer = {k: v for k, v in (answer or {}).items() if k != "ResponseMetadata"}
        done.append({**call.to_dict(), "answer": _jsonable(answer)})
    return done


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


# ------------------------------------------------------------------------------ helpers for modules
def error_text(exc) -> str:
    """One line about a failed call: operation, AWS error code and message."""
    import botocore.exceptions

    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code, message = err.get("Code", "?"), (err.get("Message") or "").strip().splitlines()[:1]
        if code.isdigit():
            return f"{exc.operation_name}: the target answered HTTP {code} (the API is not available there)"
        return f"{exc.operation_name}: {code}" + (f": {message[0][:300]}" if message else "")
    return f"{type(exc).__name__}: {str(exc)[:300]}" if isinstance(exc, BaseException) else str(exc)


def read_failed(what: str, exc) -> NotPlanned:
    """A read the remediation depends on failed: not planned (ERROR), naming the call."""
    return NotPlanned(f"not remediated: {what} could not be read ({error_text(exc)})")


def tag_value(text: str) -> str:
    """A tag value AWS accepts (letters, digits, spaces and _ . : / = + - @; 256 characters)."""
    return _TAG_VALUE_BAD.sub(" ", text)[:256].strip()


def finding_tag(finding, context, what: str) -> dict[str, str]:
    """The tag that marks a resource as contained for a control: key per control, value says why."""
    return {"Key": TAG_PREFIX + finding.control_id,
            "Value": tag_value(f"{context.now} {what}")}


def sagemaker_tags(session, arn: str) -> dict[str, str]:
    """The tags of a SageMaker resource as a dict (raises NotPlanned when they cannot be read)."""
    import botocore.exceptions

    tags: dict[str, str] = {}
    try:
        paginator = session.client("sagemaker").get_paginator("list_tags")
        for page in paginator.paginate(ResourceArn=arn):
            tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"the tags of {arn}", exc) from None
    return tags


def remediation_tags(tags: dict[str, str]) -> dict[str, str]:
    """Only the tags remediations leave (for evidence)."""
    return {k: v for k, v in tags.items() if k.startswith(TAG_PREFIX)}


def notify_call(finding, context, what: str) -> list[Call]:
    """An SNS notification of the finding, when a topic was given (--notify); else nothing."""
    if not context or not context.notify_topic:
        return []
    subject = f"secure-mlops {finding.control_id}: {finding.resource_type} {finding.resource_id}"[:100]
    message = json.dumps({
        "control_id": finding.control_id, "severity": finding.severity, "resource_type": finding.resource_type,
        "resource_id": finding.resource_id, "resource_arn": finding.resource_arn, "account": finding.account,
        "region": finding.region, "finding": finding.message, "action": what,
        "remediated_at": context.now}, indent=2)
    return [Call("sns", "Publish", {"TopicArn": context.notify_topic, "Subject": subject, "Message": message})]
