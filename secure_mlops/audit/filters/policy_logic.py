"""What an IAM-style policy document does in a given situation: the semantics the controls need.

A *situation* is a partial request context: condition keys and their values (``None``
means the key is absent from the request), e.g. ``{"sagemaker:VpcSubnets": None}`` for a
CreateTrainingJob call made without subnets. A condition block holds in a situation when
every operator/key pair in it holds: keys in one block are ANDed, so a Deny whose block
names two keys does not apply when only one of them is missing. A key the situation does
not mention is *unknown*:

- a Deny is relied on only when its condition certainly holds (unknown → not relied on);
- an Allow is assumed to apply unless its condition certainly does not hold.

This is the conservative reading for a security control: it never concludes that a call is
blocked unless the policy says so for that situation.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Iterable

UNKNOWN = None  # tri-state: True, False, or None for "depends on something we do not know"

_NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
            "NumericNotEquals", "DateNotEquals", "NotIpAddress")
_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def statements(doc: dict | None) -> list[dict]:
    """The statements of a policy document, each with list-valued Action/Resource fields."""
    if not doc:
        return []
    raw = doc.get("Statement") or []
    out = []
    for st in [raw] if isinstance(raw, dict) else raw:
        st = dict(st)
        for k in ("Action", "NotAction", "Resource", "NotResource"):
            if k in st and isinstance(st[k], str):
                st[k] = [st[k]]
        out.append(st)
    return out


def wildcard_match(pattern: str, value: str, ignore_case: bool = True) -> bool:
    """IAM wildcards: * any run of characters, ? one character."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def covers_action(st: dict, action: str) -> bool:
    if "Action" in st:
        return any(wildcard_match(p, action) for p in st["Action"])
    if "NotAction" in st:
        return not any(wildcard_match(p, action) or wildcard_match(action, p) for p in st["NotAction"])
    return False


def covers_resource(st: dict, arn: str, lenient: bool = False) -> bool:
    """Does the statement apply to `arn`? `lenient`: also if it applies to another resource of its type.

    Allows are read leniently (an Allow on ``training-job/team-a-*`` still allows creating
    training jobs); Denies strictly (a Deny on ``training-job/team-a-*`` does not deny them all).
    """
    def match(p: str) -> bool:
        if wildcard_match(p, arn, ignore_case=False):
            return True
        if lenient and "/" in p and "/" in arn:
            return wildcard_match(p.split("/", 1)[0] + "/*", arn, ignore_case=False)
        return False

    if "Resource" in st:
        return any(match(p) for p in st["Resource"])
    if "NotResource" in st:
        return not any(wildcard_match(p, arn, ignore_case=False) for p in st["NotResource"])
    return True  # trust policies and resource policies may omit Resource


def principal_is_everyone(st: dict) -> bool:
    p = st.get("Principal")
    if p == "*":
        return True
    if isinstance(p, dict):
        aws = p.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _lookup(situation: dict, key: str) -> tuple[bool, Any]:
    for k, v in situation.items():
        if k.lower() == key.lower():
            return True, v
    return False, None


def _substitute(value: str, situation: dict) -> str | None:
    """Replace ${aws:PrincipalTag/team}-style variables; None when one is unknown."""
    missing = False

    def repl(m):
        nonlocal missing
        known, v = _lookup(situation, m.group(1))
        if not known or v is None:
            missing = True
            return ""
        return str(v)

    out = _VARIABLE.sub(repl, value)
    return None if missing else out


def _compare(base: str, actual: str, expected: str) -> bool | None:
    if base in ("StringEquals", "StringNotEquals"):
        return actual == expected
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return actual.lower() == expected.lower()
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"):
        return wildcard_match(expected, actual, ignore_case=False)
    if base == "Bool":
        return actual.lower() == expected.lower()
    if base.startswith("Numeric"):
        try:
            a, e = float(actual), float(expected)
        except ValueError:
            return None
        return {"NumericEquals": a == e, "NumericNotEquals": a == e, "NumericLessThan": a < e,
                "NumericLessThanEquals": a <= e, "NumericGreaterThan": a > e,
                "NumericGreaterThanEquals": a >= e}.get(base)
    return None


