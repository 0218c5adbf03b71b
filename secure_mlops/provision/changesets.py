"""Change sets: what a deployment would change, created, waited for, shown and cleaned up.

Every create and update goes through a change set, so ``provision --plan`` shows exactly what
``provision`` would do. A change set that would change nothing ends ``FAILED`` on AWS with
"The submitted information didn't contain changes..." (older regions and some emulators answer
``CreateChangeSet`` itself with "No updates are to be performed."): both mean *no change*.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .deploy_errors import DeployError, aws_error_text

POLL_FIRST_S = 0.5
POLL_MAX_S = 5.0
CREATE_TIMEOUT_S = 15 * 60
NO_CHANGE_REASONS = ("didn't contain changes", "did not contain changes", "no updates are to be performed")
#: the prefix of every change set this tool creates
PREFIX = "secure-mlops-"


def is_no_change(reason: str) -> bool:
    reason = (reason or "").lower()
    return any(text in reason for text in NO_CHANGE_REASONS)


def new_name() -> str:
    return PREFIX + datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")


@dataclass
class ChangeSet:
    stack_name: str
    name: str
    change_set_type: str  # CREATE or UPDATE
    id: str = ""
    stack_id: str = ""
    status: str = ""
    reason: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def no_changes(self) -> bool:
        return self.status == "FAILED" and is_no_change(self.reason) or self.status == "NO_CHANGES"

    def summary(self) -> dict[str, int]:
        """Number of resources added, modified (of which replaced) and removed."""
        counts = {"Add": 0, "Modify": 0, "Remove": 0, "Replace": 0, "Import": 0, "Dynamic": 0}
        for change in self.changes:
            rc = change.get("ResourceChange", {})
            action = rc.get("Action", "")
            counts[action] = counts.get(action, 0) + 1
            if action == "Modify" and rc.get("Replacement") in ("True", "Conditional"):
                counts["Replace"] += 1
        return counts


def create(cf, stack_name: str, change_set_type: str, template: dict[str, str], parameters: dict[str, str],
           tags: dict[str, str], capabilities: list[str], sleep=time.sleep) -> ChangeSet:
    """Create a change set and wait until CloudFormation has computed it.

    `template` is {"TemplateBody": ...} or {"TemplateURL": ...}. Returns the change set with its
    changes, or with ``no_changes`` true. Raises DeployError when CloudFormation refuses it.
    """
    import botocore.exceptions

    cs = ChangeSet(stack_name=stack_name, name=new_name(), change_set_type=change_set_type)
    try:
        resp = cf.create_change_set(
            StackName=stack_name,
            ChangeSetName=cs.name,
            ChangeSetType=change_set_type,
            Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()],
            Tags=[{"Key": k, "Value": str(v)} for k, v in tags.items()],
            Capabilities=list(capabilities),
            Description=f"secure-mlops provision of {stack_name}",
            **template,
        )
    except botocore.exceptions.ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if is_no_change(message):
            cs.status, cs.reason = "NO_CHANGES", message
            return cs
        raise DeployError(f"CloudFormation refused the change set for stack {stack_name}: {message}") from None
    cs.id, cs.stack_id = resp["Id"], resp.get("StackId", "")

    delay = 0.0
    deadline = time.monotonic() + CREATE_TIMEOUT_S
    while True:
        if delay:
            sleep(delay)
        desc = cf.describe_change_set(ChangeSetName=cs.id, StackName=stack_name)
        cs.status, cs.reason = desc["Status"], desc.get("StatusReason") or ""
        cs.stack_id = cs.stack_id or desc.get("StackId", "")
        if cs.status in ("CREATE_COMPLETE", "FAILED"):
            break
        if time.monotonic() > deadline:
            raise DeployError(f"the change set {cs.name} of stack {stack_name} is still {cs.status} "
                              f"after {CREATE_TIMEOUT_S // 60} minutes")
        delay = min(POLL_MAX_S, max(POLL_FIRST_S, delay * 1.5))

    if cs.status == "FAILED":
        if cs.no_changes:
            return cs
        raise DeployError(f"CloudFormation could not create the change set for stack {stack_name}: {cs.reason}")
    cs.changes = _all_changes(cf, cs, desc)
    return cs


def _all_changes(cf, cs: ChangeSet, first: dict[str, Any]) -> list[dict[str, Any]]:
    changes = list(first.get("Changes", []))
    token = first.get("NextToken")
    while token:
        page = cf.describe_change_set(ChangeSetName=cs.id, StackName=cs.stack_name, NextToken=token)
        changes.extend(page.get("Changes", []))
        token = page.get("NextToken")
    return changes


def delete(cf, cs: ChangeSet) -> None:
    """Delete a change set this tool created (it never deletes anything else)."""
    import botocore.exceptions

    if not cs.id:
        return
    try:
        cf.delete_change_set(ChangeSetName=cs.id, StackName=cs.stack_name)
    except botocore.exceptions.ClientError as exc:
        if "does not exist" not in str(exc):
            raise


def execute(cf, cs: ChangeSet) -> None:
    import botocore.exceptions

    try:
        cf.execute_change_set(ChangeSetName=cs.id, StackName=cs.stack_name)
    except botocore.exceptions.ClientError as exc:
        raise DeployError(f"CloudFormation refused to execute the change set of stack {cs.stack_name}: "
                          f"{aws_error_text(exc)}") from None


_ACTION_STYLE = {"Add": "green", "Modify": "yellow", "Remove": "red", "Import": "cyan", "Dynamic": "magenta"}


def render(cs: ChangeSet):
    """A rich table of the change set: action, logical id, type, replacement, what changes."""
    from rich.table import Table

    table = Table(title=f"{cs.stack_name}: {'create' if cs.change_set_type == 'CREATE' else 'update'} "
                        f"({_summary_text(cs)})", title_justify="left")
    for col in ("action", "logical id", "type", "replacement", "changes"):
        table.add_column(col)
    for change in cs.changes:
        rc = change.get("ResourceChange", {})
        action = rc.get("Action", "?")
        style = _ACTION_STYLE.get(action, "white")
        replacement = rc.get("Replacement", "") if action == "Modify" else ""
        if replacement == "True":
            replacement = "[bold red]replace[/]"
        elif replacement == "Conditional":
            replacement = "[yellow]may replace[/]"
        elif replacement == "False":
            replacement = "in place"
        details = sorted({
            (d.get("Target", {}).get("Name") or d.get("Target", {}).get("Attribute") or "")
            for d in rc.get("Details", [])
        } - {""})
        table.add_row(f"[{style}]{action}[/]", rc.get("LogicalResourceId", ""), rc.get("ResourceType", ""),
                      replacement, ", ".join(details))
    return table


def _summary_text(cs: ChangeSet) -> str:
    s = cs.summary()
    text = f"{s['Add']} to add, {s['Modify']} to modify, {s['Remove']} to remove"
    if s["Replace"]:
        text += f", {s['Replace']} replaced"
    return text
