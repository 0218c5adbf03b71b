"""The emulator's CloudFormation deployment engine: what AWS CloudFormation does with a stack.

moto parses templates and calls resource handlers, but deploys in whatever order it meets
references, skips types it does not know, records no per-resource events, never rolls back,
and deletes in arbitrary order. This engine replaces those parts, reusing moto's parsing
(parameters, conditions, mappings, intrinsic functions) and its service backends:

- resources are created in dependency order (``DependsOn``, ``Ref``, ``Fn::GetAtt``,
  ``Fn::Sub``), each with CREATE_IN_PROGRESS / CREATE_COMPLETE events, or CREATE_FAILED
  with the service's message, then rollback (ROLLBACK_COMPLETE), or CREATE_FAILED when
  rollback is disabled, or deletion with OnFailure=DELETE;
- updates re-resolve every resource against the new template and parameters (so
  dependents of changed resources are updated too), replace a resource when a
  create-only property changes, clean up removed and replaced resources afterwards, and
  roll back to UPDATE_ROLLBACK_COMPLETE on failure;
- deletes run in reverse dependency order and honour DeletionPolicy / UpdateReplacePolicy
  Retain (DELETE_SKIPPED);
- change sets are planned statically, with AWS's Replacement / Scope / Details fields.

Everything runs synchronously inside the API call (the stack is in its final state when
the call returns); the events read back are those AWS would have emitted, in order.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ....cfn_template import cidr
from . import cfn_lifecycle as lifecycle
from . import cfn_schema
from . import cfn_template
from .cfn_lifecycle import EmulatorGap

#: the value of anything a change set cannot know before it runs (AWS uses the same text)
TOKEN = "{{changeSet:KNOWN_AFTER_APPLY}}"

NEW_RESOURCE_REASON = "Requested update requires the creation of a new physical resource; hence creating one."

_GONE = ("DELETE_COMPLETE", "DELETE_SKIPPED")


class ResolutionError(Exception):
    """A template value could not be resolved for a resource (fails that resource)."""


class StackFailure(Exception):
    """A stack-level failure that is not one resource's (outputs, exports)."""


def _now() -> datetime:
    from moto.core.utils import utcnow

    return utcnow()


@dataclass
class Record:
    """One resource of a stack, as ListStackResources shows it."""

    logical_id: str
    resource_type: str
    status: str
    physical_id: str = ""
    reason: str | None = None
    instance: Any = None
    properties: dict = field(default_factory=dict)
    definition: dict = field(default_factory=dict)
    timestamp: datetime = field(default_factory=_now)


def records(stack) -> dict[str, Record]:
    recs = getattr(stack, "sm_records", None)
    if recs is None:
        recs = {}
        stack.sm_records = recs
    return recs


def _live(rec: Record) -> bool:
    return rec.instance is not None and rec.status not in _GONE


# ---------------------------------------------------------------- intrinsic functions

_ORIGINAL_CLEAN_JSON = None
#: functions moto's clean_json resolves correctly; everything else is handled here or refused
_MOTO_FUNCTIONS = frozenset({
    "Fn::FindInMap", "Fn::If", "Fn::Join", "Fn::Split", "Fn::Sub", "Fn::ImportValue",
    "Fn::Base64", "Fn::ToJsonString",
    # condition functions: moto evaluates them in parse_condition
    "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or",
})


def strict_clean_json(value: Any, resources_map: Any) -> Any:
    """moto's ``clean_json`` with loud failures instead of blanks or unresolved functions."""
    if isinstance(value, list):
        # an element that resolves to AWS::NoValue is removed from the list, as AWS does
        return [item for item in (strict_clean_json(v, resources_map) for v in value) if item is not None]
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return _ref(arg, resources_map)
        if key == "Fn::GetAtt":
            return _getatt(arg, resources_map)
        if key == "Fn::Cidr":
            return _cidr(arg, resources_map)
        if key == "Fn::GetAZs":
            return _azs(arg, resources_map)
        if key == "Fn::Select":
            return _select(arg, resources_map)
        if key == "Fn::Length":
            items = strict_clean_json(arg, resources_map)
            return len(items) if isinstance(items, list) else 1
        if key.startswith("Fn::") and key not in _MOTO_FUNCTIONS:
            raise EmulatorGap(f"Intrinsic function {key} is not supported by the embedded emulator")
    return _ORIGINAL_CLEAN_JSON(value, resources_map)


def _unresolved(name: str) -> ResolutionError:
    return ResolutionError(
        f"Template format error: Unresolved resource dependencies [{name}] in the Resources block of the template"
    )


def _parsed(rmap: Any) -> dict:
    """What a name resolves to (moto passes the bare dict when it evaluates Conditions)."""
    return rmap if isinstance(rmap, dict) else rmap._parsed_resources


