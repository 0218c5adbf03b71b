"""From c7n's answers to findings: PASS, FAIL or ERROR per resource, with evidence.

c7n returns only the resources a policy's filters match. The verdict of a resource in the
policy's scope is FAIL when it was matched, PASS when it was not, and ERROR when an
attribute the filters read could not be described (recorded by the resource type) or a
custom filter could not judge it. The evidence is the value of every attribute the value
filters read, plus what the custom filters recorded.
"""

from __future__ import annotations

from typing import Any

from c7n.utils import jmespath_search

from ..findings import Finding, Source, Status
from .resources.base import ERRORS, EVIDENCE, NOT_EVALUATED, REASONS

_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.PASS: 2, Status.SUPPRESSED: 3}


def _value_filters(manager):
    from c7n.filters.core import ValueFilter

    for f in manager.iter_filters():
        if isinstance(f, ValueFilter):
            data = f.data
            key = data.get("key") if "key" in data else (next(iter(data)) if len(data) == 1 else None)
            if key and key != "type":
                yield f, key


def reads(*managers) -> tuple[list[tuple[Any, str]], set[str]]:
    """The value filters (with their keys) and the top-level attributes the policy reads."""
    value_filters, roots = [], set()
    for m in managers:
        for f, key in _value_filters(m):
            value_filters.append((f, key))
            roots.add(key.split(".")[0].split("[")[0])
        for f in m.iter_filters():
            roots.update(getattr(f, "reads", ()))
    return value_filters, roots


def _label(manager) -> str:
    model = manager.get_model()
    return getattr(model, "cfn_type", None) or manager.data.get("resource", manager.type)


def judge(job, account: str, region: str, scope_mgr, check_mgr, applicable: list[dict],
          failed: list[dict]) -> list[Finding]:
    model = check_mgr.get_model()
    failed_ids = {id(r) for r in failed}
    value_filters, roots = reads(scope_mgr, check_mgr)
    check_keys = [key for _, key in _value_filters(check_mgr)]
    try:
        arns = check_mgr.get_arns(applicable)
    except Exception:  # noqa: BLE001 - some types have no ARN
        arns = [None] * len(applicable)
    rtype = _label(check_mgr)
    out = []
    for r, arn in zip(applicable, arns):
        rid = resource_id(check_mgr, r, arn)
        evidence: dict[str, Any] = {}
        for f, key in value_filters:
            try:
                evidence[key] = f.get_resource_value(key, r)
            except Exception:  # noqa: BLE001
                evidence[key] = None
        for key in job.rule.evidence:
            evidence[key] = jmespath_search(key, r)
        evidence.update(r.get(EVIDENCE) or {})
        errors = r.get(ERRORS) or {}
        relevant = {k: v for k, v in errors.items() if k == "*" or k in roots}
        if relevant:
            status = Status.ERROR
            message = "not evaluated: " + "; ".join(f"{k}: {v}" if k != "*" else v for k, v in relevant.items())
        elif r.get(NOT_EVALUATED):
            status = Status.ERROR
            message = f"not evaluated: {r[NOT_EVALUATED]}"
        elif id(r) in failed_ids:
            status = Status.FAIL
            message = _fail_message(job, r, evidence, check_keys)
        else:
            status = Status.PASS
            message = f"{job.control.title}: yes ({job.control.pass_when})"
        out.append(_finding(job, account, region, status, rtype, rid, arn, message, evidence))
    return out


def resource_id(manager, r: dict, arn: str | None) -> str:
    """How a finding names its resource: the audit types' names (bucket, notebook, role, ...),
    the stock EC2 types' ids (sg-..., vpc-...: their names are not unique)."""
    model = manager.get_model()
    if manager.type.startswith("audit-") and model.name and r.get(model.name):
        return str(r[model.name])
    return str(r.get(model.id) or r.get(model.name) or arn)


def _fail_message(job, r: dict, evidence: dict, check_keys: list[str]) -> str:
    reasons = list(r.get(REASONS) or [])
    if not reasons:
        matched = [k for k in r.get("c7n:MatchedFilters") or [] if k in check_keys] or check_keys
        reasons = [f"{k} is {_short(evidence.get(k))}" for k in dict.fromkeys(matched) if k in evidence]
    why = "; ".join(reasons) or f"not true: {job.rule.description}"
    return f"{job.control.title}: no — {why}. Required: {job.control.pass_when}"


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _finding(job, account, region, status, rtype, rid, arn, message, evidence) -> Finding:
    details = {"policy": job.rule.name}
    if job.env:
        details["environment"] = job.env
    return Finding(control_id=job.control.id, status=status, severity=job.control.severity,
                   questions=list(job.control.questions), source=Source.LIVE, resource_type=rtype,
                   resource_id=rid, message=message, resource_arn=arn, account=account, region=region,
                   evidence=_jsonable(evidence), details=details)


def error_finding(job, account: str, region: str, message: str) -> Finding:
    """The whole policy could not run: one ERROR for its control in this account-region."""
    from c7n.provider import get_resource_class

    try:
        model = get_resource_class(job.rule.resource).get_model()
        rtype = getattr(model, "cfn_type", None) or job.rule.resource
    except Exception:  # noqa: BLE001
        rtype = job.rule.resource
    return _finding(job, account, region, Status.ERROR, rtype, f"{account}/{region}",
                    None, message, {"policy": job.rule.name})


def merge(findings: list[Finding]) -> list[Finding]:
    """One finding per control and resource: FAIL over ERROR over PASS (a control may have
    several policies reading the same resource, or judge it once per environment)."""
    best: dict[tuple, Finding] = {}
    for f in findings:
        key = (f.control_id, f.account, f.region, f.resource_type, f.resource_id, f.resource_arn)
        have = best.get(key)
        if have is None:
            best[key] = f
            continue
        winner, loser = (f, have) if _ORDER[f.status] < _ORDER[have.status] else (have, f)
        if winner.status == loser.status and winner.status is not Status.PASS:
            winner.message = f"{winner.message} | {loser.message}"
        merged = dict(loser.evidence or {})
        merged.update(winner.evidence or {})
        winner.evidence = merged
        best[key] = winner
    return list(best.values())


def _jsonable(value):
    import datetime

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
