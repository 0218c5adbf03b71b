"""How the emulator's CloudFormation engine creates, updates and deletes each resource type.

A resource type is deployable in the embedded emulator only if it is on purpose:

- its handler class is defined in this extensions package (``secure_mlops...``), or
- it is one of moto's own handlers listed in ``MOTO_TYPES`` below, each checked to create
  a real resource with a physical id and to delete it again.

Any other type, even one moto has a (partial) handler for, fails with "Unsupported
resource type": a new type cannot slip through. The same rule holds for updates and
deletes: an extension class's own ``update_from_cloudformation_json`` /
``delete_from_cloudformation_json`` win; for moto's types this module says how each
property is changed in place (``UPDATERS``) and how each type is deleted (``DELETERS``);
a property or type not covered fails loudly instead of being skipped.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

PACKAGE = "secure_mlops."


class EmulatorGap(Exception):
    """Something AWS would do that the embedded emulator cannot: fails the resource, loudly."""


#: moto's own handlers that the engine trusts (each with a delete path below or in moto)
MOTO_TYPES = frozenset({
    "AWS::CloudFormation::Stack",
    "AWS::EC2::EIP",
    "AWS::EC2::FlowLog",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::Route",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::Subnet",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::VPC",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::Events::Rule",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Parameter",
    "AWS::SageMaker::Endpoint",
    "AWS::SageMaker::EndpointConfig",
    "AWS::SageMaker::Model",
    "AWS::SageMaker::NotebookInstance",
    "AWS::SageMaker::NotebookInstanceLifecycleConfig",
})


def is_extension(obj: Any) -> bool:
    """Whether a class or function comes from this project's extensions (not from moto)."""
    module = getattr(obj, "__module__", "") or ""
    return module.startswith(PACKAGE)


def _own_method(cls: type, name: str) -> Callable | None:
    """``cls.name`` if it is implemented (not abstract), else None."""
    method = getattr(cls, name, None)
    if method is None or getattr(method, "__isabstractmethod__", False):
        return None
    return method


def _defined_here(method: Callable | None) -> bool:
    func = getattr(method, "__func__", method)
    return method is not None and is_extension(func)


def handler_class(resource_type: str) -> type:
    """The handler class for a type, or EmulatorGap when the emulator cannot deploy it."""
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        raise EmulatorGap(
            f"Unsupported resource type {resource_type} in the embedded emulator: "
            "custom resources need their Lambda function to run, which the emulator cannot do"
        )
    cls = model_class(resource_type)
    if cls is None or not (is_extension(cls) or resource_type in MOTO_TYPES or resource_type in _declared()):
        raise EmulatorGap(
            f"Unsupported resource type {resource_type} in the embedded emulator: "
            "no faithful handler for it (see docs/emulator.md, CloudFormation engine)"
        )
    return cls


def model_class(resource_type: str) -> type | None:
    """The class handling a type: an extension's when there is one (moto's map picks either)."""
    from moto.cloudformation import parsing

    candidates = [c for c in parsing.get_model_list() if _type_of(c) == resource_type]
    own = [c for c in candidates if is_extension(c)]
    return (own or candidates or [None])[-1]


def _type_of(cls: type) -> str | None:
    try:
        return cls.cloudformation_type()
    except Exception:
        return None


def _declared() -> set[str]:
    """Types the resource extensions declare they make faithful (``_support.handles``)."""
    from ._support import HANDLED_TYPES

    return set(HANDLED_TYPES)


# ---------------------------------------------------------------- create

#: the property that names a resource, where moto's handler does not say (it then ignores it)
NAME_PROPERTIES = {
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": "PolicyName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::SageMaker::Endpoint": "EndpointName",
    "AWS::SageMaker::EndpointConfig": "EndpointConfigName",
    "AWS::SageMaker::Model": "ModelName",
    "AWS::SageMaker::NotebookInstance": "NotebookInstanceName",
    "AWS::SageMaker::NotebookInstanceLifecycleConfig": "NotebookInstanceLifecycleConfigName",
}


def name_property(resource_type: str) -> str | None:
    """The property that gives a resource its (custom) name, if the type has one."""
    cls = model_class(resource_type)
    declared = ""
    if cls is not None:
        try:
            declared = cls.cloudformation_name_type() or ""
        except Exception:
            declared = ""
    return declared or NAME_PROPERTIES.get(resource_type)



