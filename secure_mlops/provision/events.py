"""Stack events: follow a stack operation as CloudFormation reports it, and find why it failed.

``watch_stack`` polls ``DescribeStackEvents`` and ``DescribeStacks`` until the stack leaves its
``*_IN_PROGRESS`` state, printing every new event as it arrives under a rich progress bar
(resources finished / resources in the operation). ``root_cause`` picks the event that explains
a failure: the first resource that failed for a reason of its own (CloudFormation marks the
resources it gave up on afterwards as "Resource creation cancelled").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

#: how often to ask CloudFormation while a stack operation runs (seconds; grows to the max)
POLL_FIRST_S = 1.0
POLL_MAX_S = 5.0
#: CloudFormation's own default stack timeout is unlimited; give up watching after this long
WATCH_TIMEOUT_S = 3 * 3600

STACK_TYPE = "AWS::CloudFormation::Stack"
SUCCESS = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"}
#: final states that mean the operation did not do what was asked
FAILURE = {
    "CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_FAILED",
    "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
    "IMPORT_ROLLBACK_FAILED",
}
_CANCELLED = ("cancelled", "canceled")


def is_terminal(status: str) -> bool:
    """A stack status in which nothing is running (REVIEW_IN_PROGRESS waits for a change set)."""
    return not status.endswith("_IN_PROGRESS") or status == "REVIEW_IN_PROGRESS"


def is_resource_event(event: dict[str, Any]) -> bool:
    return event.get("ResourceType") != STACK_TYPE or event.get("PhysicalResourceId") != event.get("StackId")


def _finished(status: str) -> bool:
    return status.endswith(("_COMPLETE", "_FAILED", "_SKIPPED"))


def root_cause(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The event that explains a failed operation (events in chronological order).

    The first resource event with a *_FAILED status whose reason is not a cancellation; failing
    that, the first failed event of any kind (e.g. a nested stack or the stack itself).
    """
    failed = [e for e in events if str(e.get("ResourceStatus", "")).endswith("_FAILED")]
    for event in failed:
        reason = str(event.get("ResourceStatusReason") or "").lower()
        if is_resource_event(event) and not any(word in reason for word in _CANCELLED):
            return event
    return failed[0] if failed else None


def failed_resources(events: list[dict[str, Any]], status: str = "DELETE_FAILED") -> dict[str, dict[str, Any]]:
    """logical id -> the last event of each resource whose last status is `status`."""
    last: dict[str, dict[str, Any]] = {}
    for event in events:
        if is_resource_event(event):
            last[event["LogicalResourceId"]] = event
    return {lid: e for lid, e in last.items() if e.get("ResourceStatus") == status}


def describe_stack(cf, stack: str) -> dict[str, Any] | None:
    """The stack (by name or id), or None when it does not exist."""
    import botocore.exceptions

    try:
        stacks = cf.describe_stacks(StackName=stack)["Stacks"]
    except botocore.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return stacks[0] if stacks else None


class EventStream:
    """New events of one stack, oldest first; events that existed when it was opened are skipped."""

    def __init__(self, cf, stack_id: str):
        self.cf = cf
        self.stack_id = stack_id
        self.seen: set[str] = set()
        self.events: list[dict[str, Any]] = []  # every new event, chronological
        for event in self._newest_page():
            self.seen.add(event["EventId"])

    def _newest_page(self) -> list[dict[str, Any]]:
        return self.cf.describe_stack_events(StackName=self.stack_id).get("StackEvents", [])

    def poll(self) -> list[dict[str, Any]]:
        """Events that appeared since the last call, oldest first."""
        new: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StackName": self.stack_id}
        while True:
            page = self.cf.describe_stack_events(**kwargs)
            done = False
            for event in page.get("StackEvents", []):  # newest first
                if event["EventId"] in self.seen:
                    done = True
                    break
                new.append(event)
            token = page.get("NextToken")
            if done or not token:
                break
            kwargs["NextToken"] = token
        new.reverse()
        for event in new:
            self.seen.add(event["EventId"])
        self.events.extend(new)
        return new


@dataclass
class WatchResult:
    stack_id: str
    status: str
    reason: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS

    def root_cause(self) -> dict[str, Any] | None:
        return root_cause(self.events)


_STYLE = {"COMPLETE": "green", "FAILED": "bold red", "IN_PROGRESS": "yellow", "SKIPPED": "cyan"}


def format_event(event: dict[str, Any]) -> str:
    """One event as a terminal line (rich markup)."""
    from rich.markup import escape

    status = str(event.get("ResourceStatus", ""))
    style = next((s for key, s in _STYLE.items() if status.endswith(key)), "white")
    if "ROLLBACK" in status and status.endswith("COMPLETE"):
        style = "bold red"
    when = event.get("Timestamp")
    stamp = when.strftime("%H:%M:%S") if hasattr(when, "strftime") else str(when or "")
    line = (f"  {stamp}  [{style}]{status:<20}[/] {escape(str(event.get('LogicalResourceId', '')))} "
            f"[dim]{escape(str(event.get('ResourceType', '')))}[/]")
    reason = event.get("ResourceStatusReason")
    if reason and reason != "User Initiated":
        line += f"  [dim]{escape(str(reason))}[/]"
    return line


def watch_stack(cf, stream: EventStream, label: str, total: int | None, sleep=time.sleep) -> WatchResult:
    """Follow a running stack operation to its end, showing events and a progress bar.

    `total` is the number of resources the operation touches (from the change set), or None.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .. import console as ui

    console = ui.err()
    finished: set[str] = set()
    delay = 0.0
    deadline = time.monotonic() + WATCH_TIMEOUT_S
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        while True:
            if delay:
                sleep(delay)
            for event in stream.poll():
                progress.console.print(format_event(event), markup=True, highlight=False)
                if is_resource_event(event) and _finished(str(event.get("ResourceStatus", ""))):
                    finished.add(event["LogicalResourceId"])
            if total is not None:
                progress.update(task, completed=min(len(finished), total))
            stack = describe_stack(cf, stream.stack_id)
            status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
            progress.update(task, description=f"{label}: {status}")
            if is_terminal(status):
                # events written together with the final status
                for event in stream.poll():
                    progress.console.print(format_event(event), markup=True, highlight=False)
                return WatchResult(stream.stack_id, status, (stack or {}).get("StackStatusReason") or "",
                                   stream.events)
            if time.monotonic() > deadline:
                return WatchResult(stream.stack_id, status,
                                   f"still {status} after {WATCH_TIMEOUT_S // 60} minutes; "
                                   "follow it in the CloudFormation console", stream.events)
            delay = min(POLL_MAX_S, max(POLL_FIRST_S, delay * 1.5))
