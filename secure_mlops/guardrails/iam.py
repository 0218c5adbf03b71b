"""Normal form of IAM policy documents, so that guard rules can apply IAM semantics.

The normal form keeps the meaning of each statement and only makes it regular:

- ``Statement`` is always a list; ``Resource``/``NotResource`` are lists, and
  ``AllSageMakerResources`` is true when some ``Resource`` entry names every SageMaker resource
  of the account and region (``*``, ``arn:aws:sagemaker:*:*:*``, ...); a regular expression
  evaluated here once instead of in every rule clause. ``Action`` and
  ``NotAction`` are replaced by ``Covers`` (below; ``NotAction: true`` marks a complement), which
  keeps the resolved form small: cfn-guard's time grows with the size of what it reads.
- ``Principal`` is a map of lists (``"*"`` becomes ``{"AWS": ["*"]}``).
- ``Condition`` is ``{operator: {key in lower case: [values as strings]}}`` (condition keys are
  case-insensitive; ``true`` becomes ``"true"``); ``ConditionKeys`` lists every key and
  ``ConditionCount`` counts them. Keys in one statement are ANDed, which is why rules that
  look for "deny when X is null" require a statement whose *only* condition is that one.
- ``Covers`` lists which of the actions the controls care about (``ACTIONS``) the statement
  applies to, after expanding wildcards in ``Action`` and the complement of ``NotAction``.
  The literal entries ``"*"``, ``"s3:*"`` and ``"sagemaker:*"`` are covered only when the
  statement applies to *every* action of that scope.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

SM_CREATE_WORKLOADS = (
    "sagemaker:createnotebookinstance", "sagemaker:createtrainingjob", "sagemaker:createprocessingjob",
    "sagemaker:createhyperparametertuningjob", "sagemaker:createmodel",
)
SM_OTHER = (
    "sagemaker:createtransformjob", "sagemaker:createendpointconfig", "sagemaker:createendpoint",
    "sagemaker:createdomain", "sagemaker:createuserprofile", "sagemaker:createmodelpackage",
    "sagemaker:updatemodelpackage", "sagemaker:createpresigneddomainurl",
    "sagemaker:createpresignednotebookinstanceurl", "sagemaker:deletemodel", "sagemaker:deleteendpoint",
    "sagemaker:updateendpoint", "sagemaker:stoptrainingjob", "sagemaker:stopprocessingjob",
    "sagemaker:stopnotebookinstance", "sagemaker:startnotebookinstance", "sagemaker:deletenotebookinstance",
    "sagemaker:describetrainingjob", "sagemaker:describemodel", "sagemaker:invokeendpoint",
    "sagemaker:deletemodelpackage", "sagemaker:deleteuserprofile", "sagemaker:deletedomain",
)
S3_ACTIONS = ("s3:getobject", "s3:putobject", "s3:listbucket", "s3:deleteobject")
WILDCARDS = ("*", "s3:*", "sagemaker:*")
ACTIONS = SM_CREATE_WORKLOADS + SM_OTHER + S3_ACTIONS + WILDCARDS

#: what AWS managed policies grant among ACTIONS (others are treated as unknown)
_ALL_SM = tuple(a for a in ACTIONS if a.startswith("sagemaker:"))
AWS_MANAGED_GRANTS = {
    "AdministratorAccess": ACTIONS,
    "PowerUserAccess": ACTIONS,
    "AmazonSageMakerFullAccess": _ALL_SM,
    "AmazonSageMakerReadOnly": ("sagemaker:describetrainingjob", "sagemaker:describemodel"),
    "AmazonS3FullAccess": S3_ACTIONS + ("s3:*",),
    "AmazonS3ReadOnlyAccess": ("s3:getobject", "s3:listbucket"),
}
#: a Resource entry that names every SageMaker resource of an account and region ("*" included)
ALL_SAGEMAKER_RESOURCES = re.compile(
    r"^(\*|arn:(aws[a-z-]*|\$\{AWS::Partition\}):sagemaker:(\*|[a-z0-9-]+|\$\{AWS::Region\}):"
    r"(\*|[0-9]{12}|\$\{AWS::AccountId\}):\*)$")
AWS_MANAGED_ARN = re.compile(r"^arn:(?:aws[a-z-]*|\$\{AWS::Partition\}):iam::aws:policy/(?:.*/)?([^/]+)$")


@functools.lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern:
    return re.compile("^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                                    for c in pattern.lower()) + "$")


def action_matches(pattern: str, action: str) -> bool:
    return bool(_glob(pattern).match(action))


def covers(actions: list[str] | None, not_actions: list[str] | None) -> list[str]:
    """Which of ACTIONS a statement applies to (see module docstring for the wildcards)."""
    return list(_covers(None if actions is None else tuple(actions),
                        None if not_actions is None else tuple(not_actions)))


@functools.lru_cache(maxsize=4096)
def _covers(actions: tuple[str, ...] | None, not_actions: tuple[str, ...] | None) -> tuple[str, ...]:
    out = []
    for a in ACTIONS:
        if actions is not None:
            if any(action_matches(p, a) for p in actions):
                out.append(a)
        elif not_actions is not None:
            if a in WILDCARDS:
                prefix = "" if a == "*" else a[:-1]
                if not any(p.lower().startswith(prefix) or action_matches(p, a) for p in not_actions):
                    out.append(a)
            elif not any(action_matches(p, a) for p in not_actions):
                out.append(a)
    return tuple(out)


def _as_list(v: Any) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _s(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return re.sub(r"\$\{aws:[^}]*\}", lambda m: m.group(0).lower(), v)
    return v  # an unresolved value stays a map


def _principal(p: Any) -> Any:
    if p == "*":
        return {"AWS": ["*"]}
    if isinstance(p, dict) and "Unresolved" not in p:
        return {k: [x for x in _as_list(v)] for k, v in p.items()}
    return p


def normalise_statement(st: Any) -> dict | None:
    if not isinstance(st, dict):
        return None
    out: dict[str, Any] = {}
    if "Sid" in st:
        out["Sid"] = st["Sid"]
    out["Effect"] = st.get("Effect")
    actions = not_actions = None
    if "Action" in st:
        actions = [a.lower() if isinstance(a, str) else a for a in _as_list(st["Action"])]
    if "NotAction" in st:
        not_actions = [a.lower() if isinstance(a, str) else a for a in _as_list(st["NotAction"])]
        out["NotAction"] = True  # Covers is the complement of the listed actions
    for key in ("Resource", "NotResource"):
        if key in st:
            out[key] = _as_list(st[key])
    out["AllSageMakerResources"] = any(isinstance(r, str) and ALL_SAGEMAKER_RESOURCES.match(r)
                                       for r in out.get("Resource", []))
    for key in ("Principal", "NotPrincipal"):
        if key in st:
            out[key] = _principal(st[key])
    cond_out: dict[str, dict[str, list]] = {}
    keys: list[str] = []
    cond = st.get("Condition")
    if isinstance(cond, dict):
        for op, entries in cond.items():
            if not isinstance(entries, dict):
                cond_out[op] = entries
                keys.append("?")
                continue
            block: dict[str, list] = {}
            for k, v in entries.items():
                lk = k.lower()
                block[lk] = [_s(x) for x in _as_list(v)]
                keys.append(lk)
            cond_out[op] = block
    elif cond is not None:
        cond_out = cond  # unresolved
        keys.append("?")
    if cond is not None:
        out["Condition"] = cond_out
    out["ConditionKeys"] = keys
    out["ConditionCount"] = len(keys)
    str_actions = [a for a in (actions or []) if isinstance(a, str)]
    str_not = [a for a in (not_actions or []) if isinstance(a, str)]
    out["Covers"] = covers(str_actions if actions is not None else None,
                           str_not if not_actions is not None else None)
    return out


def parse_document(doc: Any) -> tuple[list[dict], str | None]:
    """Statements of a policy document (object or JSON string); the reason if unreadable."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            return [], f"the policy document is a string that is not JSON ({exc.msg})"
    if isinstance(doc, dict) and "Unresolved" in doc and len(doc) == 1:
        return [], str(doc["Unresolved"])
    if not isinstance(doc, dict):
        return [], "the policy document is not an object"
    sts = doc.get("Statement")
    if isinstance(sts, dict) and "Unresolved" in sts:
        return [], str(sts["Unresolved"])
    out = [n for n in (normalise_statement(s) for s in _as_list(sts)) if n is not None]
    return out, None


def managed_policy_name(arn: Any) -> str | None:
    """'AdministratorAccess' for arn:aws:iam::aws:policy/AdministratorAccess; None otherwise."""
    if isinstance(arn, str):
        m = AWS_MANAGED_ARN.match(arn)
        if m:
            return m.group(1)
    return None
