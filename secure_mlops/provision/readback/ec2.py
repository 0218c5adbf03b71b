"""Amazon VPC and EC2 networking: VPCs (DNS attributes), subnets, route tables and routes,
gateways, security groups and their rules, VPC endpoints (policy, private DNS), flow logs."""

from __future__ import annotations

from . import reader
from .compare import ABSENT, MISSING, as_list, scalar
from .resolve import Unresolvable

_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
ALL_EGRESS = {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}


def _vpc_attribute(ec2, vpc_id: str, name: str) -> bool:
    key = name[0].upper() + name[1:]
    return ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=name)[key]["Value"]


@reader("AWS::EC2::VPC")
def vpc(r):
    ec2 = r.client("ec2")
    got = ec2.describe_vpcs(VpcIds=[r.physical_id])["Vpcs"][0]
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [r.physical_id]},
                                                       {"Name": "group-name", "Values": ["default"]}])
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [r.physical_id]},
                                              {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    r.attributes.update(
        VpcId=got["VpcId"], CidrBlock=got["CidrBlock"],
        CidrBlockAssociations=[a["AssociationId"] for a in got.get("CidrBlockAssociationSet", [])],
        Ipv6CidrBlocks=[a["Ipv6CidrBlock"] for a in got.get("Ipv6CidrBlockAssociationSet", [])],
        DefaultSecurityGroup=next((g["GroupId"] for g in default_sg["SecurityGroups"]), None),
        DefaultNetworkAcl=next((a["NetworkAclId"] for a in acls), None),
    )
    r.compare("CidrBlock", got.get("CidrBlock"))
    r.compare_tags(got.get("Tags", []))
    r.compare("InstanceTenancy", got.get("InstanceTenancy"), default="default")
    r.compare("EnableDnsSupport", _vpc_attribute(ec2, r.physical_id, "enableDnsSupport"), default=True)
    r.compare("EnableDnsHostnames", _vpc_attribute(ec2, r.physical_id, "enableDnsHostnames"), default=False)


@reader("AWS::EC2::Subnet")
def subnet(r):
    got = r.client("ec2").describe_subnets(SubnetIds=[r.physical_id])["Subnets"][0]
    r.attributes.update(SubnetId=got["SubnetId"], VpcId=got["VpcId"], CidrBlock=got["CidrBlock"],
                        AvailabilityZone=got["AvailabilityZone"], AvailabilityZoneId=got.get("AvailabilityZoneId"),
                        Ipv6CidrBlocks=[a["Ipv6CidrBlock"] for a in got.get("Ipv6CidrBlockAssociationSet", [])])
    r.compare("VpcId", got["VpcId"])
    r.compare("CidrBlock", got["CidrBlock"])
    r.compare("AvailabilityZone", got["AvailabilityZone"])
    r.compare("MapPublicIpOnLaunch", got.get("MapPublicIpOnLaunch", False), default=False)
    r.compare_tags(got.get("Tags", []))


@reader("AWS::EC2::RouteTable")
def route_table(r):
    got = r.client("ec2").describe_route_tables(RouteTableIds=[r.physical_id])["RouteTables"][0]
    r.attributes.update(RouteTableId=got["RouteTableId"])
    r.compare("VpcId", got["VpcId"])


@reader("AWS::EC2::SubnetRouteTableAssociation")
def subnet_route_table_association(r):
    tables = r.client("ec2").describe_route_tables(
        Filters=[{"Name": "association.route-table-association-id", "Values": [r.physical_id]}])["RouteTables"]
    assoc = next((a for t in tables for a in t.get("Associations", [])
                  if a.get("RouteTableAssociationId") == r.physical_id), None)
    if assoc is None:
        r.mismatch("(resource)", r.physical_id, "no route table has this association", "missing")
        return
    r.attributes.update(Id=r.physical_id)
    r.compare("RouteTableId", assoc.get("RouteTableId"))
    r.compare("SubnetId", assoc.get("SubnetId"))


_ROUTE_TARGETS = ("GatewayId", "NatGatewayId", "VpcEndpointId", "TransitGatewayId", "InstanceId",
                  "NetworkInterfaceId", "VpcPeeringConnectionId", "EgressOnlyInternetGatewayId",
                  "CarrierGatewayId", "LocalGatewayId", "CoreNetworkArn")


@reader("AWS::EC2::Route")
def route(r):
    table_id = r.required("RouteTableId")
    table = r.client("ec2").describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
    key = next((k for k in ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")
                if r.declared(k) is not MISSING), None)
    if key is None:
        raise Unresolvable("the route declares no destination")
    destination = r.declared(key)
    found = next((x for x in table.get("Routes", []) if x.get(key) == destination), None)
    if found is None:
        r.mismatch(key, destination, "no such route in " + table_id, "missing")
        return
    for target in _ROUTE_TARGETS:
        r.compare(target, found.get(target))


@reader("AWS::EC2::InternetGateway")
def internet_gateway(r):
    got = r.client("ec2").describe_internet_gateways(InternetGatewayIds=[r.physical_id])["InternetGateways"][0]
    r.attributes.update(InternetGatewayId=got["InternetGatewayId"])


@reader("AWS::EC2::VPCGatewayAttachment")
def vpc_gateway_attachment(r):
    ec2 = r.client("ec2")
    if r.declared("InternetGatewayId") is not MISSING:
        igw = r.declared("InternetGatewayId")
        got = ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"][0]
        attached = [a["VpcId"] for a in got.get("Attachments", []) if a.get("State") in ("available", "attached")]
    else:
        vgw = r.required("VpnGatewayId")
        got = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw])["VpnGateways"][0]
        attached = [a["VpcId"] for a in got.get("VpcAttachments", []) if a.get("State") == "attached"]
    vpc_id = r.required("VpcId")
    r.compare("VpcId", vpc_id if vpc_id in attached else (attached or ABSENT))


