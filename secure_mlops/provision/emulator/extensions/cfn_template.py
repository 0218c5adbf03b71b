"""Static analysis of CloudFormation templates, as AWS does it before touching any resource.

- which resources each resource depends on (``DependsOn``, ``Ref``, ``Fn::GetAtt``,
  ``Fn::Sub``), and the order to create them in (a cycle is a template error);
- the checks AWS makes synchronously in CreateStack / UpdateStack / CreateChangeSet, each
  answered with AWS's own ValidationError message: unrecognised resource types, references
  to undefined names, attributes a type does not have, parameters that are missing,
  unknown or outside their constraints, missing IAM capabilities.
"""

from __future__ import annotations

import re
from typing import Any

from ....cfn_template import PSEUDO_PARAMETERS, sub_variables
from . import cfn_schema

#: IAM resource types that need CAPABILITY_IAM, and the property that gives them a custom name
IAM_TYPES = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}


class TemplateError(Exception):
    """A template or parameter error AWS reports synchronously as ValidationError."""

    code = "ValidationError"


class CapabilitiesError(TemplateError):
    code = "InsufficientCapabilitiesException"


def parse(body: str | dict) -> dict:
    """Parse a template body (JSON or YAML with short-form intrinsics) the way moto does."""
    if isinstance(body, dict):
        return body
    from moto.cloudformation.models import Stack

    try:
        parsed = Stack.parse_template(body)
    except Exception as exc:  # yaml and json errors
        raise TemplateError(f"Template format error: {exc}") from None
    if not isinstance(parsed, dict):
        raise TemplateError("Template format error: JSON not well-formed.")
    return parsed


# ---------------------------------------------------------------- references and order


def references(value: Any) -> tuple[set[str], list[tuple[str, str]]]:
    """Names referenced by ``value``: (Ref targets, [(GetAtt resource, attribute)])."""
    refs: set[str] = set()
    atts: list[tuple[str, str]] = []

    def walk(node: Any, shadow: frozenset = frozenset()) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, shadow)
            return
        if not isinstance(node, dict):
            return
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref" and isinstance(arg, str):
                refs.add(arg)
                return
            if key == "Fn::GetAtt":
                target = getatt_target(arg)
                if target:
                    atts.append(target)
                    return
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
                if isinstance(variables, dict):
                    walk(list(variables.values()), shadow)
                    names = frozenset(variables)
                else:
                    names = frozenset()
                if isinstance(text, str):
                    for var in sub_variables(text):
                        var = var.strip()
                        if var in names or var in shadow:
                            continue
                        if "." in var and not var.startswith("AWS::"):
                            lid, attr = var.split(".", 1)
                            atts.append((lid, attr))
                        else:
                            refs.add(var)
                else:
                    walk(text, shadow)
                return
        for item in node.values():
            walk(item, shadow)

    walk(value)
    return refs, atts


def getatt_target(arg: Any) -> tuple[str, str] | None:
    """(logical id, attribute) of a ``Fn::GetAtt`` argument (list or "A.B" string form)."""
    if isinstance(arg, str) and "." in arg:
        lid, attr = arg.split(".", 1)
        return lid, attr
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        return arg[0], arg[1] if isinstance(arg[1], str) else ""
    return None


def depends_on(resource: dict) -> list[str]:
    value = resource.get("DependsOn") or []
    return [value] if isinstance(value, str) else list(value)


def dependencies(resources: dict[str, dict]) -> dict[str, set[str]]:
    """For each resource, the resources it needs to exist first."""
    deps: dict[str, set[str]] = {}
    for lid, resource in resources.items():
        body = {k: v for k, v in resource.items() if k not in ("DependsOn", "Type", "Condition")}
        refs, atts = references(body)
        names = refs | {a[0] for a in atts} | set(depends_on(resource))
        deps[lid] = {n for n in names if n in resources and n != lid}
    return deps