def evaluate_operator(op: str, key: str, values, situation: dict) -> bool | None:
    """One operator/key pair of a condition block in a situation (True, False, or None=unknown)."""
    qualifier = ""
    if ":" in op:
        qualifier, op = op.split(":", 1)
    if_exists = op.endswith("IfExists")
    base = op[: -len("IfExists")] if if_exists else op
    known, actual = _lookup(situation, key)
    if not known:
        return UNKNOWN
    expected = values if isinstance(values, list) else [values]
    expected = [str(v).lower() if isinstance(v, bool) else str(v) for v in expected]
    if base == "Null":
        want_absent = any(v.lower() == "true" for v in expected)
        return (actual is None) == want_absent
    if actual is None:
        if if_exists or base in _NEGATED:
            return True
        return qualifier == "ForAllValues"  # vacuously true for an empty set
    actuals = actual if isinstance(actual, list) else [actual]
    actuals = [str(a).lower() if isinstance(a, bool) else str(a) for a in actuals]
    resolved = []
    for e in expected:
        s = _substitute(e, situation)
        if s is None:
            return UNKNOWN
        resolved.append(s)

    def one(a: str) -> bool | None:
        results = [_compare(base, a, e) for e in resolved]
        if any(r is None for r in results):
            return UNKNOWN
        matched = any(results)
        return (not matched) if base in _NEGATED else matched

    per_value = [one(a) for a in actuals]
    if any(r is None for r in per_value):
        return UNKNOWN
    if qualifier == "ForAllValues":
        return all(per_value)
    return any(per_value)


def condition_holds(block: dict | None, situation: dict) -> bool | None:
    """A whole condition block (ANDed): True, False, or None when it depends on unknown keys."""
    if not block:
        return True
    result: bool | None = True
    for op, pairs in block.items():
        for key, values in (pairs or {}).items():
            r = evaluate_operator(op, key, values, situation)
            if r is False:
                return False
            if r is None:
                result = UNKNOWN
    return result


def can_perform(docs: Iterable[tuple[str, dict]], action: str, resource_arn: str,
                situation: dict) -> tuple[bool, list[str]]:
    """Could a principal with these identity policies make `action` on `resource_arn` in `situation`?

    Returns (possible, reasons): the Allow statements that would let it through, or why not.
    """
    allows, denies = [], []
    for label, doc in docs:
        for i, st in enumerate(statements(doc)):
            if not covers_action(st, action):
                continue
            where = f"{label} statement {st.get('Sid') or i}"
            holds = condition_holds(st.get("Condition"), situation)
            if st.get("Effect") == "Deny" and covers_resource(st, resource_arn) and holds is True:
                denies.append(where)
            elif st.get("Effect") == "Allow" and covers_resource(st, resource_arn, lenient=True) and holds is not False:
                allows.append(where)
    if denies:
        return False, [f"denied by {d}" for d in denies]
    if not allows:
        return False, ["not allowed by any statement"]
    return True, [f"allowed by {a}" for a in allows]


def denied_for_everyone(doc: dict | None, action: str, resource_arn: str, situation: dict) -> str | None:
    """The Deny statement of a resource policy that blocks everyone here, or None."""
    for i, st in enumerate(statements(doc)):
        if (st.get("Effect") == "Deny" and principal_is_everyone(st) and covers_action(st, action)
                and covers_resource(st, resource_arn) and condition_holds(st.get("Condition"), situation) is True):
            return str(st.get("Sid") or i)
    return None


def resource_arn_for(action: str, region: str, account: str) -> str:
    """A representative ARN of the resource a SageMaker-style action acts on.

    sagemaker:CreateTrainingJob -> arn:aws:sagemaker:<region>:<account>:training-job/example
    """
    service, _, name = action.partition(":")
    noun = re.sub(r"^(Create|Delete|Update|Stop|Start|Describe|List|Put|Get|Add|Invoke)", "", name)
    noun = re.sub(r"(?<!^)([A-Z])", r"-\1", noun).lower() or "resource"
    return f"arn:aws:{service}:{region}:{account}:{noun}/example"
