"""Filters that read resource policies: bucket policies, key policies, endpoint and group policies.

``missing-deny`` (``aws.audit-bucket``; S3-03, S3-04): matches buckets whose policy does
not deny every one of ``actions`` on every one of ``resources``, to every principal, in
every one of ``situations``::

    - type: missing-deny
      actions: [s3:GetObject, s3:PutObject, s3:ListBucket]
      resources: ["arn:aws:s3:::{Name}", "arn:aws:s3:::{Name}/*"]   # {Name}: the bucket's name
      situations:
        - {aws:SecureTransport: false}

``wildcard-allow`` (``aws.audit-kms-key``; KMS-02): matches keys whose policy has an Allow
for Principal "*" that could apply in ``situation`` (a caller from outside the account):
such a statement has no limiting condition.

``s3-access-beyond`` (``aws.vpc-endpoint``; NET-04): matches S3 endpoints without a policy,
or whose policy allows S3 actions on "*" or on buckets outside ``allowed_buckets``.

``shared-outside`` (``aws.audit-model-package-group``; SM-REG-03): reads each group's
resource policy and matches groups that grant a principal outside ``allowed_accounts``
(and the audited account).
"""

from __future__ import annotations

import re

from c7n.filters import Filter
from c7n.resources.vpc import VpcEndpoint
from c7n.utils import local_session, type_schema

from ..resources.base import NOT_EVALUATED, error_text, parse_policy
from ..resources.sagemaker import ModelPackageGroup
from ..resources.storage import Bucket, KmsKey
from . import policy_logic
from .iam import _situation_label, annotate

_LIST = {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]}


