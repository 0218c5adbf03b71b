"""NET-02 responsive: revoke only the ingress rules that admit the internet.

Does: ``ec2:RevokeSecurityGroupIngress`` with the ids of the rules whose source is 0.0.0.0/0 or
::/0. Every other rule of the group (the same ports from the VPC, other groups, prefix lists)
stays. Never: deletes the group, touches egress rules or the network interfaces using it.
"""

from __future__ import annotations

from .base import Call, read_failed, step_for

CONTROL_ID = "NET-02"
permissions = ("ec2:DescribeSecurityGroupRules", "ec2:RevokeSecurityGroupIngress")
CONTAINS_ONLY = False

WORLD = {"0.0.0.0/0", "::/0"}


def _rules(finding, session) -> list[dict]:
    import botocore.exceptions

    ec2 = session.client("ec2")
    rules: list[dict] = []
    try:
        for page in ec2.get_paginator("describe_security_group_rules").paginate(
                Filters=[{"Name": "group-id", "Values": [finding.resource_id]}]):
            rules.extend(page["SecurityGroupRules"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"the rules of security group {finding.resource_id}", exc) from None
    return rules


def _label(r: dict) -> dict:
    return {"id": r["SecurityGroupRuleId"], "protocol": r.get("IpProtocol"), "from": r.get("FromPort"),
            "to": r.get("ToPort"), "source": r.get("CidrIpv4") or r.get("CidrIpv6") or r.get("PrefixListId")
            or (r.get("ReferencedGroupInfo") or {}).get("GroupId")}


def read(finding, session) -> dict:
    ingress = [r for r in _rules(finding, session) if not r.get("IsEgress")]
    return {"OpenIngressRules": [_label(r) for r in ingress if (r.get("CidrIpv4") or r.get("CidrIpv6")) in WORLD],
            "OtherIngressRules": len([r for r in ingress if (r.get("CidrIpv4") or r.get("CidrIpv6")) not in WORLD])}


def plan(finding, session, context=None) -> list:
    state = read(finding, session)
    open_rules = state["OpenIngressRules"]
    if not open_rules:
        return []
    described = ", ".join(f"{r['protocol']} {r['from']}-{r['to']} from {r['source']}" for r in open_rules)
    return [step_for(finding, f"revoke {len(open_rules)} ingress rule(s) open to the internet ({described}); "
                              f"keep the {state['OtherIngressRules']} other ingress rule(s)",
                     [Call("ec2", "RevokeSecurityGroupIngress",
                           {"GroupId": finding.resource_id, "SecurityGroupRuleIds": [r["id"] for r in open_rules]})])]


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
