"""Plan (dry run) or apply the remediations of FAIL findings, then judge the result.

For each FAIL finding of a selected responsive control, in the target's account and region:

1. ``read`` the resource's relevant attributes (before);
2. ``plan`` the steps (read-only; ``[]`` when the resource already passes);
3. with ``apply``: make the step's calls, then ``read`` again (after).

Planning and applying go finding by finding, so a later plan sees what an earlier step did
(two findings on one notebook instance do not stop it twice). After applying, the audit of
the controls concerned runs again and decides each status: PASS when the control now passes,
FAIL when it still fails (contained, not fixed, or nothing could be done), ERROR when a call
failed or the resource could not be read or re-evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..controls import Control
from ..findings import Finding, Source, Status
from .base import NoRemedy, NotPlanned, Skipped, Step, StepFailed
from .registry import module_for

DRY_RUN, APPLY = "dry-run", "apply"


@dataclass
class Outcome:
    finding: Finding  # the audit finding acted on
    control: Control
    status: Status = Status.ERROR
    message: str = ""
    steps: list[Step] = field(default_factory=list)
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    applied: list[dict] = field(default_factory=list)
    failed_call: str | None = None
    verdict_pending: bool = False  # apply mode: the re-audit decides the status
    skipped: bool = False  # deliberately not done without an explicit choice (still FAIL)

    @property
    def summary(self) -> str:
        return "; ".join(s.summary for s in self.steps)

    def to_finding(self, mode: str) -> Finding:
        f = self.finding
        evidence: dict[str, Any] = {"before": self.before, "planned": [s.to_dict() for s in self.steps]}
        if mode == APPLY:
            evidence["applied"] = self.applied
            evidence["after"] = self.after
        details = {"mode": mode, "audit_message": f.message}
        if (f.details or {}).get("environment"):
            details["environment"] = f.details["environment"]
        if self.failed_call:
            details["failed_call"] = self.failed_call
        return Finding(control_id=f.control_id, status=self.status, severity=self.control.severity,
                       questions=list(self.control.questions), source=Source.LIVE, resource_type=f.resource_type,
                       resource_id=f.resource_id, message=self.message, resource_arn=f.resource_arn,
                       account=f.account, region=f.region, evidence=_jsonable(evidence), details=details)


def actionable(findings: list[Finding], controls: list[Control]) -> list[Finding]:
    """The FAIL findings on live resources of the selected responsive controls, once each."""
    wanted = {c.id for c in controls}
    seen, out = set(), []
    for f in findings:
        key = (f.control_id, f.account, f.region, f.resource_type, f.resource_id)
        if f.status is Status.FAIL and f.source is Source.LIVE and f.control_id in wanted and key not in seen:
            seen.add(key)
            out.append(f)
    return out


def remediate(findings: list[Finding], target, controls: list[Control], context, apply: bool = False,
              on_outcome=None) -> list[Outcome]:
    """Dry run (default) or apply the remediation of every actionable finding."""
    by_id = {c.id: c for c in controls}
    outcomes = []
    for f in actionable(findings, controls):
        o = _one(f, by_id[f.control_id], target, context, apply)
        outcomes.append(o)
        if on_outcome and not o.verdict_pending:
            on_outcome(o)
    pending = [o for o in outcomes if o.verdict_pending]
    if pending:
        _judge(pending, target)
        if on_outcome:
            for o in pending:
                on_outcome(o)
    return outcomes


def _one(f: Finding, control: Control, target, context, apply: bool) -> Outcome:
    from .base import error_text

    o = Outcome(finding=f, control=control)
    if (f.account and target.account and f.account != target.account) or (f.region and f.region != target.region):
        o.message = (f"not remediated: the finding is in account {f.account}, region {f.region}; the target is "
                     f"account {target.account}, region {target.region}. Run remediate there (--region, --profile)")
        return o
    module = module_for(control)
    session = target.session
    no_remedy = None
    try:
        o.before = module.read(f, session)
        o.steps = module.plan(f, session, context)
    except NotPlanned as exc:
        o.message = str(exc)
        return o
    except Skipped as exc:  # nothing done, in a dry run and with --apply: the resource still fails
        o.status, o.message, o.skipped = Status.FAIL, str(exc), True
        return o
    except NoRemedy as exc:
        no_remedy = str(exc)
    except Exception as exc:  # noqa: BLE001 - a failed read is this finding's ERROR; the others go on
        o.message = f"not remediated: {error_text(exc)}"
        return o
    if not apply:
        if no_remedy:
            o.status, o.message = Status.FAIL, f"nothing can be done automatically: {no_remedy}"
        elif not o.steps:
            o.status, o.message = Status.PASS, "already compliant: nothing to do"
        else:
            o.status, o.message = Status.FAIL, f"would {o.summary}"
        return o
    if no_remedy:
        o.message = f"nothing can be done automatically: {no_remedy}"
    for step in o.steps:
        try:
            o.applied.extend(module.apply(step, session))
        except StepFailed as exc:
            o.applied.extend(exc.done)
            o.failed_call = exc.call.describe()
            o.message = f"failed: {exc}"
            break
        except Exception as exc:  # noqa: BLE001
            o.message = f"failed: {error_text(exc)}"
            break
    try:
        o.after = module.read(f, session)
    except Exception as exc:  # noqa: BLE001 - the re-read failing is reported, never passed
        o.after = {"error": f"could not be read again: {exc}"}
    if o.message.startswith("failed"):
        return o  # ERROR: a call failed (what was done before it is in `applied`)
    o.verdict_pending = True
    return o


def _judge(outcomes: list[Outcome], target) -> None:
    """Re-run the audit of the controls concerned; its verdict is each outcome's status."""
    from ..audit import run_audit
    from .base import error_text

    controls = list({o.control.id: o.control for o in outcomes}.values())
    try:
        result = run_audit(target, controls)
        verdicts = {(f.control_id, f.account, f.region, f.resource_id): f for f in result.findings}
    except Exception as exc:  # noqa: BLE001
        for o in outcomes:
            o.status, o.message = Status.ERROR, f"{_done(o)}; could not be re-evaluated: {error_text(exc)}"
        return
    for o in outcomes:
        f = o.finding
        v = verdicts.get((f.control_id, f.account or target.account, f.region or target.region, f.resource_id))
        if v is None:
            o.status = Status.ERROR
            o.message = f"{_done(o)}; not re-evaluated: the audit no longer reports {f.resource_id} for {f.control_id}"
        elif v.status is Status.PASS:
            o.status = Status.PASS
            o.message = f"{_done(o)}; the control now passes" if o.steps else "already compliant: nothing to do"
        elif v.status is Status.FAIL:
            o.status = Status.FAIL
            if not o.steps:
                o.message = o.message or f"still fails: {v.message}"
            elif any(s.contains_only for s in o.steps):
                o.message = f"{_done(o)}; still fails: {v.message}"
            else:
                o.message = f"{_done(o)}, but the control still fails: {v.message}"
        else:
            o.status = Status.ERROR
            o.message = f"{_done(o)}; could not be re-evaluated: {v.message}"


def _done(o: Outcome) -> str:
    return f"did {o.summary}" if o.steps else (o.message or "nothing done")


def _jsonable(value):
    import json

    return json.loads(json.dumps(value, default=str))
