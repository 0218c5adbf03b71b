"""Security group rules as CloudFormation deploys them (moto drops or half-applies them).

- ``AWS::EC2::SecurityGroup``: inline ``SecurityGroupIngress`` and ``SecurityGroupEgress``
  are applied; declaring one or more egress rules removes EC2's default allow-all egress
  rule, as AWS does; rule changes are applied in place (revoke what went, authorise what
  came), tag changes too. GroupDescription, GroupName and VpcId are create-only.
- ``AWS::EC2::SecurityGroupIngress`` / ``AWS::EC2::SecurityGroupEgress``: standalone rules,
  with the rule id (``sgr-...``) as physical id, revoked on delete. moto has no handler at
  all for the egress type and gives the ingress type no physical id.
"""

from __future__ import annotations


from moto.core.common_models import CloudFormationModel

from . import cfn_lifecycle as lifecycle

DEFAULT_EGRESS = {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}


def _ec2(account_id: str, region: str):
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def rule_args(group_id: str, rule: dict, egress: bool) -> dict:
    """Arguments of moto's authorize/revoke calls for one CloudFormation rule."""
    peer_id = rule.get("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId")
    peer_name = None if egress else rule.get("SourceSecurityGroupName")
    prefix = rule.get("DestinationPrefixListId" if egress else "SourcePrefixListId")
    ranges = []
    if rule.get("CidrIp"):
        ranges.append({"CidrIp": rule["CidrIp"], **({"Description": rule["Description"]} if rule.get("Description") else {})})
    if rule.get("CidrIpv6"):
        ranges.append({"CidrIpv6": rule["CidrIpv6"], **({"Description": rule["Description"]} if rule.get("Description") else {})})
    groups = []
    if peer_id or peer_name:
        groups.append({k: v for k, v in (("GroupId", peer_id), ("GroupName", peer_name),
                                         ("Description", rule.get("Description"))) if v})
    protocol = str(rule["IpProtocol"])
    everything = protocol in ("-1", "all")
    return dict(
        group_name_or_id=group_id,
        ip_protocol="-1" if everything else protocol,
        from_port=None if everything else rule.get("FromPort"),
        to_port=None if everything else rule.get("ToPort"),
        ip_ranges=ranges,
        source_groups=groups,
        prefix_list_ids=[{"PrefixListId": prefix}] if prefix else [],
    )


def _authorize(ec2, group_id: str, rule: dict, egress: bool) -> list[str]:
    args = rule_args(group_id, rule, egress)
    fn = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
    rules, _ = fn(**args)
    return [r.id for r in rules]


def _revoke(ec2, group_id: str, rule: dict, egress: bool) -> None:
    fn = ec2.revoke_security_group_egress if egress else ec2.revoke_security_group_ingress
    fn(**rule_args(group_id, rule, egress))


# ---------------------------------------------------------------- AWS::EC2::SecurityGroup


def create_group(name, definition, account_id, region):
    props = definition["Properties"]
    ec2 = _ec2(account_id, region)
    group = ec2.create_security_group(
        name=props.get("GroupName") or name,
        description=props.get("GroupDescription"),
        vpc_id=props.get("VpcId"),
        tags={t["Key"]: str(t["Value"]) for t in props.get("Tags") or []},
    )
    for rule in props.get("SecurityGroupIngress") or []:
        _authorize(ec2, group.id, rule, egress=False)
    egress = props.get("SecurityGroupEgress") or []
    if egress:
        _revoke(ec2, group.id, DEFAULT_EGRESS, egress=True)
        for rule in egress:
            _authorize(ec2, group.id, rule, egress=True)
    return group


def _sync_rules(key: str, egress: bool):
    def fn(instance, old, new, props, account_id, region):
        ec2 = _ec2(account_id, region)
        old_rules = list(old or []) or ([DEFAULT_EGRESS] if egress else [])
        new_rules = list(new or []) or ([DEFAULT_EGRESS] if egress else [])
        for rule in old_rules:
            if rule not in new_rules:
                _revoke(ec2, instance.id, rule, egress)
        for rule in new_rules:
            if rule not in old_rules:
                _authorize(ec2, instance.id, rule, egress)
    return fn


def _delete_group(instance, props, account_id, region):
    _ec2(account_id, region).delete_security_group(group_id=instance.id)


# ---------------------------------------------------------------- standalone rules


class _Rule:
    EGRESS = False

    def __init__(self, group_id: str, rule_ids: list[str], properties: dict):
        self.group_id = group_id
        self.rule_ids = rule_ids
        self.properties = properties

    @property
    def physical_resource_id(self) -> str:
        return self.rule_ids[0] if self.rule_ids else ""

    def get_cfn_attribute(self, name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if name == "Id":
            return self.physical_resource_id
        raise UnformattedGetAttTemplateException()

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Id"

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        ec2 = _ec2(account_id, region_name)
        group_id = props.get("GroupId")
        if not group_id:
            group_id = ec2.describe_security_groups(groupnames=[props["GroupName"]])[0].id
        return cls(group_id, _authorize(ec2, group_id, props, cls.EGRESS), props)

    def delete(self, account_id: str, region_name: str) -> None:
        _revoke(_ec2(account_id, region_name), self.group_id, self.properties, self.EGRESS)


class SecurityGroupEgressRule(_Rule, CloudFormationModel):
    EGRESS = True

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SecurityGroupEgress"


class SecurityGroupIngressRule(_Rule, CloudFormationModel):
    EGRESS = False

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::EC2::SecurityGroupIngress"


def install() -> None:
    from moto.core.model_instances import model_data

    for cls in (SecurityGroupEgressRule, SecurityGroupIngressRule):
        model_data.get("provision", {}).pop(cls.__name__, None)
    lifecycle.CREATORS["AWS::EC2::SecurityGroup"] = create_group
    lifecycle.DELETERS["AWS::EC2::SecurityGroup"] = _delete_group
    lifecycle.UPDATERS["AWS::EC2::SecurityGroup"] = {
        "SecurityGroupIngress": _sync_rules("SecurityGroupIngress", egress=False),
        "SecurityGroupEgress": _sync_rules("SecurityGroupEgress", egress=True),
    }
