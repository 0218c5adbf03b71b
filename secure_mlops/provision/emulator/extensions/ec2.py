"""EC2: VPCs and VPC endpoints as CloudFormation declares them.

moto's ``AWS::EC2::VPC`` drops EnableDnsHostnames/EnableDnsSupport and has no update; its
``AWS::EC2::VPCEndpoint`` stores a policy given as an object unserialised (it reads back as a
Python repr), drops Tags and has no update. This extension applies and updates every property
the templates use, serialises endpoint policies as JSON (API and CloudFormation), and checks
what EC2 checks: private DNS on an interface endpoint needs a VPC with DNS support and DNS
hostnames enabled; subnets and security groups must exist. The API gets EC2's defaults
(an endpoint without a type is a Gateway endpoint, which has no private DNS) and
ModifyVpcEndpoint's PrivateDnsEnabled. Subnets of a VPC other than the default one are never
default subnets (no public IPs on launch), whatever their availability zone.

Dependencies, as EC2 checks them (moto checked few): a security group cannot be created in a
VPC that does not exist (InvalidVpcID.NotFound, with AWS's message); a subnet that still holds
network interfaces (EFS mount targets, interface endpoints, NAT gateways, instances), a VPC that
still holds security groups other than its default one or an attached internet gateway, and a
security group used by a network interface or referenced by another group's rule cannot be
deleted (DependencyViolation); a VPC endpoint's subnets, security groups and route tables, and
the subnet a route table is associated with, must be in the same VPC (the wording of these
refusals follows EC2's "belong to different networks" errors). So that these checks hold,
network interfaces go when what made them goes: a deleted NAT gateway removes its interface,
an interface endpoint gains and loses interfaces with its subnets.
"""

from __future__ import annotations

import json
from typing import Any

from ._support import PropertyValidationError, checked_properties, handles, needs_replacement, override

VPC_PROPERTIES = {"CidrBlock", "EnableDnsHostnames", "EnableDnsSupport", "InstanceTenancy", "Tags"}
ENDPOINT_PROPERTIES = {"PolicyDocument", "PrivateDnsEnabled", "RouteTableIds", "SecurityGroupIds", "ServiceName",
                       "SubnetIds", "VpcEndpointType", "VpcId", "Tags"}


