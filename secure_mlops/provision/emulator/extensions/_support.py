"""Helpers shared by the resource extensions (not an extension itself: ``load()`` skips it).

- ``override``: put a function on a moto class, keeping the replaced one as ``fn.original``.
- ``file_under``: file an extension model under its AWS service in moto's model registry.
- ``check_properties``: validate (and type-coerce) a resource's properties against the
  CloudFormation resource provider schema of its type, as CloudFormation does before it calls
  a handler. The schemas are the CloudFormation registry's (us-east-1) as cfn-lint ships them
  (cfn-lint comes with moto's server extra).
- ``Handler``: the mixin every resource handler of these extensions is built on.
- ``needs_replacement``: whether an update changes a create-only property.
- ``resource_tags``: the tags CloudFormation puts on a resource (declared + stack + system tags).
"""

from __future__ import annotations

import random
import string
from functools import lru_cache
from typing import Any, Callable

from moto.cloudformation.exceptions import ValidationError

#: every CloudFormation type an extension handles (filled by ``handles()`` at install time)
HANDLED_TYPES: set[str] = set()


class PropertyValidationError(ValidationError):
    """A template property that CloudFormation's schema validation would reject."""

    def __init__(self, message: str):
        super().__init__(message=message)


def handles(*type_names: str) -> None:
    """Declare CloudFormation types handled (created or corrected) by an extension."""
    HANDLED_TYPES.update(type_names)


def override(owner: type, name: str | None = None, kind: str = "function") -> Callable:
    """Decorator: install ``fn`` as ``owner.<name>`` (``kind``: function|classmethod|property).

    The attribute it replaces (or None) is kept as ``fn.original``.
    """

    def decorate(fn: Callable) -> Callable:
        attr = name or fn.__name__
        original = owner.__dict__.get(attr)
        if isinstance(original, (classmethod, staticmethod)):
            original = original.__func__
        elif isinstance(original, property):
            original = original.fget
        fn.original = original  # type: ignore[attr-defined]
        if kind == "classmethod":
            setattr(owner, attr, classmethod(fn))
        elif kind == "property":
            setattr(owner, attr, property(fn))
        else:
            setattr(owner, attr, fn)
        return fn

    return decorate


def file_under(service: str, *classes: type) -> None:
    """File models under ``service`` in moto's model registry (the /moto-api dashboard).

    moto's model metaclass takes the service from ``cls.__module__.split(".")[1]``, which for
    ``secure_mlops.provision.emulator.extensions.<service>`` is "provision".
    """
    from moto.core.model_instances import model_data

    for cls in classes:
        model_data.get("provision", {}).pop(cls.__name__, None)
        model_data[service][cls.__name__] = cls


def new_id(prefix: str, length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    return prefix + "".join(random.choice(alphabet) for _ in range(length))


def new_hex_id(prefix: str, length: int = 17) -> str:
    return new_id(prefix, length, "0123456789abcdef")


def aws_managed_key(account_id: str, region_name: str, service: str, description: str) -> Any:
    """The account's AWS managed KMS key of a service (``alias/aws/<service>``), created on first use as on AWS."""
    from moto.kms.models import kms_backends

    kms = kms_backends[account_id][region_name]
    key_id = kms.get_key_id_from_alias(f"alias/aws/{service}")
    if key_id is None:
        managed = kms.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", description, None)
        managed.key_manager = "AWS"
        kms.create_alias(managed.id, f"alias/aws/{service}")
        key_id = managed.id
    return kms.describe_key(key_id)


# --------------------------------------------------------------------------- provider schemas


@lru_cache(maxsize=None)
def schema(type_name: str) -> dict[str, Any]:
    """The registry schema of a resource type (KeyError if AWS has no such type)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    from cfnlint.schema._exceptions import ResourceNotFoundError

    try:
        return PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_name).schema
    except ResourceNotFoundError:
        raise KeyError(f"AWS CloudFormation has no resource type {type_name}") from None


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def _types(node: dict[str, Any]) -> list[str]:
    t = node.get("type")
    return t if isinstance(t, list) else [t] if t else []


def _coerce(value: Any, node: dict[str, Any], root: dict[str, Any]) -> Any:
    """CloudFormation converts template strings to the schema's scalar types (and back)."""
    node = _resolve(node, root)
    types = _types(node)
    alternatives = [_resolve(n, root) for key in ("oneOf", "anyOf", "allOf") for n in node.get(key, [])]
    if isinstance(value, str) and types and "string" not in types:
        low = value.strip().lower()
        if "boolean" in types and low in ("true", "false"):
            return low == "true"
        if "integer" in types:
            try:
                return int(value)
            except ValueError:
                pass
        if "number" in types:
            try:
                return int(value) if value.strip().lstrip("-").isdigit() else float(value)
            except ValueError:
                pass
        return value
    if types == ["string"] and isinstance(value, (bool, int, float)):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict):
        props: dict[str, Any] = dict(node.get("properties", {}))
        for alt in alternatives:
            props.update(alt.get("properties", {}))
        extra = node.get("additionalProperties")
        patterns = node.get("patternProperties", {})
        out = {}
        for key, item in value.items():
            if key in props:
                out[key] = _coerce(item, props[key], root)
            elif isinstance(extra, dict):
                out[key] = _coerce(item, extra, root)
            elif len(patterns) == 1:
                out[key] = _coerce(item, next(iter(patterns.values())), root)
            else:
                out[key] = item
        return out
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_coerce(item, node["items"], root) for item in value]
    return value