def creation_order(resources: dict[str, dict]) -> list[str]:
    """Resources in an order that creates every dependency first (template order breaks ties)."""
    deps = dependencies(resources)
    order: list[str] = []
    done: set[str] = set()
    pending = list(resources)
    while pending:
        ready = [lid for lid in pending if deps[lid] <= done]
        if not ready:
            raise TemplateError(f"Circular dependency between resources: [{', '.join(sorted(pending))}]")
        for lid in ready:
            order.append(lid)
            done.add(lid)
        pending = [lid for lid in pending if lid not in done]
    return order


def deletion_order(resources: dict[str, dict], present: list[str]) -> list[str]:
    """``present`` resources ordered so that every dependent goes before what it depends on."""
    try:
        order = creation_order(resources)
    except TemplateError:
        order = list(resources)
    ranked = [lid for lid in order if lid in present] + [lid for lid in present if lid not in order]
    return list(reversed(ranked))


# ---------------------------------------------------------------- template checks


def validate(template: dict) -> None:
    """AWS's synchronous template checks (ValidationError with AWS's wording)."""
    transform = template.get("Transform")
    if transform:
        names = transform if isinstance(transform, list) else [transform]
        raise TemplateError(
            f"Transform {', '.join(str(n) for n in names)} is not supported by the embedded emulator "
            "(it has no macro processing)")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    for lid, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(
                f"Template format error: [/Resources/{lid}] Every Resources object must contain a Type member."
            )
    unknown = sorted({r["Type"] for r in resources.values() if not cfn_schema.is_known_type(r["Type"])})
    if unknown:
        raise TemplateError(f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]")

    parameters = template.get("Parameters") or {}
    conditions = template.get("Conditions") or {}
    defined = set(parameters) | PSEUDO_PARAMETERS | {"AWS::NoValue"}
    for lid, resource in resources.items():
        cond = resource.get("Condition")
        if cond is not None and cond not in conditions:
            raise TemplateError(
                f"Template format error: Unresolved condition dependencies [{cond}] in the Resources block of the template"
            )
    _check_block(resources, "Resources", resources, defined)
    _check_block(template.get("Outputs") or {}, "Outputs", resources, defined)
    for name, condition in conditions.items():
        refs, _ = references(condition)
        bad = sorted(r for r in refs if r not in defined)
        if bad:
            raise TemplateError(
                f"Template format error: Unresolved dependencies [{', '.join(bad)}]. "
                "Cannot reference resources in the Conditions block of the template"
            )
    creation_order(resources)  # raises on a cycle


def _check_block(block: dict, block_name: str, resources: dict, defined: set[str]) -> None:
    missing: list[str] = []
    for lid, body in block.items():
        if not isinstance(body, dict):
            continue
        if block_name == "Resources":
            for dep in depends_on(body):
                if dep not in resources and dep not in missing:
                    missing.append(dep)
            body = {k: v for k, v in body.items() if k not in ("DependsOn", "Type", "Condition")}
        refs, atts = references(body)
        for name in sorted(refs):
            if name not in resources and name not in defined and name not in missing:
                missing.append(name)
        for target, attr in atts:
            if target not in resources:
                if target not in missing:
                    missing.append(target)
                continue
            rtype = resources[target]["Type"]
            if attr and not cfn_schema.has_attribute(rtype, attr):
                raise TemplateError(
                    f"Template error: resource {target} does not support attribute type {attr} in Fn::GetAtt"
                )
    if missing:
        raise TemplateError(
            f"Template format error: Unresolved resource dependencies [{', '.join(missing)}] "
            f"in the {block_name} block of the template"
        )