def _ref(name: Any, rmap: Any) -> Any:
    if not isinstance(name, str):
        raise ResolutionError(f"Template error: every Ref object must have a single String value, not {name!r}")
    parsed = _parsed(rmap)
    if name in parsed:
        value = parsed[name]
        if hasattr(value, "physical_resource_id"):
            pid = value.physical_resource_id
            if pid in (None, ""):
                raise EmulatorGap(f"Ref {name}: the embedded emulator has no physical id for this resource")
            return pid
        return value
    raise _unresolved(name)


def _getatt(arg: Any, rmap: Any) -> Any:
    if isinstance(arg, list) and len(arg) == 2 and not isinstance(arg[1], str):
        arg = [arg[0], strict_clean_json(arg[1], rmap)]
    target = cfn_template.getatt_target(arg)
    if target is None:
        raise ResolutionError(f"Template error: invalid Fn::GetAtt {arg!r}")
    lid, attr = target
    resource = _parsed(rmap).get(lid)
    # a name that is not a resource (a parameter, a pseudo parameter, nothing) has no attributes
    if resource is None or not hasattr(resource, "physical_resource_id"):
        raise _unresolved(lid)
    rtype = getattr(resource, "cf_resource_type", None) or (getattr(rmap, "_resource_json_map", {}).get(lid) or {}).get("Type", "")
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    try:
        # some of moto's models (SSM parameters, ...) have no get_cfn_attribute at all
        value = resource.get_cfn_attribute(attr)
    except (NotImplementedError, UnformattedGetAttTemplateException, KeyError, AttributeError, TypeError):
        value = lifecycle.attribute(rtype, resource, attr, _parsed(rmap)["AWS::AccountId"], _parsed(rmap)["AWS::Region"])
        if value is None:
            raise EmulatorGap(
                f"Fn::GetAtt {lid}.{attr}: the embedded emulator does not provide attribute {attr} of {rtype}"
            ) from None
    if value is None or value == "":
        raise EmulatorGap(f"Fn::GetAtt {lid}.{attr}: the embedded emulator has no value for attribute {attr} of {rtype}")
    return value


def _cidr(arg: Any, rmap: Any) -> Any:
    block, count, bits = (strict_clean_json(a, rmap) for a in arg)
    if TOKEN in str(block):
        return TOKEN
    try:
        return cidr(block, count, bits)
    except ValueError as exc:
        raise ResolutionError(f"Template error: Fn::Cidr {arg!r}: {exc}") from None


def _azs(arg: Any, rmap: Any) -> list[str]:
    from moto.ec2.models import ec2_backends

    region = strict_clean_json(arg, rmap) or _parsed(rmap)["AWS::Region"]
    zones = ec2_backends[_parsed(rmap)["AWS::AccountId"]][region].describe_availability_zones()
    return sorted(z.name for z in zones)


def _select(arg: Any, rmap: Any) -> Any:
    index, items = strict_clean_json(arg[0], rmap), strict_clean_json(arg[1], rmap)
    if isinstance(items, str):
        if TOKEN in items:
            return TOKEN
        items = items.split(",")
    try:
        return items[int(index)]
    except (IndexError, ValueError, TypeError):
        raise ResolutionError(f"Template error: Fn::Select cannot select nonexistent value at index {index}") from None


def resolve(value: Any, rmap: Any) -> Any:
    from moto.cloudformation import parsing

    return parsing.clean_json(copy.deepcopy(value), rmap)


# ---------------------------------------------------------------- helpers


def _backend(stack):
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[stack.account_id][stack.region_name]


def build_map(stack, template: dict, parameters: dict):
    """A moto ResourceMap for ``template``: parameters, mappings and conditions resolved."""
    from moto.cloudformation.parsing import ResourceMap

    rmap = ResourceMap(
        stack.stack_id, stack.name, parameters, stack.tags,
        region_name=stack.region_name, account_id=stack.account_id,
        template=template, cross_stack_resources=_backend(stack).exports,
    )
    rmap.load()
    return rmap


def _condition_holds(rmap, definition: dict) -> bool:
    cond = definition.get("Condition")
    return not cond or bool(rmap.lazy_condition_map[cond])


def _service_of(resource_type: str) -> str:
    parts = resource_type.split("::")
    return parts[1] if len(parts) > 2 else resource_type


def reason_for(exc: BaseException, resource_type: str) -> str:
    """The ResourceStatusReason AWS would show for a handler error."""
    if isinstance(exc, (EmulatorGap, ResolutionError, StackFailure)):
        return str(exc)
    from moto.cloudformation.exceptions import ValidationError
    from moto.core.exceptions import ServiceException

    if isinstance(exc, ValidationError):  # CloudFormation's own checks (properties, names): verbatim
        return exc.message

    message = getattr(exc, "message", None)
    code = getattr(exc, "code", None)
    status = 400
    if not isinstance(exc, ServiceException):
        error_type = getattr(exc, "error_type", None)
        if error_type:
            status = code if isinstance(code, int) else 400
            code = error_type
    if message and code:
        return (
            f'Resource handler returned message: "{message}" (Service: {_service_of(resource_type)}, '
            f"Status Code: {status}, Request ID: {uuid.uuid4()}) (HandlerErrorCode: {code})"
        )
    return f"Internal failure of the embedded emulator's handler for {resource_type}: {type(exc).__name__}: {exc}"


