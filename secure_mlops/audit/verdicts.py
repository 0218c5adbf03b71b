"""From c7n's answers to findings: PASS, FAIL or ERROR per resource, with evidence.

c7n returns only the resources a policy's filters match. The verdict of a resource in the
policy's scope is FAIL when it was matched, PASS when it was not, and ERROR when an
attribute the filters read could not be described (recorded by the resource type) or a
custom filter could not judge it. The evidence is the value of every attribute the value
filters read (keyed by attribute name: an expression records the attributes it reads), plus
what the custom filters recorded.

A FAIL message is one sentence naming the resource and what is wrong: the policy's
``violation``, then the values that decided ("Bucket logs is not encrypted by default with a
KMS key: DefaultEncryption.SSEAlgorithm is 'AES256'.").
"""

from __future__ import annotations

import re
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


def roots_of(expression: str) -> list[str]:
    """The top-level attributes a JMESPath expression reads (``min(A[].B || C)`` -> A, C)."""
    import jmespath

    found: list[str] = []

    def walk(node: dict, at_root: bool) -> None:
        kind, children = node.get("type"), node.get("children") or []
        if kind == "field":
            if at_root and node["value"] not in found:
                found.append(node["value"])
        elif kind in ("subexpression", "projection", "filter_projection", "value_projection", "index_expression",
                      "pipe"):
            if children:
                walk(children[0], at_root)
            for c in children[1:]:
                walk(c, False)  # evaluated against what the left side produced
        else:  # functions, or/and/not, comparisons, multi-selects, flatten: against the same node
            for c in children:
                walk(c, at_root)

    try:
        walk(jmespath.compile(expression).parsed, True)
    except jmespath.exceptions.JMESPathError:
        return []
    return found


def reads(*managers) -> tuple[list[tuple[Any, str]], set[str]]:
    """The value filters (with their keys) and the top-level attributes the policy reads."""
    value_filters, roots = [], set()
    for m in managers:
        for f, key in _value_filters(m):
            value_filters.append((f, key))
            roots.update(roots_of(key))
        for f in m.iter_filters():
            roots.update(getattr(f, "reads", ()))
    return value_filters, roots


def is_attribute(key: str) -> bool:
    from .rules import ATTRIBUTE

    return bool(ATTRIBUTE.match(key))


def evidence_of(job, value_filters, r: dict) -> dict[str, Any]:
    """The values that decide the verdict, keyed by attribute name."""
    evidence: dict[str, Any] = {}
    for f, key in value_filters:
        if is_attribute(key):
            try:
                evidence[key] = f.get_resource_value(key, r)
            except Exception:  # noqa: BLE001
                evidence[key] = None
        else:  # an expression: the attributes it reads
            for root in roots_of(key):
                evidence[root] = r.get(root)
    for name, expression in job.rule.evidence:
        # JSON values only (c7n annotates tuples, which JMESPath does not treat as lists)
        evidence[name] = jmespath_search(expression, {k: _jsonable(r.get(k)) for k in roots_of(expression)})
    evidence.update(r.get(EVIDENCE) or {})
    return evidence


def _label(manager) -> str:
    model = manager.get_model()
    return getattr(model, "cfn_type", None) or manager.data.get("resource", manager.type)


def judge(job, account: str, region: str, scope_mgr, check_mgr, applicable: list[dict],
          failed: list[dict]) -> list[Finding]:
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
        evidence = evidence_of(job, value_filters, r)
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
            message = fail_message(job, rtype, rid, r, check_keys)
        else:
            status = Status.PASS
            message = f"{job.control.title}: yes ({job.control.pass_when})"
        out.append(_finding(job, account, region, status, rtype, rid, arn, message, evidence))
    return out