_TYPE_NAMES = {str: "String", bool: "Boolean", int: "Integer", float: "Number", dict: "JSONObject", list: "JSONArray"}


def _message(error: Any) -> str:
    path = "#" + "".join(f"/{p}" for p in error.absolute_path)
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{path}: required key [{missing}] not found"
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"{path}: extraneous key [{', '.join(extra)}] is not permitted"
    if v == "enum":
        return f"{path}: {error.instance} is not a valid enum value"
    if v == "type":
        found = _TYPE_NAMES.get(type(error.instance), type(error.instance).__name__)
        return f"{path}: expected type: {str(error.validator_value).capitalize()}, found: {found}"
    if v == "pattern":
        return f"{path}: string [{error.instance}] does not match pattern {error.validator_value}"
    if v in ("minLength", "maxLength"):
        return f"{path}: expected {v} {error.validator_value}, actual: {len(error.instance)}"
    return f"{path}: {error.message}"


@lru_cache(maxsize=1)
def _validator_class() -> Any:
    """Draft 7 with the registry's regular expressions (Java syntax: \\p{..}), as cfn-lint reads them."""
    import jsonschema
    import regex

    @lru_cache(maxsize=None)
    def compiled(pattern: str) -> Any:
        try:
            return regex.compile(pattern)
        except regex.error:
            return None

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Any:
        if isinstance(instance, str):
            rx = compiled(patrn)
            if rx is not None and not rx.search(instance):
                yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    return jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": pattern})


