"""What AWS CloudFormation knows about resource types, from the registry schemas cfn-lint ships.

The emulator's CloudFormation engine uses these schemas to behave as AWS does where moto
has no knowledge: which resource types exist at all (an unknown type is a template error,
a known type without an emulator handler is a resource failure), which attributes
``Fn::GetAtt`` may ask for, and which property changes require replacing the resource
(``createOnlyProperties``). cfn-lint comes with moto's server extra; the schemas are loaded
lazily and cached.
"""

from __future__ import annotations

import functools
import re

SCHEMA_REGION = "us-east-1"

#: resource types AWS accepts that have no registry schema
_UNSCHEMED = ("AWS::CloudFormation::CustomResource",)


def _manager():
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return PROVIDER_SCHEMA_MANAGER


def _schema(resource_type: str) -> dict | None:
    """The registry schema of a type (``_support.schema``), or None if AWS has no such type."""
    from ._support import schema

    try:
        return schema(resource_type)
    except KeyError:
        return None


def is_known_type(resource_type: str) -> bool:
    """Whether AWS CloudFormation recognises the type (custom resources included)."""
    if resource_type.startswith("Custom::") or resource_type in _UNSCHEMED:
        return True
    return _schema(resource_type) is not None


@functools.lru_cache(maxsize=None)
def _getatt_patterns(resource_type: str) -> tuple[re.Pattern, ...]:
    try:
        names = _manager().get_type_getatts(resource_type, SCHEMA_REGION)
    except Exception:  # unknown type: no attributes
        return ()
    return tuple(re.compile(name) for name in names)


def has_attribute(resource_type: str, attribute: str) -> bool:
    """Whether ``Fn::GetAtt`` of ``attribute`` is valid for the type on AWS."""
    if resource_type.startswith("Custom::") or resource_type in _UNSCHEMED:
        return True
    return any(p.fullmatch(attribute) for p in _getatt_patterns(resource_type))


@functools.lru_cache(maxsize=None)
def create_only(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """Paths (as tuples of property names) whose change requires replacement."""
    schema = _schema(resource_type) or {}
    paths = []
    for pointer in schema.get("createOnlyProperties", []) + schema.get("conditionalCreateOnlyProperties", []):
        parts = pointer.split("/")[2:]  # "/properties/A/B" -> ["A", "B"]
        if parts:
            paths.append(tuple(parts))
    return tuple(paths)


@functools.lru_cache(maxsize=None)
def _conditional(resource_type: str) -> frozenset[str]:
    schema = _schema(resource_type) or {}
    return frozenset(p.split("/")[2] for p in schema.get("conditionalCreateOnlyProperties", []) if p.count("/") >= 2)


def requires_recreation(resource_type: str, prop: str) -> str:
    """AWS's RequiresRecreation of a top-level property: Never, Conditionally or Always."""
    paths = [p for p in create_only(resource_type) if p[0] == prop]
    if not paths:
        return "Never"
    if prop not in _conditional(resource_type) and any(len(p) == 1 for p in paths):
        return "Always"
    return "Conditionally"


def replacement_needed(resource_type: str, prop: str, old, new) -> bool:
    """Whether changing top-level property ``prop`` from ``old`` to ``new`` replaces the resource."""
    for path in create_only(resource_type):
        if path[0] != prop:
            continue
        if _at(old, path[1:]) != _at(new, path[1:]):
            return True
    return False


def _at(value, path: tuple[str, ...]):
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def preload() -> None:
    """Import cfn-lint's schema manager ahead of the first request (about a second)."""
    is_known_type("AWS::EC2::VPC")


def property_problem(resource_type: str, properties: dict) -> str | None:
    """AWS's top-level property validation: a missing required or an unknown property."""
    schema = _schema(resource_type)
    if not schema:
        return None
    for key in schema.get("required", []):
        if key not in properties:
            return f"#: required key [{key}] not found"
    if schema.get("additionalProperties") is False:
        known = set(schema.get("properties", {}))
        for key in properties:
            if key not in known:
                return f"#: extraneous key [{key}] is not permitted"
    return None


def is_taggable(resource_type: str) -> bool:
    """Whether CloudFormation puts stack-level tags on resources of this type."""
    schema = _schema(resource_type) or {}
    tagging = schema.get("tagging")
    if isinstance(tagging, dict):
        return bool(tagging.get("taggable", True))
    return "Tags" in schema.get("properties", {})


def system_tags(resource_type: str) -> bool:
    """Whether CloudFormation adds its aws:cloudformation:* tags to resources of this type."""
    schema = _schema(resource_type) or {}
    tagging = schema.get("tagging")
    if isinstance(tagging, dict):
        return bool(tagging.get("taggable", True)) and bool(tagging.get("cloudFormationSystemTags", True))
    return False
