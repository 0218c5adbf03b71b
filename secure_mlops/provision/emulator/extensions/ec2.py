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
"""

from __future__ import annotations

import json
from typing import Any

from ._support import PropertyValidationError, check_properties, file_under, handles, needs_replacement, override

VPC_PROPERTIES = {"CidrBlock", "EnableDnsHostnames", "EnableDnsSupport", "InstanceTenancy", "Tags"}
ENDPOINT_PROPERTIES = {"PolicyDocument", "PrivateDnsEnabled", "RouteTableIds", "SecurityGroupIds", "ServiceName",
                       "SubnetIds", "VpcEndpointType", "VpcId", "Tags"}


def _ec2(account_id: str, region_name: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region_name]


def _checked(type_name: str, logical_id: str, cloudformation_json: Any, supported: set[str]) -> dict[str, Any]:
    props = check_properties(type_name, logical_id, cloudformation_json.get("Properties") or {})
    extra = sorted(set(props) - supported)
    if extra:
        raise PropertyValidationError(
            f"Resource {logical_id}: the embedded emulator does not implement {type_name} "
            f"propert{'ies' if len(extra) > 1 else 'y'} {', '.join(extra)}")
    return props


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
        props = _checked("AWS::EC2::VPC", logical_id, cloudformation_json, VPC_PROPERTIES)
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
        props = _checked("AWS::EC2::VPC", logical_id, cloudformation_json, VPC_PROPERTIES)
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
        check_private_dns(self, vpc_id, endpoint_type, kwargs.get("private_dns_enabled"))
        for group_id in kwargs.get("security_group_ids") or []:
            if self.get_security_group_from_id(group_id) is None:
                from moto.ec2.exceptions import InvalidSecurityGroupNotFoundError

                raise InvalidSecurityGroupNotFoundError(group_id)
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
        props = _checked("AWS::EC2::VPCEndpoint", logical_id, cloudformation_json, ENDPOINT_PROPERTIES)
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
        props = _checked("AWS::EC2::VPCEndpoint", logical_id, cloudformation_json, ENDPOINT_PROPERTIES)
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
    def create_subnet(self: Any, vpc_id: str, cidr_block: str, *args: Any, **kwargs: Any) -> Any:
        subnet = create_subnet.original(self, vpc_id, cidr_block, *args, **kwargs)
        if not self.get_vpc(vpc_id).is_default:
            # only the default VPC has default subnets (public IPs on launch); moto takes the first
            # subnet created without an availability zone for one
            subnet.default_for_az = False
            subnet.map_public_ip_on_launch = False
        return subnet


def install() -> None:
    handles("AWS::EC2::VPC", "AWS::EC2::VPCEndpoint")
    _install_subnets()
    _install_vpc()
    _install_endpoint()
    file_under("ec2")
