"""Resource-policy evaluation as AWS does it for one request (a helper, not an extension).

moto evaluates bucket policies without their conditions: a statement with a Condition is
treated as matching whatever the request (so a TLS-only Deny denies every request). This
evaluates a policy for one request context the way IAM documents it:

- a statement applies when its Action/NotAction, Resource/NotResource,
  Principal/NotPrincipal and every Condition match;
- a missing condition key makes a condition false, except for negated operators
  (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``...), ``...IfExists`` operators,
  ``ForAllValues:`` and ``Null: true``, for which it is true;
- an applicable Deny wins; else an applicable Allow permits; else the policy is neutral;
- a condition operator this evaluator does not implement (``Date...``, ``Binary...``) fails
  closed: its Deny statement applies, its Allow statement does not.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

ALLOW, DENY, NEUTRAL = "Allow", "Deny", "Neutral"

#: the condition operators evaluated here (without IfExists / set prefixes)
OPERATORS = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals", "Bool", "NumericEquals",
    "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
    "NumericGreaterThanEquals", "IpAddress", "NotIpAddress",
})


class Unevaluable(Exception):
    """A condition this evaluator cannot decide (an operator it does not implement)."""


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str, case: bool = True) -> bool:
    """IAM wildcards: ``*`` any run of characters, ``?`` any one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


def _matches_any(patterns: Any, value: str, case: bool = True) -> bool:
    return any(_like(str(p), value, case) for p in _as_list(patterns))


def _principal_matches(principal: Any, ctx: dict[str, Any]) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    caller = ctx.get("aws:PrincipalArn", "")
    account = ctx.get("aws:PrincipalAccount", "")
    for arn in _as_list(principal.get("AWS")):
        arn = str(arn)
        if arn == "*" or arn == caller or arn in (account, f"arn:aws:iam::{account}:root"):
            return True
    services = _as_list(principal.get("Service"))
    return bool(ctx.get("service")) and ctx["service"] in services


def _compare(op: str, expected: list, actual: list) -> bool:
    """One operator (without IfExists / set prefixes) over present values."""
    base = op
    if base in ("StringEquals", "StringNotEquals"):
        hit = any(str(a) == str(e) for a in actual for e in expected)
    elif base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        hit = any(str(a).lower() == str(e).lower() for a in actual for e in expected)
    elif base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"):
        hit = any(_like(str(e), str(a)) for a in actual for e in expected)
    elif base == "Bool":
        hit = any(str(a).lower() == str(e).lower() for a in actual for e in expected)
    elif base.startswith("Numeric"):
        def num(x: Any) -> float:
            return float(x)
        checks = {"NumericEquals": lambda a, e: a == e, "NumericNotEquals": lambda a, e: a == e,
                  "NumericLessThan": lambda a, e: a < e, "NumericLessThanEquals": lambda a, e: a <= e,
                  "NumericGreaterThan": lambda a, e: a > e, "NumericGreaterThanEquals": lambda a, e: a >= e}
        hit = any(checks[base](num(a), num(e)) for a in actual for e in expected)
    elif base in ("IpAddress", "NotIpAddress"):
        hit = any(ipaddress.ip_address(str(a)) in ipaddress.ip_network(str(e), strict=False)
                  for a in actual for e in expected)
    else:
        raise Unevaluable(op)
    negated = "Not" in base
    return (not hit) if negated else hit


def _lookup(ctx: dict[str, Any], key: str) -> tuple[bool, Any]:
    """Condition keys are case-insensitive in IAM (``aws:sourceVpce`` is ``aws:SourceVpce``)."""
    if key in ctx:
        return True, ctx[key]
    lowered = key.lower()
    for name, value in ctx.items():
        if name.lower() == lowered:
            return True, value
    return False, None


