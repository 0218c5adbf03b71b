"""Tag-and-notify containment shared by the SageMaker controls whose setting cannot be
changed on the live resource (SM-DOM-01, SM-EPC-01, SM-MOD-01, SM-REG-02, and SM-JOB-01 after
stopping the job).

The resource is tagged ``secure-mlops:remediation:<control id>`` with the time and the reason,
so its owners (and anyone listing resources by tag) see it, and the finding is published to
the ``--notify`` topic when one is given. The resource stays non-compliant: contained, not
fixed, and the finding says so.
"""

from __future__ import annotations

from .base import Call, NoRemedy, finding_tag, notify_call, step_for
from .context import ensure

TAG_PERMISSIONS = ("sagemaker:ListTags", "sagemaker:AddTags")
PERMISSIONS = TAG_PERMISSIONS + ("sns:Publish",)


def plan(finding, session, context, state: dict, arn: str, why: str, fix: str, first: list[Call] | None = None,
         first_summary: str = "", notify: bool = True) -> list:
    """Tag (and notify); NoRemedy when the resource already carries this control's tag."""
    context = ensure(context, session)
    tag = finding_tag(finding, context, f"{finding.control_id}: {why}")
    first = first or []
    if not first and tag["Key"] in state["RemediationTags"]:
        raise NoRemedy(f"already contained: tagged {tag['Key']}={state['RemediationTags'][tag['Key']]!r}; "
                       f"it still fails: {why}. {fix}".rstrip())
    what = f"tagged {tag['Key']}: {why}. {fix}".strip()
    calls = [*first, Call("sagemaker", "AddTags", {"ResourceArn": arn, "Tags": [tag]}),
             *(notify_call(finding, context, what) if notify else [])]
    summary = (first_summary + ", " if first_summary else "") + f"tag it {tag['Key']}"
    if notify and context.notify_topic:
        summary += f" and notify {context.notify_topic}"
    summary += f" (contained, not fixed: {why})"
    return [step_for(finding, summary, calls, contains_only=True)]