@reader("AWS::EC2::NatGateway")
def nat_gateway(r):
    got = r.client("ec2").describe_nat_gateways(NatGatewayIds=[r.physical_id])["NatGateways"][0]
    r.attributes.update(NatGatewayId=got["NatGatewayId"])
    r.compare("SubnetId", got.get("SubnetId"))
    r.compare("ConnectivityType", got.get("ConnectivityType", "public"), default="public")
    r.compare("AllocationId", next((a.get("AllocationId") for a in got.get("NatGatewayAddresses", [])), None))
    if got.get("State") not in ("available", "pending"):
        r.mismatch("(state)", "available", got.get("State"), "the NAT gateway is not available")


@reader("AWS::EC2::EIP")
def eip(r):
    ec2 = r.client("ec2")
    pid = r.physical_id
    got = (ec2.describe_addresses(AllocationIds=[pid]) if pid.startswith("eipalloc-")
           else ec2.describe_addresses(PublicIps=[pid]))["Addresses"][0]
    r.attributes.update(AllocationId=got.get("AllocationId"), PublicIp=got.get("PublicIp"))
    r.compare("Domain", got.get("Domain"))


# ------------------------------------------------------------------------------ security groups
def _atoms_from_api(permissions: list[dict]) -> set[tuple]:
    """Every (protocol, from, to, kind, peer) a security group's rules allow."""
    out = set()
    for p in permissions:
        proto = _proto(p.get("IpProtocol"))
        ports = (None, None) if proto == "-1" else (p.get("FromPort"), p.get("ToPort"))
        for x in p.get("IpRanges", []):
            out.add((proto, *ports, "cidr", x["CidrIp"]))
        for x in p.get("Ipv6Ranges", []):
            out.add((proto, *ports, "cidr6", x["CidrIpv6"]))
        for x in p.get("UserIdGroupPairs", []):
            out.add((proto, *ports, "group", x["GroupId"]))
        for x in p.get("PrefixListIds", []):
            out.add((proto, *ports, "prefix", x["PrefixListId"]))
    return out


def _proto(value) -> str:
    v = str(scalar(value)).lower()
    return _PROTOCOLS.get(v, v)


def _atom(rule: dict) -> tuple:
    """A CloudFormation rule (inline or standalone) as one atom."""
    proto = _proto(rule.get("IpProtocol"))
    ports = (None, None) if proto == "-1" else (_port(rule.get("FromPort")), _port(rule.get("ToPort")))
    for key, kind in (("CidrIp", "cidr"), ("CidrIpv6", "cidr6"), ("SourceSecurityGroupId", "group"),
                      ("DestinationSecurityGroupId", "group"), ("SourcePrefixListId", "prefix"),
                      ("DestinationPrefixListId", "prefix")):
        if key in rule:
            return (proto, *ports, kind, rule[key])
    raise Unresolvable(f"security group rule without a peer: {rule!r}")


def _port(value):
    return None if value is None else int(value)


def _show(atoms) -> list[str]:
    return sorted(f"{p} {'' if f is None else f}{'' if t is None or t == f else '-' + str(t)} {k}:{v}".replace("  ", " ")
                  for p, f, t, k, v in atoms)


def _standalone(r, rule_type: str, group_id: str) -> set[tuple]:
    out = set()
    for _, props in r.stack.siblings(rule_type):
        props = r.stack.resolver.resolve(props)
        if props.get("GroupId") == group_id:
            out.add(_atom(props))
    return out