def check_properties(type_name: str, logical_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    """Coerce and validate ``properties`` as CloudFormation does; return the coerced copy.

    Raises PropertyValidationError with CloudFormation's wording on the first problem found.
    """
    import jsonschema

    root = schema(type_name)
    coerced = _coerce(properties or {}, {"type": "object", "properties": root.get("properties", {})}, root)
    # read-only keys cannot be set, unless the registry also lists them as create-only (settable)
    settable = {p.split("/")[2] for p in root.get("createOnlyProperties", []) + root.get("writeOnlyProperties", [])}
    read_only = {p.split("/")[2] for p in root.get("readOnlyProperties", []) if p.count("/") == 2} - settable
    given_read_only = sorted(read_only & set(coerced))
    if given_read_only:
        raise PropertyValidationError(
            f"Properties validation failed for resource {logical_id} with message: "
            f"#: extraneous key [{', '.join(given_read_only)}] is not permitted"
        )
    checked = {k: v for k, v in root.items() if k in (
        "properties", "required", "additionalProperties", "definitions", "oneOf", "anyOf",
        "allOf", "dependencies", "patternProperties", "dependentRequired", "dependentSchemas")}
    checked["type"] = "object"
    validator = _validator_class()(checked)
    errors = sorted(validator.iter_errors(coerced), key=lambda e: (len(list(e.absolute_path)), str(e.absolute_path)))
    if errors:
        best = jsonschema.exceptions.best_match(errors) or errors[0]
        raise PropertyValidationError(
            f"Properties validation failed for resource {logical_id} with message: {_message(best)}"
        )
    return coerced


@lru_cache(maxsize=None)
def registry_attributes(type_name: str) -> frozenset[str]:
    """The ``Fn::GetAtt`` names the registry documents for a type (plain names only)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        names = PROVIDER_SCHEMA_MANAGER.get_type_getatts(type_name, "us-east-1")
    except Exception:
        return frozenset()
    return frozenset(n for n in names if n.replace(".", "").isalnum())


def refuse_unimplemented(type_name: str, logical_id: str, props: dict[str, Any], supported: set[str],
                         error: Callable[[str], Exception] = PropertyValidationError) -> None:
    """A property the emulator does not implement fails the resource: never silently dropped."""
    extra = sorted(set(props) - set(supported))
    if extra:
        raise error(f"Resource {logical_id}: the embedded emulator does not implement {type_name} "
                    f"propert{'ies' if len(extra) > 1 else 'y'} {', '.join(extra)}")


def checked_properties(type_name: str, logical_id: str, cloudformation_json: Any,
                       supported: set[str]) -> dict[str, Any]:
    """A resource's properties, validated as CloudFormation does and refused where the emulator
    does not implement them."""
    props = check_properties(type_name, logical_id, cloudformation_json.get("Properties") or {})
    refuse_unimplemented(type_name, logical_id, props, supported)
    return props


def _get(props: dict[str, Any], pointer: str) -> Any:
    node: Any = props
    for part in pointer.split("/")[2:]:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def needs_replacement(type_name: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when an update changes a create-only property (CloudFormation replaces the resource)."""
    root = schema(type_name)
    pointers = root.get("createOnlyProperties", []) + root.get("conditionalCreateOnlyProperties", [])
    return any(_get(old or {}, p) != _get(new or {}, p) for p in pointers)


# --------------------------------------------------------------------------- tags


def stack_of(account_id: str, region_name: str, stack_id: str | None) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    if not stack_id:
        return None
    backend = cloudformation_backends[account_id][region_name]
    stack = backend.stacks.get(stack_id)
    if stack is None:
        for change_set in getattr(backend, "change_sets", {}).values():
            if getattr(change_set, "stack_id", None) == stack_id:
                return change_set
    return stack


def resource_tags(
    type_name: str,
    properties: dict[str, Any],
    account_id: str,
    region_name: str,
    kwargs: dict[str, Any],
    tag_property: str = "Tags",
) -> list[dict[str, str]]:
    """Tags CloudFormation applies: stack tags, then declared tags, then the system tags.

    System tags (aws:cloudformation:stack-name/stack-id/logical-id) are added where the type's
    schema says CloudFormation adds them.
    """
    declared = properties.get(tag_property) or []
    if isinstance(declared, dict):
        declared = [{"Key": k, "Value": v} for k, v in declared.items()]
    tags: dict[str, str] = {}
    stack = stack_of(account_id, region_name, kwargs.get("StackId"))
    stack_tags = getattr(stack, "tags", None) or {}
    if isinstance(stack_tags, list):
        stack_tags = {t["Key"]: t["Value"] for t in stack_tags}
    tags.update({k: v for k, v in stack_tags.items() if not k.startswith("aws:")})
    tags.update({t["Key"]: str(t["Value"]) for t in declared})
    tagging = schema(type_name).get("tagging", {})
    if stack is not None and tagging.get("cloudFormationSystemTags", True) and tagging.get("taggable", True):
        tags["aws:cloudformation:stack-name"] = stack.name
        tags["aws:cloudformation:stack-id"] = kwargs["StackId"]
        tags["aws:cloudformation:logical-id"] = kwargs.get("LogicalId", "")
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def caller_arn(response: Any) -> str:
    """The ARN of the identity that signed a request (as sts:GetCallerIdentity answers it)."""
    from moto.sts.models import sts_backends

    _, arn, _ = sts_backends[response.current_account]["global"].get_caller_identity(
        response.get_access_key(), response.region)
    return arn


def stack_principal(account_id: str, region_name: str, stack_id: str | None) -> str:
    """Whom CloudFormation acts as for a stack's resources: its service role, else the caller."""
    stack = stack_of(account_id, region_name, stack_id)
    role = getattr(stack, "role_arn", None)
    return role or f"arn:aws:sts::{account_id}:user/moto"


# --------------------------------------------------------------------------- handler mixin


def extend_init(cls: type, setup: Callable[[Any], None]) -> None:
    """Run ``setup(self)`` after ``cls.__init__`` (backend state added this way is reset with it)."""
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        setup(self)

    cls.__init__ = __init__  # type: ignore[misc]


class Handler:
    """Mixin for a CloudFormation resource handler: ``class X(Handler, CloudFormationModel)``.

    moto finds handlers with ``CloudFormationModel.__subclasses__()``, so a handler must name
    CloudFormationModel as a direct base; this mixin supplies the moto interface. A handler
    instance is what moto's stack keeps: the checked properties, the physical id and the
    ``Fn::GetAtt`` attributes; the resource itself lives in a moto backend. Subclasses set
    TYPE and implement ``create``, ``update`` (or leave replacement to create-only properties)
    and ``remove``; ``attributes`` maps GetAtt names to values (a callable is read lazily).
    """

    TYPE = ""
    NAME_PROPERTY = ""
    #: GetAtt attributes this type has on AWS
    ATTRIBUTES: tuple[str, ...] = ()

    def __init__(self, account_id: str, region_name: str, logical_id: str, stack_id: str | None,
                 properties: dict[str, Any]):
        self.account_id = account_id
        self.region_name = region_name
        self.logical_id = logical_id
        self.stack_id = stack_id
        self.properties = properties
        self.physical_id = ""
        self.attributes: dict[str, Any] = {}

    # -- moto's interface
    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES or attr in registry_attributes(cls.TYPE)

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        """A return value; for registry types a declared property is an attribute too."""
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name in self.attributes:
            value = self.attributes[attribute_name]
            return value() if callable(value) else value
        if attribute_name in registry_attributes(self.TYPE) and attribute_name in self.properties:
            return self.properties[attribute_name]
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> Any:
        logical_id = kwargs.get("LogicalId") or resource_name
        properties = check_properties(cls.TYPE, logical_id, cloudformation_json.get("Properties") or {})
        handler = cls(account_id, region_name, logical_id, kwargs.get("StackId"), properties)
        handler.create(resource_name, kwargs)
        return handler

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> Any:
        old: Handler = original_resource
        properties = check_properties(cls.TYPE, old.logical_id, cloudformation_json.get("Properties") or {})
        if needs_replacement(cls.TYPE, old.properties, properties):
            ident = [p.split("/")[-1] for p in schema(cls.TYPE).get("primaryIdentifier", [])]
            if cls.NAME_PROPERTY and cls.NAME_PROPERTY in ident and \
                    properties.get(cls.NAME_PROPERTY) and \
                    properties.get(cls.NAME_PROPERTY) == old.properties.get(cls.NAME_PROPERTY):
                raise PropertyValidationError(
                    f"CloudFormation cannot update a stack when a custom-named resource requires "
                    f"replacing. Rename {properties[cls.NAME_PROPERTY]} and update the stack again."
                )
            kwargs = {"LogicalId": old.logical_id, "StackId": old.stack_id}
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json,
                                                      account_id, region_name, **kwargs)
            old.remove()
            return new
        old.update(properties)
        old.properties = properties
        return old

    def delete(self, account_id: str, region_name: str) -> None:
        """Delete the resource (the stack keeps this handler; no class-level delete is needed)."""
        self.remove()

    # -- what subclasses implement
    def create(self, resource_name: str, kwargs: dict[str, Any]) -> None:
        raise NotImplementedError

    def update(self, properties: dict[str, Any]) -> None:
        """Apply an update that needs no replacement (default: nothing but create-only props)."""

    def remove(self) -> None:
        raise NotImplementedError

    def tags(self, kwargs: dict[str, Any], tag_property: str = "Tags") -> list[dict[str, str]]:
        """The tags CloudFormation puts on the resource it creates (remembered for updates)."""
        self.applied_tags = resource_tags(self.TYPE, self.properties, self.account_id, self.region_name,
                                          {**kwargs, "LogicalId": self.logical_id}, tag_property)
        return self.applied_tags

    def retagged(self, current: list[dict[str, str]], properties: dict[str, Any],
                 tag_property: str = "Tags") -> list[dict[str, str]]:
        """The resource's tags after an update: the tags CloudFormation put there before are
        replaced by the new declared, stack (they may have changed) and system tags; tags added
        outside CloudFormation stay."""
        new = resource_tags(self.TYPE, properties, self.account_id, self.region_name,
                            {"StackId": self.stack_id, "LogicalId": self.logical_id}, tag_property)
        old_keys = {t["Key"] for t in getattr(self, "applied_tags", [])}
        new_keys = {t["Key"] for t in new}
        self.applied_tags = new
        return [t for t in current if t["Key"] not in old_keys | new_keys] + new
