"""AWS IAM: roles (trust policy, boundary, managed and inline policies), managed policies and
inline policies."""

from __future__ import annotations

from . import reader
from .compare import ABSENT, MISSING, as_list


def _attached_by_stack(r, policy_type: str, role_name: str) -> list[str]:
    """Physical ids of this stack's `policy_type` resources that name role_name in Roles."""
    out = []
    for logical_id, props in r.stack.siblings(policy_type):
        roles = r.stack.resolver.resolve(props.get("Roles", []))
        if role_name in as_list(roles):
            if policy_type == "AWS::IAM::Policy":
                out.append(r.stack.resolver.resolve(props.get("PolicyName")))
            else:
                out.append(r.stack.resolver.physical_ids.get(logical_id, ""))
    return out


@reader("AWS::IAM::Role")
def role(r):
    iam = r.client("iam")
    name = r.physical_id
    got = iam.get_role(RoleName=name)["Role"]
    r.attributes.update(Arn=got["Arn"], RoleId=got["RoleId"])
    r.compare("RoleName", got["RoleName"])
    r.compare("Path", got.get("Path"), default="/")
    r.compare("AssumeRolePolicyDocument", got.get("AssumeRolePolicyDocument"), kind="policy")
    r.compare("MaxSessionDuration", got.get("MaxSessionDuration"), default=3600)
    r.compare("PermissionsBoundary", (got.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"))
    r.compare_tags(got.get("Tags", []))

    with r.section("ManagedPolicyArns"):
        _managed_policies(r, iam, name)
    with r.section("Policies"):
        _inline_policies(r, iam, name)


def _managed_policies(r, iam, name: str) -> None:
    """Exactly the declared managed policies, plus those this stack's managed policies attach."""
    attached = []
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        attached += [p["PolicyArn"] for p in page["AttachedPolicies"]]
    by_stack = set(_attached_by_stack(r, "AWS::IAM::ManagedPolicy", name))
    declared_arns = r.declared("ManagedPolicyArns", default=[])
    r.compare("ManagedPolicyArns", [a for a in attached if a not in by_stack or a in declared_arns],
              kind="set", declared=declared_arns)


def _inline_policies(r, iam, name: str) -> None:
    """Exactly the declared inline policies (plus this stack's AWS::IAM::Policy resources)."""
    names = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        names += page["PolicyNames"]
    declared_policies = r.declared("Policies", default=[])
    by_stack = set(_attached_by_stack(r, "AWS::IAM::Policy", name))
    declared_names = [p.get("PolicyName") for p in declared_policies]
    r.compare("Policies[*].PolicyName", [n for n in names if n not in by_stack or n in declared_names],
              kind="set", declared=declared_names)
    for i, policy in enumerate(declared_policies):
        pname = policy.get("PolicyName")
        if pname not in names:
            continue  # reported above
        doc = iam.get_role_policy(RoleName=name, PolicyName=pname)["PolicyDocument"]
        r.compare(f"Policies[{i}]({pname}).PolicyDocument", doc, kind="policy",
                  declared=policy.get("PolicyDocument", MISSING))


@reader("AWS::IAM::ManagedPolicy")
def managed_policy(r):
    iam = r.client("iam")
    arn = r.physical_id
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    r.attributes.update(PolicyArn=got["Arn"], PolicyId=got["PolicyId"], DefaultVersionId=got["DefaultVersionId"])
    r.compare("ManagedPolicyName", got["PolicyName"])
    r.compare("Path", got.get("Path"), default="/")
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=got["DefaultVersionId"])["PolicyVersion"]["Document"]
    r.compare("PolicyDocument", doc, kind="policy")
    entities = {"PolicyRoles": [], "PolicyUsers": [], "PolicyGroups": []}
    for page in iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=arn):
        for key in entities:
            entities[key] += page.get(key, [])
    for prop, key, field in (("Roles", "PolicyRoles", "RoleName"), ("Users", "PolicyUsers", "UserName"),
                             ("Groups", "PolicyGroups", "GroupName")):
        declared = r.declared(prop)
        if declared is MISSING:
            continue
        actual = [e[field] for e in entities[key]]
        # attachments beyond the declared ones (a role's ManagedPolicyArns) are checked from the role's side
        r.compared += 1
        missing = [n for n in as_list(declared) if n not in actual]
        if missing:
            r.mismatch(prop, declared, actual, f"differs: not attached to {', '.join(map(str, missing))}")


@reader("AWS::IAM::Policy")
def inline_policy(r):
    iam = r.client("iam")
    name = r.required("PolicyName")
    r.attributes.update(Id=r.physical_id)
    for prop, call, key in (("Roles", iam.get_role_policy, "RoleName"),
                            ("Users", iam.get_user_policy, "UserName"),
                            ("Groups", iam.get_group_policy, "GroupName")):
        for i, owner in enumerate(as_list(r.declared(prop, default=[]))):
            got = r.optional(call, ("NoSuchEntity",), **{key: owner, "PolicyName": name})
            r.compare(f"PolicyDocument ({prop}[{i}] {owner})", (got or {}).get("PolicyDocument", ABSENT),
                      kind="policy", declared=r.declared("PolicyDocument"))