def _ec2(account_id: str, region_name: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


def _tags(resource: Any, props: dict[str, Any], old: dict[str, Any]) -> None:
    for tag in old.get("Tags") or []:
        if tag["Key"] not in {t["Key"] for t in props.get("Tags") or []}:
            resource.ec2_backend.delete_tags([resource.id], {tag["Key"]: None})
    for tag in props.get("Tags") or []:
        resource.add_tag(tag["Key"], str(tag["Value"]))


def _install_vpc() -> None:
    from moto.ec2.models.vpcs import VPC

    @override(VPC, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = checked_properties("AWS::EC2::VPC", logical_id, cloudformation_json, VPC_PROPERTIES)
        if "CidrBlock" not in props:
            raise PropertyValidationError(f"Resource {logical_id}: the embedded emulator needs CidrBlock (IPAM pools are not implemented)")
        ec2 = _ec2(account_id, region_name)
        vpc = ec2.create_vpc(cidr_block=props["CidrBlock"], instance_tenancy=props.get("InstanceTenancy", "default"))
        _apply_vpc(ec2, vpc, props, {})
        vpc.cfn_properties = props
        return vpc

    @override(VPC, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = checked_properties("AWS::EC2::VPC", logical_id, cloudformation_json, VPC_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        if needs_replacement("AWS::EC2::VPC", old, props):
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                      region_name, LogicalId=logical_id)
            _ec2(account_id, region_name).delete_vpc(original_resource.id)
            return new
        ec2 = _ec2(account_id, region_name)
        if props.get("InstanceTenancy", "default") != original_resource.instance_tenancy:
            ec2.modify_vpc_tenancy(original_resource.id, props.get("InstanceTenancy", "default"))
        _apply_vpc(ec2, original_resource, props, old)
        original_resource.cfn_properties = props
        return original_resource


def _apply_vpc(ec2: Any, vpc: Any, props: dict[str, Any], old: dict[str, Any]) -> None:
    support = props.get("EnableDnsSupport", True)
    hostnames = props.get("EnableDnsHostnames", False)
    if hostnames and not support:
        from moto.ec2.exceptions import EC2ClientError

        raise EC2ClientError("InvalidParameterCombination",
                             "enableDnsHostnames cannot be true while enableDnsSupport is false")
    ec2.modify_vpc_attribute(vpc.id, "enable_dns_support", bool(support))
    ec2.modify_vpc_attribute(vpc.id, "enable_dns_hostnames", bool(hostnames))
    _tags(vpc, props, old)


def check_private_dns(ec2: Any, vpc_id: str, endpoint_type: str | None, private_dns: Any) -> None:
    if (endpoint_type or "Gateway").lower() != "interface" or not private_dns:
        return
    vpc = ec2.get_vpc(vpc_id)
    if not (str(vpc.enable_dns_support).lower() == "true" and str(vpc.enable_dns_hostnames).lower() == "true"):
        from moto.ec2.exceptions import EC2ClientError

        raise EC2ClientError(
            "InvalidParameter",
            f"Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to "
            f"true for {vpc_id}")


def _same_network(actual_vpc: str, vpc_id: str, what: str) -> None:
    """A VPC endpoint's subnets, groups and route tables are in its VPC (InvalidParameter otherwise)."""
    if actual_vpc != vpc_id:
        from moto.ec2.exceptions import EC2ClientError

        raise EC2ClientError("InvalidParameter", f"{what} and VPC {vpc_id} belong to different networks")


def _install_endpoint() -> None:
    from moto.ec2.models.vpcs import VPCEndPoint, VPCBackend

    @override(VPCBackend)
    def create_vpc_endpoint(self: Any, vpc_id: str, service_name: str, endpoint_type: str | None,
                            policy_document: Any, route_table_ids: list[str], *args: Any, **kwargs: Any) -> Any:
        if policy_document is not None and not isinstance(policy_document, str):
            policy_document = json.dumps(policy_document)
        endpoint_type = endpoint_type or "Gateway"  # EC2's default type
        if endpoint_type.lower() == "gateway":
            kwargs["private_dns_enabled"] = False  # private DNS applies to interface endpoints only
        self.get_vpc(vpc_id)  # InvalidVpcID.NotFound first
        check_private_dns(self, vpc_id, endpoint_type, kwargs.get("private_dns_enabled"))
        for group_id in kwargs.get("security_group_ids") or []:
            group = self.get_security_group_from_id(group_id)
            if group is None:
                from moto.ec2.exceptions import InvalidSecurityGroupNotFoundError

                raise InvalidSecurityGroupNotFoundError(group_id)
            _same_network(group.vpc_id, vpc_id, f"Security group {group_id}")
        for subnet_id in kwargs.get("subnet_ids") or []:
            _same_network(self.get_subnet(subnet_id).vpc_id, vpc_id, f"Subnet {subnet_id}")
        for table_id in route_table_ids or []:
            _same_network(self.get_route_table(table_id).vpc_id, vpc_id, f"Route table {table_id}")
        return create_vpc_endpoint.original(self, vpc_id, service_name, endpoint_type, policy_document,
                                            route_table_ids or [], *args, **kwargs)

    from moto.core.responses import ActionResult
    from moto.ec2.responses.vpcs import VPCs

    @override(VPCs)
    def modify_vpc_endpoint(self: Any) -> Any:
        result = modify_vpc_endpoint.original(self)
        private_dns = self._get_param("PrivateDnsEnabled")
        if private_dns is not None:
            endpoint = self.ec2_backend.describe_vpc_endpoints(vpc_end_point_ids=[self._get_param("VpcEndpointId")])[0]
            enabled = str(private_dns).lower() == "true"
            check_private_dns(self.ec2_backend, endpoint.vpc_id, endpoint.vpc_endpoint_type, enabled)
            endpoint.private_dns_enabled = enabled
        return result if result is not None else ActionResult({"Return": True})

    @override(VPCEndPoint, kind="classmethod")
    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        props = checked_properties("AWS::EC2::VPCEndpoint", logical_id, cloudformation_json, ENDPOINT_PROPERTIES)
        ec2 = _ec2(account_id, region_name)
        endpoint = ec2.create_vpc_endpoint(
            vpc_id=props["VpcId"], service_name=props.get("ServiceName"),
            endpoint_type=props.get("VpcEndpointType", "Gateway"), policy_document=props.get("PolicyDocument"),
            route_table_ids=props.get("RouteTableIds") or [], subnet_ids=props.get("SubnetIds") or [],
            security_group_ids=props.get("SecurityGroupIds") or [],
            private_dns_enabled=bool(props.get("PrivateDnsEnabled", False)),
            tags={t["Key"]: str(t["Value"]) for t in props.get("Tags") or []})
        endpoint.cfn_properties = props
        return endpoint

    @override(VPCEndPoint, kind="classmethod")
    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        logical_id = getattr(original_resource, "logical_resource_id", new_resource_name)
        props = checked_properties("AWS::EC2::VPCEndpoint", logical_id, cloudformation_json, ENDPOINT_PROPERTIES)
        old = getattr(original_resource, "cfn_properties", {})
        ec2 = _ec2(account_id, region_name)
        if needs_replacement("AWS::EC2::VPCEndpoint", old, props):
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id,
                                                      region_name, LogicalId=logical_id)
            ec2.delete_vpc_endpoints([original_resource.id])
            return new
        endpoint = original_resource
        check_private_dns(ec2, endpoint.vpc_id, endpoint.vpc_endpoint_type, props.get("PrivateDnsEnabled"))

        def diff(key: str, current: list[str]) -> tuple[list[str], list[str]]:
            wanted = props.get(key) or []
            return [x for x in wanted if x not in current], [x for x in current if x not in wanted]

        add_subnets, remove_subnets = diff("SubnetIds", list(endpoint.subnet_ids or []))
        add_rts, remove_rts = diff("RouteTableIds", list(endpoint.route_table_ids or []))
        add_sgs, remove_sgs = diff("SecurityGroupIds", list(endpoint.security_group_ids or []))
        document = props.get("PolicyDocument")
        if document is None:
            document = json.dumps(VPCEndPoint.DEFAULT_POLICY)
        endpoint.modify(document if isinstance(document, str) else json.dumps(document), add_subnets,
                        remove_subnets, add_rts, remove_rts, add_sgs, remove_sgs)
        endpoint.private_dns_enabled = bool(props.get("PrivateDnsEnabled", False))
        _tags(endpoint, props, old)
        endpoint.cfn_properties = props
        return endpoint


def _install_subnets() -> None:
    from moto.ec2.models.subnets import SubnetBackend

    @override(SubnetBackend)
    def create_subnet(self: Any, vpc_id: str, cidr_block: str, ipv6_cidr_block: Any = None,
                      availability_zone: str | None = None, availability_zone_id: str | None = None,
                      *args: Any, **kwargs: Any) -> Any:
        from moto.ec2.exceptions import EC2ClientError
        from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

        # AWS creates a subnet only in a zone of the request's region (moto takes any region's zone,
        # and us-east-1a when none is given); without a zone AWS picks one of the region's
        zones = RegionsAndZonesBackend.zones.get(self.region_name, [])
        if availability_zone is None and not availability_zone_id and zones:
            availability_zone = zones[0].name
        wanted = availability_zone or availability_zone_id
        if wanted and zones and not any(wanted in (z.name, z.zone_id) for z in zones):
            raise EC2ClientError(
                "InvalidParameterValue",
                f"Value ({wanted}) for parameter availabilityZone is invalid. Subnets can currently only be "
                f"created in the following availability zones: {', '.join(z.name for z in zones)}.")
        subnet = create_subnet.original(self, vpc_id, cidr_block, ipv6_cidr_block, availability_zone,
                                        availability_zone_id, *args, **kwargs)
        if not self.get_vpc(vpc_id).is_default:
            # only the default VPC has default subnets (public IPs on launch); moto takes the first
            # subnet created without an availability zone for one
            subnet.default_for_az = False
            subnet.map_public_ip_on_launch = False
        return subnet


def _dependency_violation(message: str) -> Exception:
    from moto.ec2.exceptions import DependencyViolationError

    return DependencyViolationError(message)


def _install_dependencies() -> None:
    from moto.ec2 import exceptions
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.models.route_tables import RouteBackend
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.ec2.models.subnets import SubnetBackend
    from moto.ec2.models.vpcs import VPCBackend, VPCEndPoint
    from moto.ec2.utils import random_private_ip

    @override(exceptions.InvalidVPCIdError, "__init__")
    def invalid_vpc_init(self: Any, vpc_id: Any) -> None:
        ids = sorted(vpc_id) if isinstance(vpc_id, (set, list, tuple)) else [vpc_id]
        # AWS: "The vpc ID 'vpc-0123456789abcdef0' does not exist" (moto: "VpcID ... does not exist.")
        exceptions.EC2ClientError.__init__(self, "InvalidVpcID.NotFound",
                                           f"The vpc ID '{', '.join(str(i) for i in ids)}' does not exist")

    @override(SecurityGroupBackend)
    def create_security_group(self: Any, name: str, description: str, vpc_id: str | None = None,
                              *args: Any, **kwargs: Any) -> Any:
        if vpc_id and vpc_id not in self.vpcs:
            raise exceptions.InvalidVPCIdError(vpc_id)
        return create_security_group.original(self, name, description, vpc_id, *args, **kwargs)

    @override(SecurityGroupBackend)
    def delete_security_group(self: Any, name: str | None = None, group_id: str | None = None) -> None:
        group = self.get_security_group_from_id(group_id) if group_id else (
            self.get_security_group_by_name_or_id(name) if name else None)
        if group is not None:
            in_use = any(group in eni.group_set for eni in self.enis.values())
            referenced = any(
                rule.source_group.get("GroupId") == group.id
                for groups in self.groups.values() for other in groups.values() if other.id != group.id
                for rule in [*other.ingress_rules, *other.egress_rules])
            if in_use or referenced:
                raise _dependency_violation(f"resource {group.id} has a dependent object")
        return delete_security_group.original(self, name, group_id)

    @override(SubnetBackend)
    def delete_subnet(self: Any, subnet_id: str) -> Any:
        if any(getattr(eni.subnet, "id", None) == subnet_id for eni in self.enis.values()):
            raise _dependency_violation(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return delete_subnet.original(self, subnet_id)

    @override(VPCBackend)
    def delete_vpc(self: Any, vpc_id: str) -> Any:
        others = [g for g in self.groups.get(vpc_id, {}).values() if g.name != "default"]
        attached = [igw for igw in self.internet_gateways.values() if igw.vpc is not None and igw.vpc.id == vpc_id]
        if vpc_id in self.vpcs and (others or attached):
            raise _dependency_violation(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return delete_vpc.original(self, vpc_id)

    @override(RouteBackend)
    def associate_route_table(self: Any, route_table_id: str, gateway_id: str | None = None,
                              subnet_id: str | None = None) -> str:
        table = self.get_route_table(route_table_id)
        if subnet_id is not None and self.get_subnet(subnet_id).vpc_id != table.vpc_id:
            raise exceptions.EC2ClientError(
                "InvalidParameterValue", f"Route table {route_table_id} and subnet {subnet_id} belong to different networks")
        return associate_route_table.original(self, route_table_id, gateway_id, subnet_id)

    @override(NatGatewayBackend)
    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        nat = delete_nat_gateway.original(self, nat_gateway_id)
        eni = getattr(nat, "_eni", None)
        if eni is not None and eni.id in self.enis:
            for address in self.addresses:
                if address.eni is eni:
                    self.disassociate_address(address=address.public_ip)
            self.enis.pop(eni.id, None)
        return nat

    @override(VPCEndPoint)
    def modify(self: Any, policy_doc: Any, add_subnets: Any, remove_subnets: Any, *args: Any) -> None:
        modify.original(self, policy_doc, add_subnets, remove_subnets, *args)
        if (self.vpc_endpoint_type or "").lower() != "interface":
            return
        backend = self.ec2_backend
        for eni_id in list(self.network_interface_ids):
            eni = backend.enis.get(eni_id)
            if eni is None or eni.subnet.id not in self.subnet_ids:
                backend.enis.pop(eni_id, None)
                self.network_interface_ids.remove(eni_id)
        covered = {backend.enis[e].subnet.id for e in self.network_interface_ids}
        for subnet_id in self.subnet_ids:
            if subnet_id not in covered:
                self.network_interface_ids.append(backend.create_network_interface(subnet_id, random_private_ip()).id)


def install() -> None:
    handles("AWS::EC2::VPC", "AWS::EC2::VPCEndpoint")
    _install_dependencies()
    _install_subnets()
    _install_vpc()
    _install_endpoint()