def condition_holds(op: str, key: str, expected: Any, ctx: dict[str, Any]) -> bool:
    expected = _as_list(expected)
    present, value = _lookup(ctx, key)
    actual = _as_list(value) if present else None
    if op == "Null":
        wants_absent = str(expected[0]).lower() == "true"
        return (actual is None) == wants_absent
    set_op = ""
    if ":" in op:
        set_op, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    op = op[: -len("IfExists")] if if_exists else op
    if op not in OPERATORS:
        raise Unevaluable(op)
    if actual is None:
        if if_exists or set_op == "ForAllValues":
            return True
        return "Not" in op
    if set_op == "ForAllValues":
        return all(_compare(op, expected, [a]) for a in actual)
    return _compare(op, expected, actual)


def statement_applies(st: dict[str, Any], action: str, resource: str, ctx: dict[str, Any]) -> bool:
    if "NotAction" in st:
        if _matches_any(st["NotAction"], action, case=False):
            return False
    elif not _matches_any(st.get("Action"), action, case=False):
        return False
    if "NotResource" in st:
        if _matches_any(st["NotResource"], resource):
            return False
    elif "Resource" in st and not _matches_any(st["Resource"], resource):
        return False
    if "NotPrincipal" in st:
        if _principal_matches(st["NotPrincipal"], ctx):
            return False
    elif "Principal" in st and not _principal_matches(st["Principal"], ctx):
        return False
    for op, conditions in (st.get("Condition") or {}).items():
        for key, expected in conditions.items():
            if not condition_holds(op, key, expected, ctx):
                return False
    return True


def evaluate(policy: dict[str, Any], action: str, resource: str, ctx: dict[str, Any]) -> str:
    """ALLOW, DENY or NEUTRAL for one request against one resource policy."""
    result = NEUTRAL
    for st in _as_list(policy.get("Statement")):
        if not isinstance(st, dict):
            continue
        try:
            applies = statement_applies(st, action, resource, ctx)
        except Unevaluable:  # fail closed: an undecidable Deny denies, an undecidable Allow allows nothing
            applies = st.get("Effect") == "Deny"
        if not applies:
            continue
        if st.get("Effect") == "Deny":
            return DENY
        if st.get("Effect") == "Allow":
            result = ALLOW
    return result


def _role_arn(account_id: str, role_name: str) -> str:
    """The IAM ARN of a role (its path included: ``role/service-role/Name``), as aws:PrincipalArn has it."""
    try:
        from moto.iam.models import iam_backends

        return iam_backends[account_id]["global"].get_role(role_name).arn
    except Exception:  # the role is gone: its ARN without a path
        return f"arn:aws:iam::{account_id}:role/{role_name}"


def request_context(account_id: str, caller_arn: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The context AWS builds for a call of this tool: HTTPS, signed by ``caller_arn``.

    The emulator stands in for AWS's HTTPS endpoints, so ``aws:SecureTransport`` is true; the
    caller is not an AWS service and does not come through a VPC endpoint (those keys are absent).
    """
    principal = caller_arn
    if caller_arn.startswith("arn:aws:sts::") and ":user/" in caller_arn:
        principal = caller_arn.replace("arn:aws:sts::", "arn:aws:iam::", 1)  # moto's default identity
    if ":assumed-role/" in caller_arn:  # arn:aws:sts::A:assumed-role/ROLE/SESSION -> the role, with its path
        role_account = caller_arn.split(":")[4] or account_id
        role = caller_arn.split(":assumed-role/", 1)[1].split("/")[0]
        principal = _role_arn(role_account, role)
    ctx: dict[str, Any] = {
        "aws:SecureTransport": "true",
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": account_id,
        "aws:PrincipalIsAWSService": "false",
        "aws:PrincipalType": "AssumedRole" if ":assumed-role/" in caller_arn else "User",
    }
    for header, key in (("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
                        ("x-amz-server-side-encryption-aws-kms-key-id",
                         "s3:x-amz-server-side-encryption-aws-kms-key-id"),
                        ("x-amz-acl", "s3:x-amz-acl")):
        value = (headers or {}).get(header) or (headers or {}).get(header.title())
        if value:
            ctx[key] = value
    return ctx
