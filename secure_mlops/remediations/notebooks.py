"""Notebook instance containment shared by SM-NB-01, -02, -03 and -05.

A notebook instance that fails one of these controls is stopped (its ML storage volume, and
so the users' work, is kept), updated where the setting can be changed on a stopped instance
(root access, IMDS version), left stopped and tagged with the finding. Settings that cannot
change in place (direct internet access, subnet) need a new instance: the instance is then
contained, not fixed, and the finding says so.
"""

from __future__ import annotations

from typing import Callable

from .base import Call, NoRemedy, finding_tag, read_failed, remediation_tags, sagemaker_tags, step_for
from .context import ensure

#: IAM permissions of the calls below (each notebook module lists them)
PERMISSIONS = ("sagemaker:DescribeNotebookInstance", "sagemaker:ListTags", "sagemaker:StopNotebookInstance",
               "sagemaker:AddTags")

_STOPPED = ("Stopped", "Failed")


def describe(finding, session) -> dict:
    import botocore.exceptions

    try:
        return session.client("sagemaker").describe_notebook_instance(NotebookInstanceName=finding.resource_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"notebook instance {finding.resource_id}", exc) from None


def read(finding, session, keys: tuple[str, ...]) -> dict:
    d = describe(finding, session)
    state = {"NotebookInstanceStatus": d.get("NotebookInstanceStatus")}
    for key in keys:
        state[key] = d.get(key)
    state["RemediationTags"] = remediation_tags(sagemaker_tags(session, d["NotebookInstanceArn"]))
    state["NotebookInstanceArn"] = d["NotebookInstanceArn"]
    return state


def plan(finding, session, context, keys: tuple[str, ...], passes: Callable[[dict], bool], why: str,
         update: dict | None = None, fix: str = "") -> list:
    """Stop (if running), update (if given), tag; [] when the instance already passes."""
    context = ensure(context, session)
    state = read(finding, session, keys)
    if passes(state):
        return []
    name, arn, status = finding.resource_id, state["NotebookInstanceArn"], state["NotebookInstanceStatus"]
    params = {"NotebookInstanceName": name}
    calls: list[Call] = []
    if status == "Deleting":
        raise NoRemedy(f"notebook instance {name} is being deleted")
    if status in ("Pending", "Updating"):
        calls.append(Call("sagemaker", "notebook_instance_in_service", params, wait=True))
    if status in ("Pending", "Updating", "InService"):
        calls.append(Call("sagemaker", "StopNotebookInstance", params))
    if status not in _STOPPED:
        calls.append(Call("sagemaker", "notebook_instance_stopped", params, wait=True))
    if update:
        calls.append(Call("sagemaker", "UpdateNotebookInstance", {**params, **update}))
    tag_key = finding_tag(finding, context, "")["Key"]
    if calls or tag_key not in state["RemediationTags"]:
        done = "stopped and updated" if update else "stopped"
        calls.append(Call("sagemaker", "AddTags", {"ResourceArn": arn, "Tags": [
            finding_tag(finding, context, f"{finding.control_id} {done}: {why}")]}))
    if not calls:
        raise NoRemedy(f"already contained: notebook instance {name} is {status} and tagged {tag_key}="
                       f"{state['RemediationTags'][tag_key]!r}; it still fails: {why}. {fix}".rstrip())
    summary = ("stop the instance" if status not in _STOPPED else f"leave the {status.lower()} instance stopped")
    if update:
        summary += ", set " + ", ".join(f"{k}={v}" for k, v in update.items())
    summary += f", and tag it {tag_key}"
    if not update:
        summary += f" (contained, not fixed: {why})"
    return [step_for(finding, summary, calls, contains_only=not update)]
