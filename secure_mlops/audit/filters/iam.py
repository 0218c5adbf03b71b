"""Filters on IAM roles (``aws.audit-iam-role``): what a role can do, and who can assume it.

``permits``: matches roles that could make one of ``actions`` in one of ``situations``
(see ``policy_logic``): a role passes only if, for every action and situation, no Allow
lets the call through or a Deny certainly blocks it. Used by IAM-01, -02, -04, -05::

    - type: permits
      actions: [sagemaker:CreateTrainingJob]
      situations:
        - {sagemaker:VpcSubnets: null}          # subnets missing from the request

``trust-without-federation-or-mfa``: matches roles whose trust policy lets a principal in
without a SAML/OIDC provider and without MFA (IAM-06, SM-DOM-04).

``allows-everything``: matches roles with an Allow of Action "*" on Resource "*" (IAM-03).
"""

from __future__ import annotations

from c7n.filters import Filter
from c7n.utils import type_schema

from ..resources.base import EVIDENCE, NOT_EVALUATED, REASONS, error_text
from ..resources.iam import Role, role_documents
from . import policy_logic


def annotate(r: dict, evidence: dict | None = None, reasons: list[str] | None = None) -> None:
    if evidence:
        r.setdefault(EVIDENCE, {}).update(evidence)
    if reasons:
        r.setdefault(REASONS, []).extend(reasons)


def _situation_label(s: dict) -> str:
    return ", ".join(f"{k}={'absent' if v is None else v}" for k, v in s.items())


@Role.filter_registry.register("permits")
class Permits(Filter):
    schema = type_schema("permits", required=["actions", "situations"],
                         actions={"type": "array", "items": {"type": "string"}},
                         situations={"type": "array", "items": {"type": "object"}})
    reads = ("InlinePolicies", "ManagedPolicies")

    def get_permissions(self):
        return ("iam:GetPolicy", "iam:GetPolicyVersion")

    def process(self, resources, event=None):
        region, account = self.manager.config.region, self.manager.config.account_id
        out = []
        for r in resources:
            try:
                docs = role_documents(self.manager, r)
            except Exception as exc:  # noqa: BLE001 - an unreadable managed policy: not evaluated
                r[NOT_EVALUATED] = f"a managed policy of the role could not be read ({error_text(exc)})"
                continue
            possible = []
            for action in self.data["actions"]:
                arn = policy_logic.resource_arn_for(action, region, account)
                for situation in self.data["situations"]:
                    ok, why = policy_logic.can_perform(docs, action, arn, situation)
                    if ok:
                        possible.append(f"{action} when {_situation_label(situation)} ({'; '.join(why)})")
            annotate(r, {"policies": [label for label, _ in docs], "permitted": possible})
            if possible:
                annotate(r, reasons=[f"can call {p}" for p in possible])
                out.append(r)
        return out


@Role.filter_registry.register("trust-without-federation-or-mfa")
class TrustWithoutFederationOrMfa(Filter):
    schema = type_schema("trust-without-federation-or-mfa")
    reads = ("AssumeRolePolicyDocument",)

    def process(self, resources, event=None):
        return [r for r in resources if trust_gaps(r)]


def trust_gaps(role: dict) -> list[str]:
    """Why a role's trust policy admits someone without federation or MFA (empty: it does not)."""
    gaps = []
    for i, st in enumerate(policy_logic.statements(role.get("AssumeRolePolicyDocument"))):
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        kinds = {"AWS": principal} if principal == "*" else dict(principal or {})
        label = f"trust statement {st.get('Sid') or i}"
        if "Service" in kinds:
            gaps.append(f"{label} admits the service {kinds['Service']}")
        if "AWS" in kinds:
            cond = st.get("Condition")
            no_mfa = [policy_logic.condition_holds(cond, {"aws:MultiFactorAuthPresent": v}) for v in ("false", None)]
            if any(h is not False for h in no_mfa):
                gaps.append(f"{label} admits {kinds['AWS']} without requiring aws:MultiFactorAuthPresent")
    annotate(role, {"trust_policy": role.get("AssumeRolePolicyDocument"),
                    "federated": role.get("TrustedFederated", [])}, [g for g in gaps])
    return gaps


@Role.filter_registry.register("allows-everything")
class AllowsEverything(Filter):
    schema = type_schema("allows-everything")
    reads = ("InlinePolicies", "ManagedPolicies")

    def process(self, resources, event=None):
        out = []
        for r in resources:
            try:
                docs = role_documents(self.manager, r)
            except Exception as exc:  # noqa: BLE001
                r[NOT_EVALUATED] = f"a managed policy of the role could not be read ({error_text(exc)})"
                continue
            hits = []
            for label, doc in docs:
                for i, st in enumerate(policy_logic.statements(doc)):
                    if st.get("Effect") == "Allow" and "*" in st.get("Action", []) and "*" in st.get("Resource", []):
                        hits.append(f"{label} statement {st.get('Sid') or i} allows * on *")
            annotate(r, {"allow_all_statements": hits})
            if hits:
                annotate(r, reasons=hits)
                out.append(r)
        return out
