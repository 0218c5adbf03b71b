"""How a declared value is compared with what a service reports: scalars, sets, policies.

Pure functions (no AWS calls), so every rule here is unit-tested on its own.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any, Iterator


class _Sentinel:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: the template does not declare the property
MISSING = _Sentinel("(not declared)")
#: the service does not report the property
ABSENT = _Sentinel("(absent)")

_ACCOUNT = re.compile(r"^\d{12}$")


def scalar(value: Any) -> Any:
    """CloudFormation passes scalars as strings: true == "true", 5 == "5"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def equal(declared: Any, actual: Any) -> bool:
    """Deep equality with scalars compared as CloudFormation passes them."""
    if isinstance(declared, dict) and isinstance(actual, dict):
        return declared.keys() == actual.keys() and all(equal(declared[k], actual[k]) for k in declared)
    if isinstance(declared, list) and isinstance(actual, list):
        return len(declared) == len(actual) and all(equal(d, a) for d, a in zip(declared, actual))
    if isinstance(declared, (dict, list)) or isinstance(actual, (dict, list)):
        return False
    return scalar(declared) == scalar(actual)


def walk(declared: Any, actual: Any, path: str = "") -> Iterator[tuple[str, Any, Any, bool]]:
    """Compare only what the template declares: yields (path, declared, actual, equal) per leaf.

    Mappings are walked key by key (keys the service adds are not compared); lists are
    compared element by element and must have the same length.
    """
    if isinstance(declared, dict):
        if not isinstance(actual, dict):
            yield path, declared, actual, False
            return
        for key, value in declared.items():
            yield from walk(value, actual.get(key, ABSENT), f"{path}.{key}" if path else key)
        return
    if isinstance(declared, list):
        if not isinstance(actual, list) or len(actual) != len(declared):
            yield path, declared, actual, False
            return
        for i, (d, a) in enumerate(zip(declared, actual)):
            yield from walk(d, a, f"{path}[{i}]")
        return
    yield path, declared, actual, (actual is not ABSENT and equal(declared, actual))


def as_list(value: Any) -> list:
    if value is None or value is ABSENT or value is MISSING:
        return []
    return value if isinstance(value, list) else [value]


def same_set(declared: Any, actual: Any) -> bool:
    return sorted(map(str, map(scalar, as_list(declared)))) == sorted(map(str, map(scalar, as_list(actual))))


# ------------------------------------------------------------------------------ policies
def parse_policy(document: Any) -> Any:
    """A policy document as data (services return JSON strings, some URL-encoded)."""
    if isinstance(document, str):
        text = document.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = urllib.parse.unquote(text)
        return json.loads(text)
    return document


def _values(value: Any, lower: bool = False) -> list:
    items = [scalar(v) for v in as_list(value)]
    items = [v.lower() if lower and isinstance(v, str) else v for v in items]
    return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))


def _principal(value: Any, partition: str) -> Any:
    if isinstance(value, str):
        return value  # "*"
    if not isinstance(value, dict):
        return value
    out = {}
    for kind, ids in value.items():
        ids = as_list(ids)
        if kind == "AWS":
            ids = [f"arn:{partition}:iam::{i}:root" if isinstance(i, str) and _ACCOUNT.match(i) else i
                   for i in ids]
        out[kind] = _values(ids)
    return out


def _statement(statement: dict, partition: str) -> dict:
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key == "Sid":
            continue  # a label: no effect on what the policy allows
        if key in ("Action", "NotAction"):
            out[key] = _values(value, lower=True)  # action names are case-insensitive
        elif key in ("Resource", "NotResource"):
            out[key] = _values(value)
        elif key in ("Principal", "NotPrincipal"):
            out[key] = _principal(value, partition)
        elif key == "Condition" and isinstance(value, dict):
            out[key] = {op: {k.lower(): _values(v) for k, v in (body or {}).items()}
                        for op, body in value.items()}
        else:
            out[key] = scalar(value)
    return out


def canonical_policy(document: Any, partition: str = "aws") -> dict:
    """The meaning of a policy document, independent of ordering and single/list forms."""
    doc = parse_policy(document)
    if not isinstance(doc, dict):
        raise ValueError(f"not a policy document: {document!r}")
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    canon = sorted((_statement(s, partition) for s in statements), key=lambda s: json.dumps(s, sort_keys=True))
    out: dict[str, Any] = {"Version": doc.get("Version", "2008-10-17"), "Statement": canon}
    if "Id" in doc:
        out["Id"] = doc["Id"]
    return out


def policy_difference(declared: Any, actual: Any, partition: str = "aws") -> str | None:
    """None when the two policies mean the same; otherwise a short description of the difference."""
    try:
        d = canonical_policy(declared, partition)
    except (ValueError, TypeError) as exc:
        return f"the declared policy is not a policy document ({exc})"
    try:
        a = canonical_policy(actual, partition)
    except (ValueError, TypeError) as exc:
        return f"the service returned something that is not a policy document ({exc})"
    if d == a:
        return None
    parts = []
    if d["Version"] != a["Version"]:
        parts.append(f"Version {d['Version']} != {a['Version']}")
    dump = lambda s: json.dumps(s, sort_keys=True)  # noqa: E731
    declared_s = {dump(s) for s in d["Statement"]}
    actual_s = {dump(s) for s in a["Statement"]}
    missing = sorted(declared_s - actual_s)
    extra = sorted(actual_s - declared_s)
    if missing:
        parts.append("declared statements not in effect: " + "; ".join(missing))
    if extra:
        parts.append("statements in effect but not declared: " + "; ".join(extra))
    if not parts and d.get("Id") != a.get("Id"):
        parts.append(f"Id {d.get('Id')!r} != {a.get('Id')!r}")
    return ", ".join(parts) or "the statements differ"
