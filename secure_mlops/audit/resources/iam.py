"""IAM roles with every policy document a control reads, from one paginated call.

``GetAccountAuthorizationDetails`` (filter Role, LocalManagedPolicy) returns every role
with its trust policy, inline policies, attached managed policies and tags, and the
documents of the account's own managed policies: no per-role calls. Documents of AWS
managed policies are read on demand (``aws_managed_document``), once per run.

Attributes added to each role: ``InlinePolicies`` ([{Name, Document}]),
``AttachedPolicyArns``, ``ManagedPolicies`` ([{Arn, Document}], Document None for AWS
managed ones until read), ``TrustedServices``, ``TrustedFederated``, ``TrustedAws``,
``TagMap``.
"""

from __future__ import annotations

from c7n.query import TypeInfo

from .base import LeanResource, parse_policy, register


def _principals(doc: dict | None, kind: str) -> list[str]:
    out: list[str] = []
    for st in _statements(doc):
        if st.get("Effect") != "Allow":
            continue
        p = st.get("Principal")
        if p == "*":
            if kind == "AWS":
                out.append("*")
            continue
        values = (p or {}).get(kind, [])
        out.extend([values] if isinstance(values, str) else values)
    return sorted(set(out))


def _statements(doc: dict | None) -> list[dict]:
    st = (doc or {}).get("Statement") or []
    return [st] if isinstance(st, dict) else list(st)


@register("audit-iam-role")
class Role(LeanResource):
    class resource_type(TypeInfo):
        service = "iam"
        enum_spec = ("get_account_authorization_details", "RoleDetailList", None)
        id = name = "RoleName"
        arn = "Arn"
        date = "CreateDate"
        cfn_type = "AWS::IAM::Role"
        global_resource = True

    permissions = ("iam:GetAccountAuthorizationDetails", "iam:GetPolicy", "iam:GetPolicyVersion")

    def enumerate(self, client):
        roles, local = [], {}
        for page in client.get_paginator("get_account_authorization_details").paginate(
                Filter=["Role", "LocalManagedPolicy"]):
            roles.extend(page.get("RoleDetailList") or [])
            for pol in page.get("Policies") or []:
                default = next((v for v in pol.get("PolicyVersionList") or [] if v.get("IsDefaultVersion")), None)
                local[pol["Arn"]] = parse_policy(default.get("Document")) if default else None
        for r in roles:
            r["AssumeRolePolicyDocument"] = parse_policy(r.get("AssumeRolePolicyDocument"))
            r["InlinePolicies"] = [{"Name": p["PolicyName"], "Document": parse_policy(p.get("PolicyDocument"))}
                                   for p in r.pop("RolePolicyList", None) or []]
            arns = [p["PolicyArn"] for p in r.get("AttachedManagedPolicies") or []]
            r["AttachedPolicyArns"] = arns
            r["ManagedPolicies"] = [{"Arn": a, "Document": local.get(a)} for a in arns]
            trust = r["AssumeRolePolicyDocument"]
            r["TrustedServices"] = _principals(trust, "Service")
            r["TrustedFederated"] = _principals(trust, "Federated")
            r["TrustedAws"] = _principals(trust, "AWS")
            r["TagMap"] = {t["Key"]: t["Value"] for t in r.get("Tags") or []}
            r.pop("InstanceProfileList", None)
        return roles


def aws_managed_document(manager, arn: str) -> dict | None:
    """The default version of an AWS managed policy (read once per run through the run cache)."""
    from c7n.utils import local_session

    cache = manager._cache
    key = {"aws-managed-policy": arn, "account": manager.account_id}
    with cache:
        hit = cache.get(key)
        if hit is not None:
            return hit[0]
        client = local_session(manager.session_factory).client("iam")
        version = client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        doc = parse_policy(client.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])
        cache.save(key, [doc])
        return doc


def role_documents(manager, role: dict) -> list[tuple[str, dict]]:
    """(label, document) of every identity policy of a role, AWS managed ones included."""
    docs = [(f"inline:{p['Name']}", p["Document"]) for p in role.get("InlinePolicies") or [] if p.get("Document")]
    for mp in role.get("ManagedPolicies") or []:
        doc = mp.get("Document")
        if doc is None and ":aws:policy/" in mp["Arn"]:
            doc = aws_managed_document(manager, mp["Arn"])
        if doc is not None:
            docs.append((mp["Arn"], doc))
    return docs