def as_list(value) -> list:
    """A filter parameter that may have come from a variable holding a list, or a string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(",") if v]
    return list(value)


@Bucket.filter_registry.register("missing-deny")
class MissingDeny(Filter):
    schema = type_schema("missing-deny", required=["actions", "resources", "situations"],
                         actions={"type": "array", "items": {"type": "string"}},
                         resources={"type": "array", "items": {"type": "string"}},
                         situations={"type": "array", "items": {"type": "object"}},
                         only_through={"type": "object", "required": ["key", "value"],
                                       "properties": {"key": {"type": "string"}, "value": {"type": "string"}}})
    reads = ("Policy",)

    def situations(self, doc) -> list[dict]:
        """The given situations, plus, with ``only_through``, each of them with the key set to
        every other value the policy names for it (a deny that exempts another endpoint too
        leaves that endpoint open)."""
        base = list(self.data["situations"])
        through = self.data.get("only_through")
        if not through:
            return base
        key, expected = through["key"], through["value"]
        others = sorted(v for v in condition_values(doc, key) if v != expected)
        return base + [{**s, key: other} for s in base if key in s for other in others]

    def process(self, resources, event=None):
        out = []
        for r in resources:
            doc = r.get("Policy")
            gaps, denied_by = [], set()
            situations = self.situations(doc)
            for template in self.data["resources"]:
                arn = template.replace("{Name}", r["Name"])
                for action in self.data["actions"]:
                    for situation in situations:
                        sid = policy_logic.denied_for_everyone(doc, action, arn, situation)
                        if sid is None:
                            gaps.append(f"{action} on {arn} is not denied when {_situation_label(situation)}")
                        else:
                            denied_by.add(sid)
            annotate(r, {"policy": doc, "denied_by_statements": sorted(denied_by)})
            if gaps:
                annotate(r, reasons=gaps if doc else ["the bucket has no bucket policy"])
                out.append(r)
        return out


def condition_values(doc, key: str) -> set[str]:
    """Every value any condition of the document compares `key` with."""
    out: set[str] = set()
    for st in policy_logic.statements(doc):
        for pairs in (st.get("Condition") or {}).values():
            for k, v in (pairs or {}).items():
                if k.lower() == key.lower():
                    out.update(str(x) for x in (v if isinstance(v, list) else [v]))
    return out


@KmsKey.filter_registry.register("wildcard-allow")
class WildcardAllow(Filter):
    schema = type_schema("wildcard-allow", required=["situation"], situation={"type": "object"})
    reads = ("Policy",)

    def process(self, resources, event=None):
        out = []
        for r in resources:
            hits = []
            for i, st in enumerate(policy_logic.statements(r.get("Policy"))):
                if st.get("Effect") != "Allow" or not policy_logic.principal_is_everyone(st):
                    continue
                if policy_logic.condition_holds(st.get("Condition"), self.data["situation"]) is not False:
                    hits.append(f"statement {st.get('Sid') or i} allows Principal * without a limiting condition")
            annotate(r, {"wildcard_allow_statements": hits})
            if hits:
                annotate(r, reasons=hits)
                out.append(r)
        return out


def _bucket_of(arn: str) -> str | None:
    m = re.match(r"^arn:aws[a-z-]*:s3:::([^/]+)", arn)
    return m.group(1) if m else None


@VpcEndpoint.filter_registry.register("s3-access-beyond")
class S3AccessBeyond(Filter):
    schema = type_schema("s3-access-beyond", required=["allowed_buckets"], allowed_buckets=_LIST,
                         aws_owned_buckets=_LIST)
    reads = ("PolicyDocument",)

    def process(self, resources, event=None):
        allowed = as_list(self.data["allowed_buckets"]) + as_list(self.data.get("aws_owned_buckets"))
        out = []
        for r in resources:
            problems = []
            try:
                doc = parse_policy(r.get("PolicyDocument"))
            except ValueError:
                doc = None
                problems.append("the endpoint policy is not JSON")
            if not doc:
                problems = problems or ["the endpoint has no policy (full access to every bucket)"]
            for i, st in enumerate(policy_logic.statements(doc)):
                if st.get("Effect") != "Allow":
                    continue
                s3_actions = any(a == "*" or a.lower().startswith("s3:") for a in st.get("Action", []))
                if not s3_actions and "NotAction" not in st:
                    continue
                label = f"statement {st.get('Sid') or i}"
                if "NotResource" in st or "Resource" not in st:
                    problems.append(f"{label} allows S3 actions without naming the buckets")
                    continue
                for res in st["Resource"]:
                    bucket = _bucket_of(res)
                    if res == "*" or bucket is None:
                        problems.append(f"{label} allows S3 actions on {res!r}")
                    elif not any(bucket == a or policy_logic.wildcard_match(a, bucket, ignore_case=False)
                                 for a in allowed):
                        problems.append(f"{label} allows S3 actions on bucket {bucket!r}, not an environment bucket")
            annotate(r, {"policy": doc, "allowed_buckets": allowed})
            if problems:
                annotate(r, reasons=problems)
                out.append(r)
        return out


@ModelPackageGroup.filter_registry.register("shared-outside")
class SharedOutside(Filter):
    schema = type_schema("shared-outside", required=["allowed_accounts"], allowed_accounts=_LIST,
                         outsider={"type": "object"})
    reads = ("ResourcePolicy",)

    def get_permissions(self):
        return ("sagemaker:GetModelPackageGroupPolicy",)

    def process(self, resources, event=None):
        allowed = set(as_list(self.data["allowed_accounts"])) | {self.manager.config.account_id}
        client = local_session(self.manager.session_factory).client("sagemaker")
        out = []
        for r in resources:
            try:
                doc = parse_policy(client.get_model_package_group_policy(
                    ModelPackageGroupName=r["ModelPackageGroupName"])["ResourcePolicy"])
            except Exception as exc:  # noqa: BLE001
                code = getattr(exc, "response", {}).get("Error", {}).get("Code")
                message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
                if code == "ValidationException" and "policy" in message.lower():
                    doc = None  # the group has no resource policy: shared with nobody
                else:
                    r[NOT_EVALUATED] = f"its resource policy could not be read ({error_text(exc)})"
                    continue
            outside = []
            for st in policy_logic.statements(doc):
                if st.get("Effect") != "Allow":
                    continue
                principal = st.get("Principal")
                aws = principal if principal == "*" else (principal or {}).get("AWS", [])
                for p in [aws] if isinstance(aws, str) else aws:
                    if p == "*":
                        # shared with everyone unless a condition excludes an outside caller
                        outsider = self.data.get("outsider") or {}
                        if policy_logic.condition_holds(st.get("Condition"), outsider) is not False:
                            outside.append("* (no condition limits it to the target accounts)")
                        continue
                    m = re.search(r"(\d{12})", p)
                    if not m or m.group(1) not in allowed:
                        outside.append(p)
            annotate(r, {"resource_policy": doc, "allowed_accounts": sorted(allowed)})
            if outside:
                annotate(r, reasons=[f"the resource policy grants {p}" for p in outside])
                out.append(r)
        return out