def undecided(job, account: str, region: str, scope_mgr, applicable: list[dict], message: str) -> list[Finding]:
    """ERROR for each resource in the policy's scope: the context its verdict needs is missing."""
    try:
        arns = scope_mgr.get_arns(applicable)
    except Exception:  # noqa: BLE001 - some types have no ARN
        arns = [None] * len(applicable)
    rtype = _label(scope_mgr)
    return [_finding(job, account, region, Status.ERROR, rtype, resource_id(scope_mgr, r, arn), arn, message, {})
            for r, arn in zip(applicable, arns)]


def resource_id(manager, r: dict, arn: str | None) -> str:
    """How a finding names its resource: the audit types' names (bucket, notebook, role, ...),
    the stock EC2 types' ids (sg-..., vpc-...: their names are not unique)."""
    model = manager.get_model()
    if manager.type.startswith("audit-") and model.name and r.get(model.name):
        return str(r[model.name])
    return str(r.get(model.id) or r.get(model.name) or arn)


#: how a message names a resource of each type ("Bucket logs", "Security group sg-1")
NOUNS = {
    "AWS::CodeArtifact::Repository": "CodeArtifact repository", "AWS::CodeCommit::Repository": "CodeCommit repository",
    "AWS::CodePipeline::Pipeline": "CodePipeline pipeline", "AWS::CloudTrail::Trail": "Trail",
    "AWS::EC2::VPCEndpoint": "VPC endpoint", "AWS::ECR::Repository": "ECR repository", "AWS::IAM::Role": "Role",
    "AWS::KMS::Key": "KMS key", "AWS::S3::Bucket": "Bucket", "AWS::SageMaker::Domain": "Studio domain",
    "AWS::SageMaker::EndpointConfig": "Endpoint configuration", "AWS::SageMaker::Pipeline": "Pipeline",
}


def subject(resource_type: str, rid: str) -> str:
    """The resource, as a message names it: "Bucket logs", "Account 1111 in us-east-1"."""
    if resource_type == "AWS::Account":
        account, region, *env = rid.split("/", 2)
        return f"Environment {env[0]} ({account}, {region})" if env else f"Account {account} in {region}"
    noun = NOUNS.get(resource_type)
    if noun is None:  # AWS::SageMaker::NotebookInstance -> Notebook instance
        words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]*", resource_type.rsplit("::", 1)[-1])
        noun = " ".join([words[0]] + [w if w.isupper() else w.lower() for w in words[1:]]) if words else "Resource"
    return f"{noun} {rid}"


def fail_message(job, rtype: str, rid: str, r: dict, check_keys: list[str]) -> str:
    """One sentence: the resource, what is wrong (the policy's violation), the values that decided."""
    details: list[str] = []
    reasons = [str(x) for x in r.get(REASONS) or []]
    matched = [k for k in r.get("c7n:MatchedFilters") or [] if k in check_keys]
    if not matched and not reasons:  # c7n did not say which value filter matched: show them all
        matched = check_keys
    for key in dict.fromkeys(matched):
        if is_attribute(key):  # an expression says nothing a reader can use: the violation does
            value = jmespath_search(key, r)
            details.append(f"{key} is {_value(value)}")
    details.extend(reasons)
    violation = job.rule.violation_text(job.variables) or f"fails {job.control.id}"
    text = f"{subject(rtype, rid)} {violation}"
    if details:
        text += ": " + "; ".join(dict.fromkeys(details))
    return text.rstrip(".") + "."


def _value(value) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return str(value).lower()
    return _short(value)


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
            winner.message = _join(winner, loser)
        merged = dict(loser.evidence or {})
        merged.update(winner.evidence or {})
        winner.evidence = merged
        best[key] = winner
    return list(best.values())


def _join(a: Finding, b: Finding) -> str:
    """Two messages about one resource: the same said once; two FAILs in one sentence."""
    if b.message == a.message or b.message in a.message.split(" | "):
        return a.message
    if a.status is Status.FAIL:
        who = subject(a.resource_type, a.resource_id) + " "
        if a.message.startswith(who) and b.message.startswith(who):
            return f"{a.message.rstrip('.')}; and {b.message[len(who):]}"
    return f"{a.message} | {b.message}"


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