def _event(stack, rec: Record, status: str, reason: str | None = None, properties: dict | None = None,
           physical_id: str | None = None) -> None:
    from moto.cloudformation.models import Event

    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=rec.logical_id,
        physical_resource_id=rec.physical_id if physical_id is None else physical_id,
        resource_type=rec.resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=json.dumps(properties, default=str) if properties is not None else None,
    )
    stack.events.append(event)
    rec.status = status
    rec.reason = reason
    rec.timestamp = event.timestamp


def _stack_event(stack, status: str, reason: str | None = None) -> None:
    stack.status = status
    stack.status_reason = reason
    stack._add_stack_event(status, resource_status_reason=reason)


def _physical_name(resource_type: str, stack_name: str, lid: str, props: dict) -> str:
    from moto.cloudformation import parsing

    prop = lifecycle.name_property(resource_type)
    if prop and props.get(prop):
        return props[prop]
    return parsing.generate_resource_name(resource_type, stack_name, lid)


def _check_properties(resource_type: str, lid: str, props: dict) -> None:
    problem = cfn_schema.property_problem(resource_type, props)
    if problem:
        raise ResolutionError(f"Properties validation failed for resource {lid} with message: {problem}")


def _tag_ec2(stack, lid: str, instance: Any) -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.core import TaggedEC2Resource

    if not isinstance(instance, TaggedEC2Resource) or not getattr(instance, "id", None):
        return
    tags = dict(stack.tags or {})
    tags.update({
        "aws:cloudformation:stack-name": stack.name,
        "aws:cloudformation:stack-id": stack.stack_id,
        "aws:cloudformation:logical-id": lid,
    })
    ec2_backends[stack.account_id][stack.region_name].create_tags([instance.id], tags)


def _create_instance(stack, rmap, lid: str, definition: dict) -> tuple[Any, dict]:
    rtype = definition["Type"]
    cls = lifecycle.handler_class(rtype)
    body = {k: v for k, v in definition.items() if k in ("Type", "Properties", "Metadata", "CreationPolicy", "UpdatePolicy")}
    body.setdefault("Properties", {})
    cleaned = resolve(body, rmap)
    props = cleaned.get("Properties") or {}
    _check_properties(rtype, lid, props)
    name = _physical_name(rtype, stack.name, lid, props)
    instance = lifecycle.create(cls, rtype, name, copy.deepcopy(cleaned), stack.account_id, stack.region_name,
                                lid, stack.stack_id)
    for attr, value in (("cf_resource_type", rtype), ("logical_resource_id", lid)):
        try:
            setattr(instance, attr, value)
        except AttributeError:
            pass
    if not lifecycle.physical_id(instance):
        raise EmulatorGap(f"The embedded emulator created {rtype} {lid} without a physical resource id")
    _tag_ec2(stack, lid, instance)
    lifecycle.tag_new(rtype, instance, props, _creation_tags(stack, lid, rtype), stack.account_id, stack.region_name)
    return instance, props


def _create_resource(stack, rmap, rec: Record) -> bool:
    """Create the resource of `rec` with CloudFormation's events; False (CREATE_FAILED) if it failed."""
    definition = rec.definition
    _event(stack, rec, "CREATE_IN_PROGRESS", properties=definition.get("Properties") or {})
    try:
        instance, props = _create_instance(stack, rmap, rec.logical_id, definition)
    except Exception as exc:
        _event(stack, rec, "CREATE_FAILED", reason_for(exc, rec.resource_type))
        return False
    rec.instance, rec.properties, rec.physical_id = instance, props, lifecycle.physical_id(instance)
    rmap._parsed_resources[rec.logical_id] = instance
    _event(stack, rec, "CREATE_IN_PROGRESS", "Resource creation Initiated")
    _event(stack, rec, "CREATE_COMPLETE")
    return True


def _creation_tags(stack, lid: str, rtype: str) -> dict[str, str]:
    tags = {k: v for k, v in (stack.tags or {}).items() if not k.startswith("aws:")}
    if cfn_schema.system_tags(rtype):
        tags.update({
            "aws:cloudformation:stack-name": stack.name,
            "aws:cloudformation:stack-id": stack.stack_id,
            "aws:cloudformation:logical-id": lid,
        })
    return tags


def _policy(definition: dict, key: str, rmap) -> str:
    value = definition.get(key, "Delete")
    if isinstance(value, dict):
        try:
            value = resolve(value, rmap)
        except Exception:
            value = "Delete"
    return str(value)