def create(cls: type, resource_type: str, name: str, definition: dict, account_id: str,
           region: str, logical_id: str, stack_id: str) -> Any:
    creator = CREATORS.get(resource_type)
    if creator is not None and not _defined_here(_own_method(cls, "create_from_cloudformation_json")):
        return creator(name, definition, account_id, region)
    return cls.create_from_cloudformation_json(
        name, definition, account_id, region,
        LogicalId=logical_id, StackId=stack_id, ResourceType=resource_type,
    )


def physical_id(instance: Any) -> str:
    value = getattr(instance, "physical_resource_id", None)
    return value if isinstance(value, str) else ("" if value is None else str(value))


# ---------------------------------------------------------------- delete


def delete(resource_type: str, instance: Any, properties: dict, account_id: str, region: str) -> None:
    """Delete one resource the way CloudFormation would, or raise."""
    cls = type(instance)
    pid = physical_id(instance)
    definition = {"Type": resource_type, "Properties": copy.deepcopy(properties)}
    own_instance_delete = getattr(cls, "delete", None)
    own_class_delete = _own_method(cls, "delete_from_cloudformation_json")
    if _defined_here(own_class_delete):
        own_class_delete(pid, definition, account_id, region)
        return
    if _defined_here(own_instance_delete):
        instance.delete(account_id, region)
        return
    deleter = DELETERS.get(resource_type)
    if deleter is not None:
        deleter(instance, properties, account_id, region)
        return
    if resource_type in MOTO_TYPES:
        if own_instance_delete is not None:
            instance.delete(account_id, region)
            return
        if own_class_delete is not None:
            own_class_delete(pid, definition, account_id, region)
            return
    raise EmulatorGap(f"Deleting {resource_type} is not supported by the embedded emulator")


# ---------------------------------------------------------------- update


def update(resource_type: str, instance: Any, old: dict, new: dict, changed: list[str],
           account_id: str, region: str) -> Any:
    """Change ``changed`` properties of a resource in place; returns the (possibly new) model."""
    cls = type(instance)
    own_update = _own_method(cls, "update_from_cloudformation_json")
    if _defined_here(own_update):
        return own_update(
            original_resource=instance,
            new_resource_name=physical_id(instance),
            cloudformation_json={"Type": resource_type, "Properties": copy.deepcopy(new)},
            account_id=account_id,
            region_name=region,
        )
    table = UPDATERS.get(resource_type, {})
    unsupported = [p for p in changed if p not in table and not (p == "Tags" and _tags_updater(instance))]
    if unsupported:
        raise EmulatorGap(
            f"Updating {', '.join(unsupported)} of {resource_type} in place is not supported "
            "by the embedded emulator"
        )
    for prop in changed:
        fn = table.get(prop) or _tags_updater(instance)
        result = fn(instance, old.get(prop), new.get(prop), new, account_id, region)
        if result is not None:
            instance = result
    return instance


# ---------------------------------------------------------------- helpers