def required_capabilities(template: dict) -> list[str]:
    """The capabilities AWS demands for this template (empty when none)."""
    needed: list[str] = []
    for resource in (template.get("Resources") or {}).values():
        rtype = resource.get("Type") if isinstance(resource, dict) else None
        if rtype in IAM_TYPES:
            name_prop = IAM_TYPES[rtype]
            props = resource.get("Properties") or {}
            cap = "CAPABILITY_NAMED_IAM" if name_prop and name_prop in props else "CAPABILITY_IAM"
            if cap not in needed:
                needed.append(cap)
    if "CAPABILITY_NAMED_IAM" in needed:
        needed = ["CAPABILITY_NAMED_IAM"]
    if template.get("Transform"):
        needed.append("CAPABILITY_AUTO_EXPAND")
    return needed


def check_capabilities(template: dict, given: list[str]) -> None:
    needed = required_capabilities(template)
    missing = []
    for cap in needed:
        if cap in given:
            continue
        if cap == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in given:
            continue
        missing.append(cap)
    if missing:
        raise CapabilitiesError(f"Requires capabilities : [{', '.join(missing)}]")


# ---------------------------------------------------------------- parameters


def validate_parameters(template: dict, given: dict[str, str], ec2_lookup=None) -> None:
    """AWS's checks of parameter values: existence, required values, constraints.

    ``ec2_lookup(kind, value) -> bool`` answers whether an EC2 id of an AWS-specific
    parameter type exists (AWS checks ``AWS::EC2::VPC::Id`` and friends before creating).
    """
    declared = template.get("Parameters") or {}
    unknown = [k for k in given if k not in declared]
    if unknown:
        raise TemplateError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing = [k for k, spec in declared.items() if k not in given and "Default" not in (spec or {})]
    if missing:
        raise TemplateError(f"Parameters: [{', '.join(missing)}] must have values")
    for key, spec in declared.items():
        spec = spec or {}
        value = given.get(key, spec.get("Default"))
        ptype = spec.get("Type", "String")
        _check_value(key, spec, ptype, value, ec2_lookup)


_EC2_TYPES = {
    "AWS::EC2::VPC::Id": "vpc",
    "AWS::EC2::Subnet::Id": "subnet",
    "AWS::EC2::SecurityGroup::Id": "security-group",
    "AWS::EC2::AvailabilityZone::Name": "availability-zone",
}


def _check_value(key: str, spec: dict, ptype: str, value: Any, ec2_lookup) -> None:
    if value is None:
        raise TemplateError(f"Parameters: [{key}] must have values")
    if ptype.startswith("AWS::SSM::Parameter::"):
        return
    is_list = ptype == "CommaDelimitedList" or ptype.startswith("List<")
    items = [v.strip() for v in str(value).split(",")] if is_list else [str(value)]
    inner = ptype[5:-1] if ptype.startswith("List<") else ptype
    constraint = spec.get("ConstraintDescription")

    def fail(default_message: str) -> None:
        if constraint:
            raise TemplateError(f"Parameter '{key}' failed to satisfy constraint: {constraint}")
        raise TemplateError(default_message)

    for item in items:
        if inner == "Number":
            try:
                number = float(item)
            except ValueError:
                raise TemplateError(f"Parameter '{key}' must be a number.") from None
            if "MinValue" in spec and number < float(spec["MinValue"]):
                fail(f"Parameter '{key}' must be a number not less than {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                fail(f"Parameter '{key}' must be a number not greater than {spec['MaxValue']}")
        if "AllowedValues" in spec and item not in [str(v) for v in spec["AllowedValues"]]:
            fail(f"Parameter '{key}' must be one of AllowedValues")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], item):
            fail(f"Parameter '{key}' must match pattern {spec['AllowedPattern']}")
        if "MinLength" in spec and len(item) < int(spec["MinLength"]):
            fail(f"Parameter '{key}' must contain at least {spec['MinLength']} characters")
        if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
            fail(f"Parameter '{key}' must contain at most {spec['MaxLength']} characters")
        kind = _EC2_TYPES.get(inner)
        if kind and ec2_lookup is not None and item and not ec2_lookup(kind, item):
            raise TemplateError(
                f"Parameter validation failed: parameter value {item} for parameter name {key} does not exist"
            )