# ---------------------------------------------------------------- outputs and exports


def _as_string(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_as_string(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _importers(stack, export_name: str) -> list[str]:
    return [
        other.name for other in _backend(stack).stacks.values()
        if other is not stack and export_name in getattr(other, "sm_imports", ())
    ]


def _outputs(stack, rmap, template: dict) -> tuple[list[dict], set[str]]:
    """Evaluate Outputs (and imports) after the resources; StackFailure on any problem."""
    outputs = []
    for key, spec in (template.get("Outputs") or {}).items():
        if not isinstance(spec, dict):
            continue
        if spec.get("Condition") and not rmap.lazy_condition_map[spec["Condition"]]:
            continue
        try:
            value = resolve(spec.get("Value"), rmap)
            export = resolve(spec["Export"].get("Name"), rmap) if isinstance(spec.get("Export"), dict) else None
            description = resolve(spec.get("Description"), rmap)
        except Exception as exc:
            raise StackFailure(f"Output {key}: {reason_for(exc, 'AWS::CloudFormation::Stack')}") from None
        outputs.append({
            "OutputKey": key,
            "OutputValue": _as_string(value),
            "Description": description,
            "ExportName": export,
        })
    backend = _backend(stack)
    new_exports = {o["ExportName"]: o["OutputValue"] for o in outputs if o["ExportName"]}
    for name in new_exports:
        existing = backend.exports.get(name)
        if existing is not None and existing.exporting_stack_id != stack.stack_id:
            owner = next((s.name for s in backend.stacks.values() if s.stack_id == existing.exporting_stack_id), existing.exporting_stack_id)
            raise StackFailure(f"Export with name {name} is already exported by stack {owner}")
    for old in getattr(stack, "sm_outputs", None) or []:
        name = old.get("ExportName")
        if not name:
            continue
        users = _importers(stack, name)
        if users and name not in new_exports:
            raise StackFailure(f"Export {name} cannot be deleted as it is in use by {', '.join(users)}")
        if users and new_exports[name] != old["OutputValue"]:
            raise StackFailure(f"Cannot update export {name} as it is in use by {', '.join(users)}")
    imports = set()

    def find(node: Any) -> None:
        if isinstance(node, dict):
            if len(node) == 1 and "Fn::ImportValue" in node:
                try:
                    imports.add(str(resolve(node["Fn::ImportValue"], rmap)))
                except Exception:
                    pass
                return
            for v in node.values():
                find(v)
        elif isinstance(node, list):
            for v in node:
                find(v)

    find(template.get("Resources"))
    find(template.get("Outputs"))
    return outputs, imports


def _commit_outputs(stack, outputs: list[dict], imports: set[str]) -> None:
    from moto.cloudformation.parsing import Export

    backend = _backend(stack)
    for name in [n for n, e in backend.exports.items() if e.exporting_stack_id == stack.stack_id]:
        backend.exports.pop(name)
    for o in outputs:
        if o["ExportName"]:
            backend.exports[o["ExportName"]] = Export(stack.stack_id, o["ExportName"], o["OutputValue"])
    stack.sm_outputs = outputs
    stack.sm_imports = imports


def release_exports(stack) -> None:
    backend = _backend(stack)
    for name in [n for n, e in backend.exports.items() if e.exporting_stack_id == stack.stack_id]:
        backend.exports.pop(name)
    stack.sm_imports = set()


# ---------------------------------------------------------------- create


def create(stack, on_failure: str = "ROLLBACK") -> None:
    """Create every resource of ``stack`` (its template and parameters are already set)."""
    stack.status = "CREATE_IN_PROGRESS"
    stack.on_failure = on_failure
    stack.disable_rollback = on_failure == "DO_NOTHING"
    recs = records(stack)
    recs.clear()
    template = stack.template_dict
    resources = template.get("Resources") or {}
    rmap = stack.resource_map
    failed: list[str] = []
    failure_reason = None
    for lid in cfn_template.creation_order(resources):
        definition = resources[lid]
        if not _condition_holds(rmap, definition):
            continue
        rec = recs[lid] = Record(lid, definition["Type"], "CREATE_IN_PROGRESS", definition=definition)
        if not _create_resource(stack, rmap, rec):
            failed.append(lid)
            break
    if not failed:
        try:
            outputs, imports = _outputs(stack, rmap, template)
        except StackFailure as exc:
            failure_reason = f"{exc}. "
        else:
            _commit_outputs(stack, outputs, imports)
            _stack_event(stack, "CREATE_COMPLETE")
            return
    if failed:
        failure_reason = f"The following resource(s) failed to create: [{', '.join(failed)}]. "
    if on_failure == "DO_NOTHING":
        _stack_event(stack, "CREATE_FAILED", failure_reason)
        return
    _stack_event(stack, "ROLLBACK_IN_PROGRESS", failure_reason + "Rollback requested by user.")
    ok = _delete_records(stack, rmap, resources, list(recs), rollback=True)
    if not ok:
        _stack_event(stack, "ROLLBACK_FAILED", "The following resource(s) failed to delete: "
                     f"[{', '.join(r.logical_id for r in recs.values() if r.status == 'DELETE_FAILED')}]. ")
        return
    _stack_event(stack, "ROLLBACK_COMPLETE")
    stack.status_reason = failure_reason + "Rollback requested by user."
    if on_failure == "DELETE":
        _stack_event(stack, "DELETE_IN_PROGRESS")
        _stack_event(stack, "DELETE_COMPLETE")
        stack.deletion_time = _now()


# ---------------------------------------------------------------- delete


def _delete_records(stack, rmap, resources: dict, lids: list[str], rollback: bool = False,
                    retain: tuple = (), policy_key: str = "DeletionPolicy") -> bool:
    """Delete the given resources in reverse dependency order. True if none failed."""
    recs = records(stack)
    deps = cfn_template.dependencies({lid: recs[lid].definition for lid in lids})
    dependents = {lid: {o for o in lids if lid in deps.get(o, ())} for lid in lids}
    ok = True
    for lid in cfn_template.deletion_order({lid: recs[lid].definition for lid in lids}, lids):
        rec = recs[lid]
        if rec.status in _GONE:
            continue
        if any(recs[d].status not in _GONE for d in dependents[lid] if d in recs and recs[d].instance is not None):
            continue  # a dependent is still there (its deletion failed): leave this one
        if rec.instance is not None:
            policy = _policy(rec.definition, policy_key, rmap)
            if lid in retain or policy == "Retain" or (policy == "RetainExceptOnCreate" and not rollback):
                _event(stack, rec, "DELETE_SKIPPED")
                continue
        if not _delete_resource(stack, rec):
            ok = False
    return ok


def _delete_resource(stack, rec: Record) -> bool:
    """Delete the resource of `rec` with CloudFormation's events; False (DELETE_FAILED) if it failed."""
    if rec.instance is None:
        _event(stack, rec, "DELETE_COMPLETE")
        return True
    _event(stack, rec, "DELETE_IN_PROGRESS")
    try:
        lifecycle.delete(rec.resource_type, rec.instance, rec.properties, stack.account_id, stack.region_name)
    except Exception as exc:
        _event(stack, rec, "DELETE_FAILED", reason_for(exc, rec.resource_type))
        return False
    _event(stack, rec, "DELETE_COMPLETE")
    return True


def delete(stack, retain: list[str] | None = None) -> None:
    """Delete the stack's resources; the stack ends DELETE_COMPLETE or DELETE_FAILED."""
    _stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
    for out in getattr(stack, "sm_outputs", None) or []:
        users = _importers(stack, out["ExportName"]) if out.get("ExportName") else []
        if users:
            _stack_event(stack, "DELETE_FAILED",
                         f"Export {out['ExportName']} cannot be deleted as it is in use by {', '.join(users)}")
            return
    recs = records(stack)
    resources = (stack.template_dict or {}).get("Resources") or {}
    ok = _delete_records(stack, stack.resource_map, resources, list(recs), retain=tuple(retain or ()))
    if not ok:
        failed = [r.logical_id for r in recs.values() if r.status == "DELETE_FAILED"]
        _stack_event(stack, "DELETE_FAILED", f"The following resource(s) failed to delete: [{', '.join(failed)}]. ")
        return
    release_exports(stack)
    _stack_event(stack, "DELETE_COMPLETE")
    stack.deletion_time = _now()  # (the caller moves the stack to the deleted stacks)


# ---------------------------------------------------------------- update


def _diff(old: dict, new: dict) -> list[str]:
    return [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def update(stack, template: dict, body: str, parameters: dict, disable_rollback: bool = False,
           tags: dict | None = None) -> None:
    """Update ``stack`` to ``template`` / ``parameters`` (already validated)."""
    _stack_event(stack, "UPDATE_IN_PROGRESS", "User Initiated")
    stack.last_updated_time = _now()
    old_recs = records(stack)
    live_old = {lid: r for lid, r in old_recs.items() if _live(r)}
    old_snapshot = {lid: replace(r) for lid, r in old_recs.items()}
    old_tags = dict(stack.tags or {})
    tags_changed = tags is not None and dict(tags) != old_tags
    if tags is not None:
        stack.tags = dict(tags)
    rmap = build_map(stack, template, parameters)
    resources = template["Resources"]
    new_recs: dict[str, Record] = {}
    done: list[tuple[str, str, Record | None, Record]] = []
    failure: tuple[str, str] | None = None  # (logical id, "create" | "update")
    stack_failure = None
    for lid in cfn_template.creation_order(resources):
        definition = resources[lid]
        if not _condition_holds(rmap, definition):
            continue
        prev = live_old.get(lid)
        if prev is None or prev.resource_type != definition["Type"]:
            rec = new_recs[lid] = Record(lid, definition["Type"], "CREATE_IN_PROGRESS", definition=definition)
            if not _create_resource(stack, rmap, rec):
                failure = (lid, "create")
                break
            done.append(("create", lid, None, rec))
            continue
        rec = replace(prev, definition=definition)
        new_recs[lid] = rec
        try:
            props = resolve(definition.get("Properties") or {}, rmap)
        except Exception as exc:
            _event(stack, rec, "UPDATE_FAILED", reason_for(exc, rec.resource_type))
            failure = (lid, "update")
            break
        changed = _diff(prev.properties, props)
        retag = tags_changed and cfn_schema.is_taggable(rec.resource_type)
        if not changed and retag:
            _event(stack, rec, "UPDATE_IN_PROGRESS", properties=definition.get("Properties") or {})
            try:
                rec.instance = lifecycle.retag(rec.resource_type, prev.instance, props, old_tags, stack.tags,
                                               stack.account_id, stack.region_name)
            except Exception as exc:
                _event(stack, rec, "UPDATE_FAILED", reason_for(exc, rec.resource_type))
                failure = (lid, "update")
                break
            done.append(("retag", lid, prev, rec))
            _event(stack, rec, "UPDATE_COMPLETE")
        if not changed:
            rmap._parsed_resources[lid] = rec.instance
            continue
        replacing = any(cfn_schema.replacement_needed(rec.resource_type, k, prev.properties.get(k), props.get(k))
                        for k in changed)
        _event(stack, rec, "UPDATE_IN_PROGRESS", properties=definition.get("Properties") or {})
        try:
            if replacing:
                name_prop = lifecycle.name_property(rec.resource_type)
                if name_prop and props.get(name_prop) and props.get(name_prop) == prev.properties.get(name_prop):
                    raise ResolutionError(
                        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                        f"Rename {props[name_prop]} and update the stack again."
                    )
                _check_properties(rec.resource_type, lid, props)
                instance, props = _create_instance(stack, rmap, lid, definition)
                rec.instance, rec.properties, rec.physical_id = instance, props, lifecycle.physical_id(instance)
                _event(stack, rec, "UPDATE_IN_PROGRESS", NEW_RESOURCE_REASON)
                done.append(("replace", lid, prev, rec))
            else:
                _check_properties(rec.resource_type, lid, props)
                instance = lifecycle.update(rec.resource_type, prev.instance, prev.properties, props, changed,
                                            stack.account_id, stack.region_name)
                if retag and not lifecycle.has_own_update(instance):
                    instance = lifecycle.retag(rec.resource_type, instance, props, old_tags, stack.tags,
                                               stack.account_id, stack.region_name)
                rec.instance, rec.properties = instance, props
                rec.physical_id = lifecycle.physical_id(instance) or prev.physical_id
                done.append(("update", lid, prev, rec))
        except Exception as exc:
            _event(stack, rec, "UPDATE_FAILED", reason_for(exc, rec.resource_type))
            if replacing:
                done.append(("replace_failed", lid, prev, rec))
            else:
                done.append(("update", lid, prev, replace(rec, properties=props)))
            failure = (lid, "update")
            break
        _event(stack, rec, "UPDATE_COMPLETE")
        rmap._parsed_resources[lid] = rec.instance
    if failure is None:
        try:
            outputs, imports = _outputs(stack, rmap, template)
        except StackFailure as exc:
            stack_failure = f"{exc}. "
    if failure is None and stack_failure is None:
        _finish_update(stack, template, body, parameters, rmap, new_recs, live_old, done, outputs, imports)
        return
    if failure is not None:
        verb = "create" if failure[1] == "create" else "update"
        reason = f"The following resource(s) failed to {verb}: [{failure[0]}]. "
    else:
        reason = stack_failure
    if disable_rollback:
        stack.tags_before_failure = old_tags
        merged = dict(old_recs)
        merged.update(new_recs)
        stack.sm_records = merged
        stack.template, stack.template_dict, stack.parameters = body, template, parameters
        stack.resource_map = rmap
        _stack_event(stack, "UPDATE_FAILED", reason)
        return
    _rollback_update(stack, reason, old_snapshot, new_recs, done, failure, old_tags, tags_changed)


def _finish_update(stack, template, body, parameters, rmap, new_recs, live_old, done, outputs, imports) -> None:
    from moto.cloudformation.parsing import OutputMap

    _stack_event(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    old_recs = records(stack)
    cleanup: dict[str, Record] = {}
    for kind, lid, prev, _rec in done:
        if kind == "replace":
            cleanup[lid] = replace(prev)
    removed = [lid for lid in live_old if lid not in new_recs]
    stack.sm_records = cleanup  # delete from a scratch set of records, events name the old ids
    for lid in removed:
        cleanup[lid] = old_recs[lid]
    old_resources = {lid: r.definition for lid, r in cleanup.items()}
    order = cfn_template.deletion_order(old_resources, list(cleanup))
    for lid in order:
        rec = cleanup[lid]
        key = "UpdateReplacePolicy" if lid in new_recs else "DeletionPolicy"
        _delete_records(stack, rmap, old_resources, [lid], policy_key=key)
    stack.sm_records = new_recs
    stack.template, stack.template_dict, stack.parameters = body, template, parameters
    stack.description = template.get("Description")
    stack.resource_map = rmap
    stack.output_map = OutputMap(rmap, template, stack.stack_id)
    _commit_outputs(stack, outputs, imports)
    _stack_event(stack, "UPDATE_COMPLETE")


def _rollback_update(stack, reason, old_snapshot, new_recs, done, failure, old_tags, tags_changed) -> None:
    _stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
    new_tags = dict(stack.tags or {})
    stack.tags = old_tags
    ok = True
    to_delete: list[Record] = []  # new resources and new replacements, newest first
    if failure is not None and failure[1] == "create":
        to_delete.append(new_recs[failure[0]])
    for kind, lid, prev, rec in reversed(done):
        if kind == "create":
            to_delete.append(rec)
            continue
        if kind in ("replace", "replace_failed"):
            if kind == "replace":
                to_delete.append(replace(rec))
            _event(stack, prev, "UPDATE_IN_PROGRESS")
            _event(stack, prev, "UPDATE_COMPLETE")
            continue
        _event(stack, prev, "UPDATE_IN_PROGRESS")
        try:
            if kind == "retag":
                instance = lifecycle.retag(prev.resource_type, rec.instance, prev.properties, new_tags, old_tags,
                                           stack.account_id, stack.region_name)
            else:
                instance = lifecycle.update(prev.resource_type, rec.instance, rec.properties, prev.properties,
                                            _diff(rec.properties, prev.properties), stack.account_id,
                                            stack.region_name)
                if (tags_changed and cfn_schema.is_taggable(prev.resource_type)
                        and not lifecycle.has_own_update(instance)):
                    instance = lifecycle.retag(prev.resource_type, instance, prev.properties, new_tags, old_tags,
                                               stack.account_id, stack.region_name)
        except Exception as exc:
            _event(stack, prev, "UPDATE_FAILED", reason_for(exc, prev.resource_type))
            ok = False
            continue
        old_snapshot[lid].instance = instance
        stack.resource_map._parsed_resources[lid] = instance
        _event(stack, prev, "UPDATE_COMPLETE")
    if not ok:
        stack.sm_records = old_snapshot
        _stack_event(stack, "UPDATE_ROLLBACK_FAILED", reason)
        return
    _stack_event(stack, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    for rec in to_delete:
        _delete_resource(stack, rec)
    for rec in old_snapshot.values():
        if _live(rec) and rec.status.startswith("UPDATE"):
            rec.status, rec.reason = "UPDATE_COMPLETE", None
    stack.sm_records = old_snapshot
    _stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")


# ---------------------------------------------------------------- change set planning


class _Unknown:
    """A resource that will be created or replaced: its id and attributes are unknown."""

    physical_resource_id = TOKEN

    def get_cfn_attribute(self, attr: str) -> str:
        return TOKEN


class _AttributesUnknown:
    """A resource updated in place: same id, attributes possibly changed."""

    def __init__(self, physical_id: str):
        self.physical_resource_id = physical_id

    def get_cfn_attribute(self, attr: str) -> str:
        return TOKEN


def _has_token(value: Any) -> bool:
    return TOKEN in json.dumps(value, default=str)


def plan(stack, template: dict, parameters: dict, tags: dict | None = None) -> list[dict]:
    """The ResourceChange list of a change set taking ``stack`` to ``template`` / ``parameters``
    (and to stack tags ``tags``; None keeps them)."""
    recs = {lid: r for lid, r in records(stack).items() if _live(r)}
    tags_changed = tags is not None and dict(tags) != dict(stack.tags or {})
    rmap = build_map(stack, template, parameters)
    old_params = dict(getattr(stack.resource_map, "resolved_parameters", {}) or {})
    new_params = dict(rmap.resolved_parameters)
    changed_params = {k for k in set(old_params) | set(new_params) if old_params.get(k) != new_params.get(k)}
    resources = template["Resources"]
    changes: list[dict] = []
    state: dict[str, str] = {}
    for lid in cfn_template.creation_order(resources):
        definition = resources[lid]
        if not _condition_holds(rmap, definition):
            continue
        rtype = definition["Type"]
        rec = recs.get(lid)
        if rec is None or rec.resource_type != rtype:
            state[lid] = "add"
            rmap._parsed_resources[lid] = _Unknown()
            changes.append({"Action": "Add", "LogicalResourceId": lid, "ResourceType": rtype,
                            "Scope": [], "Details": []})
            continue
        try:
            props = resolve(definition.get("Properties") or {}, rmap)
        except Exception:
            props = {"__unresolvable__": TOKEN}
        keys = [k for k in _diff(rec.properties, props) if k != "__unresolvable__"] or (
            ["__unresolvable__"] if "__unresolvable__" in props else [])
        stack_tags = tags_changed and cfn_schema.is_taggable(rtype) and "Tags" not in keys
        if not keys and stack_tags:
            changes.append({"Action": "Modify", "LogicalResourceId": lid, "PhysicalResourceId": rec.physical_id,
                            "ResourceType": rtype, "Replacement": "False", "Scope": ["Tags"],
                            "Details": [{"Target": {"Attribute": "Tags", "RequiresRecreation": "Never"},
                                         "Evaluation": "Static", "ChangeSource": "DirectModification"}]})
        if not keys:
            state[lid] = "none"
            rmap._parsed_resources[lid] = rec.instance
            continue
        details, replacement = [], "False"
        old_raw = (rec.definition.get("Properties") or {})
        new_raw = definition.get("Properties") or {}
        for key in keys:
            if key == "__unresolvable__":
                details.append({"Target": {"Attribute": "Properties", "RequiresRecreation": "Conditionally"},
                                "Evaluation": "Dynamic", "ChangeSource": "ResourceReference"})
                replacement = "Conditional" if replacement != "True" else replacement
                continue
            before, after = rec.properties.get(key), props.get(key)
            recreation = cfn_schema.requires_recreation(rtype, key)
            attribute = "Tags" if key == "Tags" else "Properties"
            target = {"Attribute": attribute, "Name": key, "RequiresRecreation": recreation,
                      "Path": f"/Properties/{key}",
                      "AttributeChangeType": "Add" if before is None else "Remove" if after is None else "Modify"}
            if attribute == "Tags":
                target.pop("Name")
            if _has_token(after):
                refs, atts = cfn_template.references(new_raw.get(key))
                causes = [a for a in atts if state.get(a[0]) in ("add", "replace", "modify")]
                ref_causes = [r for r in refs if state.get(r) in ("add", "replace")]
                detail = {"Target": target, "Evaluation": "Dynamic"}
                if ref_causes:
                    detail.update(ChangeSource="ResourceReference", CausingEntity=ref_causes[0])
                elif causes:
                    detail.update(ChangeSource="ResourceAttribute", CausingEntity=f"{causes[0][0]}.{causes[0][1]}")
                details.append(detail)
                if recreation != "Never" and replacement != "True":
                    replacement = "Conditional"
                continue
            detail = {"Target": target, "Evaluation": "Static"}
            if old_raw.get(key) == new_raw.get(key):
                refs, _ = cfn_template.references(new_raw.get(key))
                params = sorted(r for r in refs if r in changed_params)
                detail["ChangeSource"] = "ParameterReference"
                if params:
                    detail["CausingEntity"] = params[0]
            else:
                detail["ChangeSource"] = "DirectModification"
            details.append(detail)
            if cfn_schema.replacement_needed(rtype, key, before, after):
                replacement = "True"
        if stack_tags:
            details.append({"Target": {"Attribute": "Tags", "RequiresRecreation": "Never"},
                            "Evaluation": "Static", "ChangeSource": "DirectModification"})
        scope = sorted({d["Target"]["Attribute"] for d in details})
        change = {"Action": "Modify", "LogicalResourceId": lid, "PhysicalResourceId": rec.physical_id,
                  "ResourceType": rtype, "Replacement": replacement, "Scope": scope, "Details": details}
        if replacement == "True":
            policy = _policy(definition, "UpdateReplacePolicy", rmap)
            change["PolicyAction"] = "ReplaceAndRetain" if policy == "Retain" else "ReplaceAndDelete"
        changes.append(change)
        if replacement in ("True", "Conditional"):
            state[lid] = "replace"
            rmap._parsed_resources[lid] = _Unknown()
        else:
            state[lid] = "modify"
            rmap._parsed_resources[lid] = _AttributesUnknown(rec.physical_id)
    for lid, rec in recs.items():
        if lid in state:
            continue
        policy = _policy(rec.definition, "DeletionPolicy", stack.resource_map)
        changes.append({"Action": "Remove", "LogicalResourceId": lid, "PhysicalResourceId": rec.physical_id,
                        "ResourceType": rec.resource_type, "Scope": [], "Details": [],
                        "PolicyAction": "Retain" if policy in ("Retain", "RetainExceptOnCreate") else "Delete"})
    return changes


def outputs_would_change(stack, template: dict, parameters: dict) -> bool:
    """Whether the Outputs section (definitions or parameter values they use) changes."""
    old_outputs = (stack.template_dict or {}).get("Outputs") or {}
    return old_outputs != (template.get("Outputs") or {})