def _ec2(account_id: str, region: str):
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def _tag_dict(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {t["Key"]: t["Value"] for t in tags or []}


def _retag(old: Any, new: Any, untag: Callable[[list[str]], Any], tag: Callable[[dict[str, str]], Any]) -> None:
    """Tags changed from `old` to `new`: remove the keys that are gone, then set the new values."""
    old_tags, new_tags = _tag_dict(old), _tag_dict(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        untag(gone)
    if new_tags:
        tag(new_tags)


def _tags_updater(instance: Any) -> Callable | None:
    from moto.ec2.models.core import TaggedEC2Resource

    if isinstance(instance, TaggedEC2Resource):
        return _ec2_tags
    return None


def _ec2_tags(instance, old, new, props, account_id, region):
    backend = _ec2(account_id, region)
    _retag(old, new, lambda keys: backend.delete_tag_keys([instance.id], keys),
           lambda tags: backend.create_tags([instance.id], tags))


# ---------------------------------------------------------------- creators (moto gaps)


def _create_ssm_parameter(name, definition, account_id, region):
    """moto ignores the generated name and rejects map-form Tags (the form the schema uses)."""
    from moto.ssm.models import ssm_backends

    props = definition["Properties"]
    param = ssm_backends[account_id][region].put_parameter(
        name=props.get("Name") or name,
        description=props.get("Description"),
        value=props.get("Value"),
        parameter_type=props.get("Type"),
        allowed_pattern=props.get("AllowedPattern"),
        keyid=None,
        overwrite=False,
        tags=[{"Key": k, "Value": v} for k, v in _tag_dict(props.get("Tags")).items()],
        data_type=props.get("DataType", "text"),
        tier=props.get("Tier"),
        policies=props.get("Policies"),
    )
    return param


class RouteTableAssociation:
    """A real subnet association (moto's handler records one the route table never shows)."""

    def __init__(self, association_id: str, route_table_id: str, subnet_id: str):
        self.id = association_id
        self.route_table_id = route_table_id
        self.subnet_id = subnet_id

    @property
    def physical_resource_id(self) -> str:
        return self.id

    def get_cfn_attribute(self, name: str) -> str:
        if name == "Id":
            return self.id
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        raise UnformattedGetAttTemplateException()


def _create_route_table_association(name, definition, account_id, region):
    props = definition["Properties"]
    assoc_id = _ec2(account_id, region).associate_route_table(
        route_table_id=props["RouteTableId"], subnet_id=props["SubnetId"]
    )
    return RouteTableAssociation(assoc_id, props["RouteTableId"], props["SubnetId"])


CREATORS: dict[str, Callable] = {
    "AWS::SSM::Parameter": _create_ssm_parameter,
    "AWS::EC2::SubnetRouteTableAssociation": _create_route_table_association,
}


# ---------------------------------------------------------------- deleters


def _del_route(instance, props, account_id, region):
    _ec2(account_id, region).delete_route(
        props["RouteTableId"], props.get("DestinationCidrBlock"),
        destination_ipv6_cidr_block=props.get("DestinationIpv6CidrBlock"),
    )


def _del_route_table(instance, props, account_id, region):
    _ec2(account_id, region).delete_route_table(instance.id)


def _del_association(instance, props, account_id, region):
    _ec2(account_id, region).disassociate_route_table(instance.id)


def _del_igw(instance, props, account_id, region):
    _ec2(account_id, region).delete_internet_gateway(instance.id)


def _del_gateway_attachment(instance, props, account_id, region):
    backend = _ec2(account_id, region)
    if props.get("InternetGatewayId"):
        backend.detach_internet_gateway(internet_gateway_id=props["InternetGatewayId"], vpc_id=props["VpcId"])
    elif props.get("VpnGatewayId"):
        backend.detach_vpn_gateway(vpn_gateway_id=props["VpnGatewayId"], vpc_id=props["VpcId"])


def _del_nat(instance, props, account_id, region):
    _ec2(account_id, region).delete_nat_gateway(instance.id)


def _del_eip(instance, props, account_id, region):
    _ec2(account_id, region).release_address(address=instance.public_ip)


def _del_endpoint(instance, props, account_id, region):
    backend = _ec2(account_id, region)
    backend.delete_vpc_endpoints([instance.id])
    backend.vpc_end_points.pop(instance.id, None)


def _del_flow_log(instance, props, account_id, region):
    _ec2(account_id, region).delete_flow_logs([instance.id])


def _iam(account_id, region):
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account_id][get_partition(region)]


def _del_bucket(instance, props, account_id, region):
    """S3 refuses to delete a bucket that holds objects (moto's backend just returns None)."""
    from moto.s3.exceptions import BucketNotEmpty

    backend = _s3(account_id, region)
    if backend.get_bucket(instance.name).keys:
        raise BucketNotEmpty(instance.name)
    backend.delete_bucket(instance.name)


DELETERS: dict[str, Callable] = {
    "AWS::S3::Bucket": _del_bucket,
    "AWS::EC2::Route": _del_route,
    "AWS::EC2::RouteTable": _del_route_table,
    "AWS::EC2::SubnetRouteTableAssociation": _del_association,
    "AWS::EC2::InternetGateway": _del_igw,
    "AWS::EC2::VPCGatewayAttachment": _del_gateway_attachment,
    "AWS::EC2::NatGateway": _del_nat,
    "AWS::EC2::EIP": _del_eip,
    "AWS::EC2::VPCEndpoint": _del_endpoint,
    "AWS::EC2::FlowLog": _del_flow_log,
}


# ---------------------------------------------------------------- in-place updaters
# Each takes (instance, old value, new value, all new properties, account, region).


def _bool(value, default):
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _subnet_public_ip(instance, old, new, props, account_id, region):
    _ec2(account_id, region).modify_subnet_attribute(instance.id, "map_public_ip_on_launch", _bool(new, False))


def _kms(account_id, region):
    from moto.kms.models import kms_backends

    return kms_backends[account_id][region]


def _alias_target(instance, old, new, props, account_id, region):
    _kms(account_id, region).update_alias(target_key_id=new, alias_name=props["AliasName"])


def _inline_policy(instance, old, new, props, account_id, region):
    backend = _iam(account_id, region)
    doc = props.get("PolicyDocument")
    return backend.update_inline_policy(
        instance.name, props.get("PolicyName", instance.name),
        json.dumps(doc) if isinstance(doc, dict) else doc,
        props.get("Groups"), props.get("Roles"), props.get("Users"),
    )


def _ssm(account_id, region):
    from moto.ssm.models import ssm_backends

    return ssm_backends[account_id][region]


def _ssm_put(instance, old, new, props, account_id, region):
    param = _ssm(account_id, region).put_parameter(
        name=instance.name,
        description=props.get("Description"),
        value=props.get("Value"),
        parameter_type=props.get("Type"),
        allowed_pattern=props.get("AllowedPattern"),
        keyid=None,
        overwrite=True,
        tags=None,
        data_type=props.get("DataType", "text"),
        tier=props.get("Tier"),
        policies=props.get("Policies"),
    )
    return _ssm(account_id, region).get_parameter(instance.name) if param is None else None


def _ssm_tags(instance, old, new, props, account_id, region):
    backend = _ssm(account_id, region)
    _retag(old, new, lambda keys: backend.remove_tags_from_resource("Parameter", instance.name, keys),
           lambda tags: backend.add_tags_to_resource("Parameter", instance.name, tags))


def _s3(account_id, region):
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    return s3_backends[account_id][get_partition(region)]


UPDATERS: dict[str, dict[str, Callable]] = {
    "AWS::EC2::Subnet": {"MapPublicIpOnLaunch": _subnet_public_ip},
    "AWS::KMS::Alias": {"TargetKeyId": _alias_target},
    "AWS::IAM::Policy": {
        "PolicyDocument": _inline_policy,
        "Roles": _inline_policy,
        "Users": _inline_policy,
        "Groups": _inline_policy,
    },
    "AWS::SSM::Parameter": {
        "Value": _ssm_put,
        "Description": _ssm_put,
        "AllowedPattern": _ssm_put,
        "Tier": _ssm_put,
        "DataType": _ssm_put,
        "Policies": _ssm_put,
        "Type": _ssm_put,
        "Tags": _ssm_tags,
    },
}


# ---------------------------------------------------------------- Fn::GetAtt attributes moto lacks


def _first(*names):
    def fn(instance, account_id, region):
        for name in names:
            value = getattr(instance, name, None)
            if value not in (None, ""):
                return value
        return None
    return fn


def _subnet_az_id(instance, account_id, region):
    zones = _ec2(account_id, region).describe_availability_zones()
    return next((z.zone_id for z in zones if z.name == instance.availability_zone), None)


def _ssm_arn(instance, account_id, region):
    from moto.utilities.utils import get_partition

    name = instance.name if instance.name.startswith("/") else "/" + instance.name
    return f"arn:{get_partition(region)}:ssm:{region}:{account_id}:parameter{name}"


#: attributes AWS documents for a type that moto's handler does not answer
ATTRIBUTES: dict[str, dict[str, Callable]] = {
    "AWS::EC2::Subnet": {
        "AvailabilityZone": _first("availability_zone"),
        "CidrBlock": _first("cidr_block"),
        "VpcId": _first("vpc_id"),
        "SubnetId": _first("id"),
        "AvailabilityZoneId": _subnet_az_id,
        "MapPublicIpOnLaunch": _first("map_public_ip_on_launch"),
    },
    "AWS::EC2::VPC": {
        "EnableDnsHostnames": _first("enable_dns_hostnames"),
        "EnableDnsSupport": _first("enable_dns_support"),
        "InstanceTenancy": _first("instance_tenancy"),
    },
    "AWS::EC2::SecurityGroup": {
        "Id": _first("id"),
        "VpcId": _first("vpc_id"),
        "GroupName": _first("name"),
        "GroupDescription": _first("description"),
    },
    "AWS::EC2::VPCEndpoint": {
        "Id": _first("id"),
        "NetworkInterfaceIds": lambda i, a, r: list(getattr(i, "network_interface_ids", []) or []),
        "DnsEntries": lambda i, a, r: [f"{e.get('hosted_zone_id', '')}:{e.get('dns_name', '')}"
                                       for e in getattr(i, "dns_entries", []) or []],
    },
    "AWS::EC2::InternetGateway": {"InternetGatewayId": _first("id")},
    "AWS::EC2::RouteTable": {"RouteTableId": _first("id")},
    "AWS::EC2::NatGateway": {"NatGatewayId": _first("id")},
    "AWS::EC2::EIP": {"PublicIp": _first("public_ip")},
    "AWS::EC2::FlowLog": {"Id": _first("id")},
    "AWS::IAM::ManagedPolicy": {
        "PolicyArn": _first("arn"),
        "PolicyId": _first("id"),
        "DefaultVersionId": _first("default_version_id"),
    },
    "AWS::KMS::Key": {"KeyId": _first("id")},
    "AWS::SSM::Parameter": {
        "Name": _first("name"),
        "Value": _first("value"),
        "Type": _first("parameter_type"),
        "Arn": _ssm_arn,
    },
    "AWS::SNS::Topic": {"TopicArn": _first("arn")},
    "AWS::SQS::Queue": {"QueueUrl": _first("url")},
    "AWS::SageMaker::Endpoint": {"EndpointArn": _first("endpoint_arn", "arn")},
    "AWS::SageMaker::EndpointConfig": {"EndpointConfigArn": _first("endpoint_config_arn", "arn")},
    "AWS::SageMaker::Model": {"ModelArn": _first("model_arn", "arn")},
    "AWS::SageMaker::NotebookInstance": {"NotebookInstanceArn": _first("notebook_instance_arn", "arn")},
    "AWS::SageMaker::NotebookInstanceLifecycleConfig": {
        "NotebookInstanceLifecycleConfigArn": _first("notebook_instance_lifecycle_config_arn", "arn"),
    },
}


def attribute(resource_type: str, instance: Any, name: str, account_id: str, region: str) -> Any:
    """An attribute from ``ATTRIBUTES`` (None when the emulator cannot answer it)."""
    fn = ATTRIBUTES.get(resource_type, {}).get(name)
    return fn(instance, account_id, region) if fn else None


# ---------------------------------------------------------------- stack tags on resources


def _w_ec2(instance, remove, add, account_id, region):
    backend = _ec2(account_id, region)
    if remove:
        backend.delete_tag_keys([instance.id], remove)
    if add:
        backend.create_tags([instance.id], add)


def _w_ssm(instance, remove, add, account_id, region):
    backend = _ssm(account_id, region)
    if remove:
        backend.remove_tags_from_resource("Parameter", instance.name, remove)
    if add:
        backend.add_tags_to_resource("Parameter", instance.name, add)


#: how stack-level tags reach a resource of a type whose handler is moto's
TAG_WRITERS: dict[str, Callable] = {
    "AWS::SSM::Parameter": _w_ssm,
}


def _writer(resource_type: str, instance: Any) -> Callable | None:
    from moto.ec2.models.core import TaggedEC2Resource

    if isinstance(instance, TaggedEC2Resource):
        return _w_ec2
    return TAG_WRITERS.get(resource_type)


def created_by_extension(cls: type, resource_type: str) -> bool:
    return _defined_here(_own_method(cls, "create_from_cloudformation_json")) or is_extension(cls)


def tag_new(resource_type: str, instance: Any, properties: dict, tags: dict[str, str],
            account_id: str, region: str) -> None:
    """Put the stack's tags (and CloudFormation's system tags) on a resource moto created.

    Extension handlers apply them themselves; EC2 resources are tagged by the engine.
    """
    from moto.ec2.models.core import TaggedEC2Resource

    if created_by_extension(type(instance), resource_type) or isinstance(instance, TaggedEC2Resource):
        return
    writer = TAG_WRITERS.get(resource_type)
    if writer is None:
        return
    declared = _tag_dict(properties.get("Tags"))
    add = {k: v for k, v in tags.items() if k not in declared}
    if add:
        writer(instance, [], add, account_id, region)


def retag(resource_type: str, instance: Any, properties: dict, old_tags: dict[str, str],
          new_tags: dict[str, str], account_id: str, region: str) -> Any:
    """Apply a change of the stack's tags to one resource (declared tags win)."""
    own_update = _own_method(type(instance), "update_from_cloudformation_json")
    if _defined_here(own_update):
        # extension handlers compute a resource's tags from the stack's (current) tags
        return own_update(
            original_resource=instance, new_resource_name=physical_id(instance),
            cloudformation_json={"Type": resource_type, "Properties": copy.deepcopy(properties)},
            account_id=account_id, region_name=region,
        )
    writer = _writer(resource_type, instance)
    if writer is None:
        raise EmulatorGap(f"Propagating stack tags to {resource_type} is not supported by the embedded emulator")
    declared = _tag_dict(properties.get("Tags"))
    remove = [k for k in old_tags if k not in new_tags and k not in declared]
    add = {k: v for k, v in new_tags.items() if k not in declared and old_tags.get(k) != v}
    writer(instance, remove, add, account_id, region)
    return instance


def has_own_update(instance: Any) -> bool:
    """Whether an extension (not this module) updates resources of this model in place."""
    return _defined_here(_own_method(type(instance), "update_from_cloudformation_json"))