@reader("AWS::EC2::SecurityGroup")
def security_group(r):
    got = r.client("ec2").describe_security_groups(GroupIds=[r.physical_id])["SecurityGroups"][0]
    r.attributes.update(GroupId=got["GroupId"], VpcId=got.get("VpcId"))
    r.compare("VpcId", got.get("VpcId"))
    r.compare("GroupDescription", got.get("Description"))
    r.compare("GroupName", got.get("GroupName"))
    r.compare_tags(got.get("Tags", []))
    for prop, api_key, rule_type in (("SecurityGroupIngress", "IpPermissions", "AWS::EC2::SecurityGroupIngress"),
                                     ("SecurityGroupEgress", "IpPermissionsEgress", "AWS::EC2::SecurityGroupEgress")):
        inline = r.declared(prop)
        if inline is MISSING:
            # without declared egress, EC2 keeps its default allow-all egress rule
            inline = [ALL_EGRESS] if prop == "SecurityGroupEgress" else []
        try:
            expected = {_atom(x) for x in as_list(inline)} | _standalone(r, rule_type, got["GroupId"])
        except Unresolvable as exc:
            r.compared += 1
            r.mismatch(prop, r._raw(prop), _show(_atoms_from_api(got.get(api_key, []))),
                       f"cannot be verified: {exc}")
            continue
        actual = _atoms_from_api(got.get(api_key, []))
        r.compared += 1
        if expected != actual:
            extra, missing = actual - expected, expected - actual
            why = []
            if extra:
                why.append("rules in effect but not declared: " + ", ".join(_show(extra)))
            if missing:
                why.append("declared rules not in effect: " + ", ".join(_show(missing)))
            r.mismatch(prop, _show(expected), _show(actual), "differs: " + "; ".join(why))


def _rule_reader(api_key: str):
    def read(r):
        group_id = r.required("GroupId")
        got = r.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        props = r.stack.resolver.resolve(r.properties)
        atom = _atom(props)
        r.attributes.update(Id=r.physical_id)
        r.compare("(rule)", _show([atom]) if atom in _atoms_from_api(got.get(api_key, [])) else ABSENT,
                  declared=_show([atom]))
    return read


reader("AWS::EC2::SecurityGroupIngress")(_rule_reader("IpPermissions"))
reader("AWS::EC2::SecurityGroupEgress")(_rule_reader("IpPermissionsEgress"))


# ------------------------------------------------------------------------------ endpoints, flow logs
@reader("AWS::EC2::VPCEndpoint")
def vpc_endpoint(r):
    got = r.client("ec2").describe_vpc_endpoints(VpcEndpointIds=[r.physical_id])["VpcEndpoints"][0]
    r.attributes.update(
        Id=got["VpcEndpointId"],
        DnsEntries=[f"{d.get('HostedZoneId')}:{d.get('DnsName')}" for d in got.get("DnsEntries", [])],
        NetworkInterfaceIds=got.get("NetworkInterfaceIds", []),
        CreationTimestamp=str(got.get("CreationTimestamp", "")),
    )
    r.compare("VpcId", got.get("VpcId"))
    r.compare("ServiceName", got.get("ServiceName"))
    r.compare("VpcEndpointType", got.get("VpcEndpointType"), default="Gateway")
    kind = scalar(r.declared("VpcEndpointType", default="Gateway"))
    if kind == "Interface":
        r.compare("PrivateDnsEnabled", got.get("PrivateDnsEnabled"), default=False)
    r.compare("SubnetIds", got.get("SubnetIds", []), kind="set", default=[])
    r.compare("SecurityGroupIds", [g["GroupId"] for g in got.get("Groups", [])], kind="set",
              default=MISSING if kind == "Interface" else [])
    r.compare("RouteTableIds", got.get("RouteTableIds", []), kind="set", default=[])
    r.compare("PolicyDocument", got.get("PolicyDocument"), kind="policy")
    r.compare_tags(got.get("Tags", []))
    if got.get("State", "").lower() not in ("available", "pending"):
        r.mismatch("(state)", "available", got.get("State"), "the endpoint is not available")


@reader("AWS::EC2::FlowLog")
def flow_log(r):
    got = r.client("ec2").describe_flow_logs(FlowLogIds=[r.physical_id])["FlowLogs"][0]
    r.attributes.update(Id=got["FlowLogId"])
    r.compare("ResourceId", got.get("ResourceId"))
    r.compare("TrafficType", got.get("TrafficType"))
    r.compare("LogDestinationType", got.get("LogDestinationType"), default="cloud-watch-logs")
    # a log group's ARN is written with or without its ":*" suffix
    strip = lambda v: v[:-2] if isinstance(v, str) and v.endswith(":*") else v  # noqa: E731
    with r.section("LogDestination"):
        r.compare("LogDestination", strip(got.get("LogDestination")), declared=strip(r.declared("LogDestination")))
    r.compare_tags(got.get("Tags", []))
    r.compare("LogGroupName", got.get("LogGroupName"))
    r.compare("DeliverLogsPermissionArn", got.get("DeliverLogsPermissionArn"))
    r.compare("MaxAggregationInterval", got.get("MaxAggregationInterval"))
    r.compare("LogFormat", got.get("LogFormat"))
