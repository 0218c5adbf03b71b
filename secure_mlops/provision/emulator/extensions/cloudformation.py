"""CloudFormation engine: make moto's CloudFormation behave as AWS CloudFormation does.

``install()`` wires the engine (``cfn_engine``), the template checks (``cfn_template``),
the registry schemas (``cfn_schema``) and the per-type lifecycle (``cfn_lifecycle``) into
moto 5.2.5's CloudFormation backend and API: CreateStack, UpdateStack, DeleteStack, the
change set operations, and the stack/resource read operations. Every other moto
CloudFormation operation is left as it is. See docs/emulator.md, "CloudFormation engine".
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any
from urllib.parse import urlparse

from . import cfn_engine as engine
from . import cfn_lifecycle as lifecycle
from . import cfn_template

_installed = False
#: deployments mutate several backends: one at a time (re-entrant for nested stacks)
LOCK = threading.RLock()

_UPDATABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_FAILED",
              "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE")
NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


def _errors():
    from moto.cloudformation.exceptions import CloudFormationError

    class ChangeSetNotFound(CloudFormationError):
        code = "ChangeSetNotFoundException"

    class InvalidChangeSetStatus(CloudFormationError):
        code = "InvalidChangeSetStatusException"

    class InsufficientCapabilities(CloudFormationError):
        code = "InsufficientCapabilitiesException"

    return ChangeSetNotFound, InvalidChangeSetStatus, InsufficientCapabilities


ChangeSetNotFound = InvalidChangeSetStatus = InsufficientCapabilities = None  # set by install()


def _validation_error(message: str):
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


# ---------------------------------------------------------------- change sets


class ChangeSetRecord:
    """A change set as DescribeChangeSet / ListChangeSets show it."""

    def __init__(self, change_set_id, name, stack, change_set_type, template, template_dict, parameters,
                 description, tags, capabilities, notification_arns, role_arn, on_stack_failure):
        from moto.core.utils import utcnow

        self.change_set_id = change_set_id
        self.change_set_name = name
        self.stack_id = stack.stack_id
        self.stack_name = stack.name
        self.change_set_type = change_set_type
        self.template = template
        self.template_dict = template_dict
        self.parameters = parameters
        self.description = description
        self.tags = tags
        self.capabilities = capabilities
        self.notification_arns = notification_arns or []
        self.role_arn = role_arn
        self.on_stack_failure = on_stack_failure
        self.creation_time = utcnow()
        self.status = "CREATE_COMPLETE"
        self.execution_status = "AVAILABLE"
        self.status_reason = None
        self.changes: list[dict] = []

    def summary(self) -> dict:
        return {
            "StackId": self.stack_id, "StackName": self.stack_name, "ChangeSetId": self.change_set_id,
            "ChangeSetName": self.change_set_name, "ExecutionStatus": self.execution_status,
            "Status": self.status, "StatusReason": self.status_reason, "CreationTime": self.creation_time,
            "Description": self.description, "IncludeNestedStacks": False,
        }

    def describe(self) -> dict:
        declared = (self.template_dict or {}).get("Parameters") or {}
        params = []
        for key, spec in declared.items():
            value = self.parameters.get(key, (spec or {}).get("Default"))
            params.append({"ParameterKey": key,
                           "ParameterValue": "****" if (spec or {}).get("NoEcho") else engine._as_string(value)})
        out = self.summary()
        out.update({
            "Parameters": params,
            "NotificationARNs": self.notification_arns,
            "Capabilities": self.capabilities,
            "Tags": [{"Key": k, "Value": v} for k, v in (self.tags or {}).items()],
            "Changes": [{"Type": "Resource", "ResourceChange": c} for c in self.changes],
            "RollbackConfiguration": {},
            "OnStackFailure": self.on_stack_failure,
        })
        return out


def _find_change_set(backend, name: str, stack_name: str | None = None) -> ChangeSetRecord:
    if name in backend.change_sets:
        return backend.change_sets[name]
    found = [cs for cs in backend.change_sets.values()
             if cs.change_set_name == name and (not stack_name or stack_name in (cs.stack_name, cs.stack_id))]
    if not found:
        raise ChangeSetNotFound(f"ChangeSet [{name}] does not exist")
    return found[-1]


# ---------------------------------------------------------------- backend operations


def _live_stack(backend, name_or_id: str):
    if name_or_id in backend.stacks:
        return backend.stacks[name_or_id]
    for stack in backend.stacks.values():
        if stack.name == name_or_id:
            return stack
    return None


def _resource_exists(backend, kind: str, value: str) -> bool:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[backend.account_id][backend.region_name]
    if kind == "vpc":
        return value in ec2.vpcs
    if kind == "subnet":
        return any(value in subnets for subnets in ec2.subnets.values())
    if kind == "security-group":
        return ec2.get_security_group_from_id(value) is not None
    if kind == "availability-zone":
        return value in {z.name for z in ec2.describe_availability_zones()}
    return True


def _validated(backend, body: Any, parameters: dict, capabilities: list[str] | None) -> dict:
    """Parse and check a template as AWS does before any change; ValidationError otherwise."""
    from moto.ssm.models import ssm_backends

    try:
        template = cfn_template.parse(body)
        cfn_template.validate(template)
        cfn_template.validate_parameters(template, parameters,
                                         lambda kind, value: _resource_exists(backend, kind, value))
        ssm = ssm_backends[backend.account_id][backend.region_name]
        for key, spec in (template.get("Parameters") or {}).items():
            if str((spec or {}).get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                path = parameters.get(key, (spec or {}).get("Default"))
                if ssm.get_parameter(str(path)) is None:
                    raise cfn_template.TemplateError(
                        f"Unable to fetch parameters [{path}] from parameter store for this account.")
        if capabilities is not None:
            cfn_template.check_capabilities(template, capabilities)
    except cfn_template.CapabilitiesError as exc:
        raise InsufficientCapabilities(str(exc)) from None
    except cfn_template.TemplateError as exc:
        raise _validation_error(str(exc)) from None
    return template


class _template_errors:
    """Errors while moto loads parameters, mappings and conditions: ValidationError, not HTTP 500."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        from moto.core.exceptions import ServiceException

        if exc is None or isinstance(exc, ServiceException):
            return False
        if isinstance(exc, (engine.EmulatorGap, engine.ResolutionError)):
            raise _validation_error(f"Template error: {exc}") from None
        raise _validation_error(f"Template error: {type(exc).__name__}: {exc}") from None


def _check_updatable(stack) -> None:
    if stack.status not in _UPDATABLE:
        raise _validation_error(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")


def _check_type_changes(stack, template: dict) -> None:
    live = {lid: r.resource_type for lid, r in engine.records(stack).items() if engine._live(r)}
    changed = [lid for lid, r in (template.get("Resources") or {}).items()
               if lid in live and isinstance(r, dict) and r.get("Type") != live[lid]]
    if changed:
        raise _validation_error(
            "Update of resource type is not permitted. The new template modifies resource type of the "
            f"following resources: [{', '.join(changed)}]")


def _retire(backend, stack) -> None:
    backend.stacks.pop(stack.stack_id, None)
    backend.deleted_stacks[stack.stack_id] = stack
    for arn in [a for a, cs in backend.change_sets.items() if cs.stack_id == stack.stack_id]:
        backend.change_sets.pop(arn)


def create_stack(self, name, template, parameters, notification_arns=None, tags=None, role_arn=None,
                 enable_termination_protection=False, timeout_in_mins=None, stack_policy_body=None,
                 on_failure="ROLLBACK", capabilities=None, validate_capabilities=False):
    from moto.cloudformation.exceptions import AlreadyExistsException
    from moto.cloudformation.models import Stack
    from moto.cloudformation.utils import generate_stack_id

    with LOCK:
        if _live_stack(self, name) is not None:
            raise AlreadyExistsException(f"Stack [{name}] already exists")
        parameters = dict(parameters or {})
        _validated(self, template, parameters, capabilities if validate_capabilities else None)
        with _template_errors():
            stack = Stack(
                stack_id=generate_stack_id(name, self.region_name, self.account_id), name=name,
                template=template, parameters=parameters, account_id=self.account_id,
                region_name=self.region_name, notification_arns=notification_arns, tags=tags,
                role_arn=role_arn, cross_stack_resources=self.exports,
                enable_termination_protection=enable_termination_protection,
                timeout_in_mins=timeout_in_mins, stack_policy_body=stack_policy_body,
            )
        stack.capabilities = list(capabilities or [])
        self.stacks[stack.stack_id] = stack
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        engine.create(stack, on_failure or "ROLLBACK")
        if stack.status == "DELETE_COMPLETE":
            _retire(self, stack)
        return stack


def _params_from_list(incoming: list[dict], stack) -> dict:
    params = {}
    for p in incoming or []:
        key = p["ParameterKey"]
        if p.get("UsePreviousValue") in (True, "true", "True"):
            if p.get("ParameterValue"):
                raise _validation_error(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true "
                    "and non empty value for a parameter")
            if key not in (stack.parameters or {}) and key not in stack.resource_map.resolved_parameters:
                raise _validation_error(f"Invalid input for parameter key {key}. Need to specify either usePreviousValue as true or a value for the parameter")
            params[key] = (stack.parameters or {}).get(key, engine._as_string(stack.resource_map.resolved_parameters.get(key)))
        else:
            params[key] = p.get("ParameterValue")
    return params


def _no_change(stack, template, parameters, tags, changes) -> bool:
    return (not changes and not engine.outputs_would_change(stack, template, parameters)
            and (tags is None or tags == (stack.tags or {})))


def update_stack(self, name, template, role_arn, parameters, tags, disable_rollback=False,
                 capabilities=None, validate_capabilities=False):
    with LOCK:
        stack = self.get_stack(name)
        if stack.stack_id not in self.stacks:
            raise _validation_error(f"Stack [{name}] does not exist")
        _check_updatable(stack)
        params = _params_from_list(parameters, stack) if isinstance(parameters, list) else dict(parameters or {})
        tdict = _validated(self, template, params, capabilities if validate_capabilities else None)
        _check_type_changes(stack, tdict)
        with _template_errors():
            changes = engine.plan(stack, tdict, params, tags)
        if _no_change(stack, tdict, params, tags, changes):
            raise _validation_error("No updates are to be performed.")
        engine.update(stack, tdict, template, params, disable_rollback=disable_rollback, tags=tags)
        if role_arn:
            stack.role_arn = role_arn
        if capabilities is not None:
            stack.capabilities = list(capabilities)
        return stack


def delete_stack(self, name_or_stack_id, retain_resources=None):
    with LOCK:
        stack = _live_stack(self, name_or_stack_id)
        if stack is None:
            return  # AWS: deleting a stack that does not exist (any more) succeeds
        if stack.enable_termination_protection:
            raise _validation_error(
                f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
        if retain_resources and stack.status != "DELETE_FAILED":
            raise _validation_error(
                f"Invalid operation on stack [{stack.stack_id}]. RetainResources can only be specified "
                "when the stack is in the DELETE_FAILED state")
        if stack.status == "REVIEW_IN_PROGRESS":
            engine._stack_event(stack, "DELETE_COMPLETE")
            stack.deletion_time = engine._now()
        else:
            engine.delete(stack, retain_resources)
        if stack.status == "DELETE_COMPLETE":
            _retire(self, stack)
        return stack  # (the API answers nothing; in-process callers can read the outcome)


def create_change_set(self, stack_name, change_set_name, template, parameters, description,
                      change_set_type, notification_arns=None, tags=None, role_arn=None,
                      capabilities=None, on_stack_failure=None, validate_capabilities=False):
    from moto.cloudformation.exceptions import AlreadyExistsException
    from moto.cloudformation.models import Stack
    from moto.cloudformation.utils import generate_changeset_id, generate_stack_id, validate_create_change_set

    with LOCK:
        validate_create_change_set(change_set_name)
        existing = _live_stack(self, stack_name)
        change_set_type = change_set_type or "UPDATE"
        if change_set_type == "UPDATE":
            if existing is None or existing.status == "REVIEW_IN_PROGRESS":
                raise _validation_error(f"Stack [{stack_name}] does not exist")
            _check_updatable(existing)
        elif change_set_type == "CREATE":
            if existing is not None and existing.status != "REVIEW_IN_PROGRESS":
                raise _validation_error(
                    f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{change_set_name}].")
        else:
            raise _validation_error(f"ChangeSetType {change_set_type} is not supported by the embedded emulator")
        if existing is not None and any(cs.change_set_name == change_set_name and cs.stack_id == existing.stack_id
                                         for cs in self.change_sets.values()):
            raise AlreadyExistsException(f"ChangeSet [{change_set_name}] already exists")
        parameters = dict(parameters or {})
        tdict = _validated(self, template, parameters, capabilities if validate_capabilities else None)
        if change_set_type == "UPDATE":
            _check_type_changes(existing, tdict)
        stack = existing
        if stack is None:
            stack = Stack(
                stack_id=generate_stack_id(stack_name, self.region_name, self.account_id), name=stack_name,
                template={}, parameters={}, account_id=self.account_id, region_name=self.region_name,
                notification_arns=notification_arns, tags=tags, role_arn=role_arn,
            )
            stack.status = "REVIEW_IN_PROGRESS"
            self.stacks[stack.stack_id] = stack
            stack._add_stack_event("REVIEW_IN_PROGRESS", resource_status_reason="User Initiated")
        cs = ChangeSetRecord(
            generate_changeset_id(change_set_name, self.region_name, self.account_id), change_set_name, stack,
            change_set_type, template, tdict, parameters, description, tags, list(capabilities or []),
            notification_arns, role_arn, on_stack_failure,
        )
        try:
            cs.changes = engine.plan(stack, tdict, parameters, tags if change_set_type == "UPDATE" else None)
        except Exception as exc:
            cs.status, cs.execution_status = "FAILED", "UNAVAILABLE"
            cs.status_reason = engine.reason_for(exc, "AWS::CloudFormation::Stack")
        else:
            if change_set_type == "UPDATE" and _no_change(stack, tdict, parameters, tags, cs.changes):
                cs.status, cs.execution_status, cs.status_reason = "FAILED", "UNAVAILABLE", NO_CHANGES
        self.change_sets[cs.change_set_id] = cs
        return cs.change_set_id, stack.stack_id


def execute_change_set(self, change_set_name, stack_name=None, disable_rollback=False):
    with LOCK:
        cs = _find_change_set(self, change_set_name, stack_name)
        if cs.execution_status != "AVAILABLE":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{cs.change_set_id}] cannot be executed in its current execution status of "
                f"[{cs.execution_status}]")
        stack = self.stacks.get(cs.stack_id)
        if stack is None:
            raise _validation_error(f"Stack [{cs.stack_name}] does not exist")
        cs.execution_status = "EXECUTE_IN_PROGRESS"
        if cs.change_set_type == "CREATE":
            stack.template = cs.template
            stack._parse_template()
            stack.parameters = dict(cs.parameters)
            stack.description = stack.template_dict.get("Description")
            stack.tags = dict(cs.tags or {})
            with _template_errors():
                stack.resource_map = stack._create_resource_map()
            stack.output_map = stack._create_output_map()
            stack.capabilities = cs.capabilities
            stack.change_set_id = cs.change_set_id
            stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
            on_failure = "DO_NOTHING" if disable_rollback else (cs.on_stack_failure or "ROLLBACK")
            engine.create(stack, on_failure)
            succeeded = stack.status == "CREATE_COMPLETE"
            if stack.status == "DELETE_COMPLETE":
                _retire(self, stack)
                self.change_sets[cs.change_set_id] = cs
        else:
            stack.change_set_id = cs.change_set_id
            engine.update(stack, cs.template_dict, cs.template, dict(cs.parameters),
                          disable_rollback=disable_rollback or cs.on_stack_failure == "DO_NOTHING", tags=cs.tags)
            stack.capabilities = cs.capabilities
            succeeded = stack.status == "UPDATE_COMPLETE"
        cs.execution_status = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"
        for arn in [a for a, other in self.change_sets.items() if other.stack_id == cs.stack_id and other is not cs]:
            self.change_sets.pop(arn)


def delete_change_set(self, change_set_name, stack_name=None):
    with LOCK:
        cs = _find_change_set(self, change_set_name, stack_name)
        if cs.execution_status == "EXECUTE_IN_PROGRESS":
            raise InvalidChangeSetStatus(
                f"ChangeSet [{cs.change_set_id}] cannot be deleted in its current execution status of [EXECUTE_IN_PROGRESS]")
        self.change_sets.pop(cs.change_set_id, None)


def describe_change_set(self, change_set_name, stack_name=None):
    return _find_change_set(self, change_set_name, stack_name)


def list_change_sets(self, stack_name=None):
    stack = self.get_stack(stack_name) if stack_name else None
    return [cs for cs in list(self.change_sets.values()) if stack is None or cs.stack_id == stack.stack_id]


# ---------------------------------------------------------------- API (response) operations


def _needs_stack_name(self, name: str) -> None:
    if not name.startswith("arn:") and not self._get_param("StackName"):
        raise _validation_error("StackName must be specified if ChangeSetName is not specified as an ARN.")


def _template_body(self) -> str | None:
    body = self._get_param("TemplateBody")
    url = self._get_param("TemplateURL")
    if url and not body:
        body = self._get_stack_from_s3_url(url)
    return body


def _tags_param(self) -> dict | None:
    tags = self._get_param("Tags")
    if tags is None:
        return None
    return {t["Key"]: t["Value"] for t in tags}


def r_create_stack(self):
    from moto.core.responses import ActionResult

    body = _template_body(self)
    if not body:
        raise _validation_error("Either Template URL or Template Body must be specified.")
    on_failure = self._get_param("OnFailure")
    disable_rollback = self._get_bool_param("DisableRollback", False)
    if on_failure and disable_rollback:
        raise _validation_error("Either DisableRollback or OnFailure can be specified, not both.")
    stack = self.cloudformation_backend.create_stack(
        name=self._get_param("StackName"),
        template=body,
        parameters={p["ParameterKey"]: p.get("ParameterValue") for p in self._get_param("Parameters", [])},
        notification_arns=self._get_param("NotificationARNs", []),
        tags=_tags_param(self) or {},
        role_arn=self._get_param("RoleARN"),
        enable_termination_protection=self._get_bool_param("EnableTerminationProtection", False),
        timeout_in_mins=self._get_param("TimeoutInMinutes"),
        stack_policy_body=self._get_param("StackPolicyBody"),
        on_failure=on_failure or ("DO_NOTHING" if disable_rollback else "ROLLBACK"),
        capabilities=self._get_param("Capabilities", []),
        validate_capabilities=True,
    )
    return ActionResult({"StackId": stack.stack_id})


def r_update_stack(self):
    from moto.core.responses import ActionResult

    name = self._get_param("StackName")
    stack = self.cloudformation_backend.get_stack(name)
    if self._get_bool_param("UsePreviousTemplate", False):
        body = stack.template
    else:
        body = _template_body(self)
    if not body:
        raise _validation_error("Either Template URL or Template Body must be specified.")
    stack = self.cloudformation_backend.update_stack(
        name=name, template=body, role_arn=self._get_param("RoleARN"),
        parameters=self._get_param("Parameters", []), tags=_tags_param(self),
        disable_rollback=self._get_bool_param("DisableRollback", False),
        capabilities=self._get_param("Capabilities", []), validate_capabilities=True,
    )
    return ActionResult({"StackId": stack.stack_id})


def r_delete_stack(self):
    from moto.core.responses import EmptyResult

    self.cloudformation_backend.delete_stack(self._get_param("StackName"),
                                             retain_resources=self._get_param("RetainResources", []))
    return EmptyResult()


def r_create_change_set(self):
    from moto.core.responses import ActionResult

    backend = self.cloudformation_backend
    stack_name = self._get_param("StackName")
    change_set_type = self._get_param("ChangeSetType", "UPDATE")
    existing = _live_stack(backend, stack_name)
    if self._get_bool_param("UsePreviousTemplate", False):
        if self._get_param("TemplateBody") or self._get_param("TemplateURL"):
            raise _validation_error("You cannot specify both usePreviousTemplate and Template Body/Template URL.")
        if existing is None:
            raise _validation_error(f"Stack [{stack_name}] does not exist")
        body = existing.template
    else:
        body = _template_body(self)
    if not body:
        raise _validation_error("Either Template URL or Template Body must be specified.")
    incoming = self._get_param("Parameters", [])
    if existing is not None and existing.status != "REVIEW_IN_PROGRESS":
        params = _params_from_list(incoming, existing)
    else:
        params = {p["ParameterKey"]: p.get("ParameterValue") for p in incoming}
    change_set_id, stack_id = backend.create_change_set(
        stack_name=stack_name,
        change_set_name=self._get_param("ChangeSetName"),
        template=body,
        parameters=params,
        description=self._get_param("Description"),
        change_set_type=change_set_type,
        notification_arns=self._get_param("NotificationARNs", []),
        tags=_tags_param(self),
        role_arn=self._get_param("RoleARN"),
        capabilities=self._get_param("Capabilities", []),
        on_stack_failure=self._get_param("OnStackFailure"),
        validate_capabilities=True,
    )
    return ActionResult({"Id": change_set_id, "StackId": stack_id})


def r_describe_change_set(self):
    from moto.core.responses import ActionResult

    name = self._get_param("ChangeSetName")
    _needs_stack_name(self, name)
    cs = self.cloudformation_backend.describe_change_set(name, self._get_param("StackName"))
    return ActionResult(cs.describe())


def r_execute_change_set(self):
    from moto.core.responses import EmptyResult

    name = self._get_param("ChangeSetName")
    _needs_stack_name(self, name)
    self.cloudformation_backend.execute_change_set(
        name, self._get_param("StackName"), disable_rollback=self._get_bool_param("DisableRollback", False))
    return EmptyResult()


def r_delete_change_set(self):
    from moto.core.responses import EmptyResult

    name = self._get_param("ChangeSetName")
    _needs_stack_name(self, name)
    self.cloudformation_backend.delete_change_set(name, self._get_param("StackName"))
    return EmptyResult()


def r_list_change_sets(self):
    from moto.core.responses import ActionResult

    change_sets = self.cloudformation_backend.list_change_sets(self._get_param("StackName"))
    return ActionResult({"Summaries": [cs.summary() for cs in change_sets]})


def _resource_dict(stack, rec, detail: bool = False) -> dict:
    out = {
        "StackName": stack.name,
        "StackId": stack.stack_id,
        "LogicalResourceId": rec.logical_id,
        "PhysicalResourceId": rec.physical_id or None,
        "ResourceType": rec.resource_type,
        "ResourceStatus": rec.status,
        "ResourceStatusReason": rec.reason,
        "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
    }
    if detail:
        out["LastUpdatedTimestamp"] = rec.timestamp
        metadata = rec.definition.get("Metadata")
        if metadata is not None:
            import json

            out["Metadata"] = json.dumps(metadata)
    else:
        out["Timestamp"] = rec.timestamp
    return out


def r_list_stack_resources(self):
    from moto.core.responses import ActionResult

    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    summaries = []
    for rec in list(engine.records(stack).values()):
        entry = _resource_dict(stack, rec, detail=True)
        for key in ("StackName", "StackId"):
            entry.pop(key)
        summaries.append(entry)
    return ActionResult({"StackResourceSummaries": summaries})


def _stack_for_resources(self):
    backend = self.cloudformation_backend
    name = self._get_param("StackName")
    physical = self._get_param("PhysicalResourceId")
    if name:
        return backend.get_stack(name)
    if physical:
        for stack in list(backend.stacks.values()):
            if any(r.physical_id == physical for r in engine.records(stack).values()):
                return stack
        raise _validation_error(f"Stack for {physical} does not exist")
    raise _validation_error("Either StackName or PhysicalResourceId must be specified.")


def r_describe_stack_resources(self):
    from moto.core.responses import ActionResult

    stack = _stack_for_resources(self)
    logical = self._get_param("LogicalResourceId")
    physical = self._get_param("PhysicalResourceId")
    out = [
        _resource_dict(stack, rec) for rec in list(engine.records(stack).values())
        if (not logical or rec.logical_id == logical) and (not physical or self._get_param("StackName") or rec.physical_id == physical)
    ]
    return ActionResult({"StackResources": out})


def r_describe_stack_resource(self):
    from moto.core.responses import ActionResult

    name = self._get_param("StackName")
    logical = self._get_param("LogicalResourceId")
    stack = self.cloudformation_backend.get_stack(name)
    rec = engine.records(stack).get(logical)
    if rec is None:
        raise _validation_error(f"Resource {logical} does not exist for stack {name}")
    return ActionResult({"StackResourceDetail": _resource_dict(stack, rec, detail=True)})


# ---------------------------------------------------------------- Stack model


def _stack_parameter_list(self) -> list[dict]:
    declared = (self.template_dict or {}).get("Parameters") or {}
    resolved = getattr(self.resource_map, "resolved_parameters", {}) or {}
    out = []
    for key, spec in declared.items():
        spec = spec or {}
        raw = (self.parameters or {}).get(key, spec.get("Default"))
        entry = {"ParameterKey": key,
                 "ParameterValue": "****" if spec.get("NoEcho") else engine._as_string(raw)}
        if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value") and key in resolved:
            entry["ResolvedValue"] = "****" if spec.get("NoEcho") else engine._as_string(resolved[key])
        out.append(entry)
    return out


def _stack_outputs(self):
    outputs = getattr(self, "sm_outputs", None)
    return [dict(o) for o in outputs] if outputs else None


def _stack_exports(self):
    from moto.cloudformation.parsing import Export

    return [Export(self.stack_id, o["ExportName"], o["OutputValue"])
            for o in getattr(self, "sm_outputs", None) or [] if o.get("ExportName")]


def _stack_resources(self):
    return [r.instance for r in list(engine.records(self).values()) if engine._live(r)]


def _stack_getatt(self, attr: str):
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    if attr.startswith("Outputs."):
        key = attr.split(".", 1)[1]
        for o in getattr(self, "sm_outputs", None) or []:
            if o["OutputKey"] == key:
                return o["OutputValue"]
    raise UnformattedGetAttTemplateException()


def _stack_create_resources(self):
    engine.create(self, getattr(self, "on_failure", "ROLLBACK"))


def _stack_update(self, template, role_arn=None, parameters=None, tags=None):
    backend = engine._backend(self)
    update_stack(backend, self.stack_id, template, role_arn, parameters or {}, tags)


def _stack_delete(self, *_args):
    """moto deletes a nested stack through its model: go through the backend, as AWS does."""
    _nested_delete(self, None, self.account_id, self.region_name)


# ---------------------------------------------------------------- nested stacks


def _nested_create(name, definition, account_id, region):
    from moto.cloudformation.models import cloudformation_backends

    props = definition["Properties"]
    backend = cloudformation_backends[account_id][region]
    body = _read_template_url(props["TemplateURL"], account_id, region)
    params = {k: engine._as_string(v) for k, v in (props.get("Parameters") or {}).items()}
    tags = {t["Key"]: t["Value"] for t in props.get("Tags") or []}
    child = backend.create_stack(name=name, template=body, parameters=params, tags=tags)
    if child.status != "CREATE_COMPLETE":
        reason = child.status_reason or child.status
        if child.stack_id in backend.stacks:
            backend.delete_stack(child.stack_id)
        raise engine.StackFailure(f"Embedded stack {child.stack_id} was not successfully created: {reason}")
    return child


def _nested_delete(instance, props, account_id, region):
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[account_id][region]
    backend.delete_stack(instance.stack_id)
    if instance.status != "DELETE_COMPLETE":
        raise engine.StackFailure(f"Embedded stack {instance.stack_id} was not successfully deleted: {instance.status_reason}")


def _nested_update(instance, old, new, props, account_id, region):
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[account_id][region]
    body = _read_template_url(props["TemplateURL"], account_id, region)
    params = {k: engine._as_string(v) for k, v in (props.get("Parameters") or {}).items()}
    try:
        update_stack(backend, instance.stack_id, body, None, params, None)
    except Exception as exc:
        if "No updates are to be performed" in str(exc):
            return instance
        raise
    if instance.status != "UPDATE_COMPLETE":
        raise engine.StackFailure(f"Embedded stack {instance.stack_id} was not successfully updated: {instance.status_reason}")
    return instance


def _read_template_url(url: str, account_id: str, region: str) -> str:
    from moto.utilities.utils import get_partition

    return read_template_url(url, account_id, get_partition(region))


def read_template_url(template_url: str, account_id: str, partition: str) -> str:
    """Read a TemplateURL from the emulated S3: virtual-host, path-style and loopback URLs."""
    from moto.s3.models import s3_backends

    parts = urlparse(template_url)
    host = parts.hostname or ""
    path = parts.path.lstrip("/")
    if _is_loopback(host) or (host.startswith("s3") and host.endswith("amazonaws.com")):
        bucket, _, key = path.partition("/")
    elif ".s3" in host:
        bucket, key = host.split(".s3")[0], path
    else:
        bucket, key = host.split(".")[0], path
    try:
        obj = s3_backends[account_id][partition].get_object(bucket, key)
    except Exception:
        obj = None
    if obj is None:
        raise _validation_error(f"S3 error: The specified key does not exist. ({template_url})")
    return obj.value.decode("utf-8")


def _is_loopback(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_private
    except ValueError:
        return False


# ---------------------------------------------------------------- install


def install() -> None:
    global _installed, ChangeSetNotFound, InvalidChangeSetStatus, InsufficientCapabilities
    if _installed:
        return
    from moto.cloudformation import models, parsing, responses, utils

    ChangeSetNotFound, InvalidChangeSetStatus, InsufficientCapabilities = _errors()

    # intrinsic functions: loud failures, no lazy creation behind the engine's back
    engine._ORIGINAL_CLEAN_JSON = parsing.clean_json
    parsing.clean_json = engine.strict_clean_json
    parsing.ResourceMap.validate_outputs = lambda self: None  # cfn_template validates, with AWS's schema

    def strict_getitem(self, key):
        if key in self._parsed_resources:
            return self._parsed_resources[key]
        raise KeyError(key)

    parsing.ResourceMap.__getitem__ = strict_getitem

    original_load_parameters = parsing.ResourceMap.load_parameters

    def load_parameters(self):
        """moto splits list parameters given in the call, not their defaults: split both.

        moto also resolves the Default of every ``AWS::SSM::Parameter::Value<...>`` parameter,
        even when the call passes a value, so a default naming a parameter that does not exist
        fails the template; AWS resolves only the value in effect.
        """
        slots = self._template.get("Parameters") or {}
        given = {key for key, spec in slots.items()
                 if key in self.input_parameters
                 and str((spec or {}).get("Type", "")).startswith("AWS::SSM::Parameter::")}
        template = self._template
        if given:
            self._template = dict(template, Parameters={
                key: ({k: v for k, v in spec.items() if k != "Default"} if key in given else spec)
                for key, spec in slots.items()})
        try:
            original_load_parameters(self)
        finally:
            self._template = template
        for key, spec in (self._template.get("Parameters") or {}).items():
            ptype = str((spec or {}).get("Type", "String"))
            value = self.resolved_parameters.get(key)
            if isinstance(value, str) and (ptype == "CommaDelimitedList" or ptype.startswith("List<")):
                value = [v.strip() for v in value.split(",")]
                self.resolved_parameters[key] = value
                self._parsed_resources[key] = value

    parsing.ResourceMap.load_parameters = load_parameters

    # YAML short forms, read as the rest of the tool reads them (secure_mlops.cfn_template):
    # moto makes "!Condition Name" {"Fn::Condition": Name}, splits "!GetAtt A.B.C" at every
    # dot and leaves the argument of a tag on a mapping unconstructed
    import yaml

    from ....cfn_template import long_form

    def yaml_tag_constructor(loader, tag, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return long_form(tag, value)

    utils.yaml_tag_constructor = yaml_tag_constructor
    models.yaml_tag_constructor = yaml_tag_constructor
    responses.yaml_tag_constructor = yaml_tag_constructor

    # template URLs on the emulator's own (loopback) endpoint
    utils.get_stack_from_s3_url = read_template_url
    models.get_stack_from_s3_url = read_template_url
    responses.get_stack_from_s3_url = read_template_url

    Stack = models.Stack
    Stack.parameter_list = property(_stack_parameter_list)
    Stack.outputs = property(_stack_outputs)
    Stack.exports = property(_stack_exports)
    Stack.stack_resources = property(_stack_resources)
    Stack.physical_resource_id = property(lambda self: self.stack_id)
    Stack.get_cfn_attribute = _stack_getatt
    Stack.create_resources = _stack_create_resources
    Stack.update = _stack_update
    Stack.delete = _stack_delete

    lifecycle.CREATORS["AWS::CloudFormation::Stack"] = _nested_create
    lifecycle.UPDATERS["AWS::CloudFormation::Stack"] = {
        "TemplateURL": _nested_update, "Parameters": _nested_update,
    }

    Backend = models.CloudFormationBackend
    Backend.create_stack = create_stack
    Backend.update_stack = update_stack
    Backend.delete_stack = delete_stack
    Backend.create_change_set = create_change_set
    Backend.execute_change_set = execute_change_set
    Backend.delete_change_set = delete_change_set
    Backend.describe_change_set = describe_change_set
    Backend.list_change_sets = list_change_sets

    Response = responses.CloudFormationResponse
    Response.RESPONSE_KEY_PATH_TO_TRANSFORMER = {
        k: v for k, v in Response.RESPONSE_KEY_PATH_TO_TRANSFORMER.items()
        if not k.startswith("DescribeChangeSetOutput.")  # change sets are described as plain dicts
    }
    Response.create_stack = r_create_stack
    Response.update_stack = r_update_stack
    Response.delete_stack = r_delete_stack
    Response.create_change_set = r_create_change_set
    Response.describe_change_set = r_describe_change_set
    Response.execute_change_set = r_execute_change_set
    Response.delete_change_set = r_delete_change_set
    Response.list_change_sets = r_list_change_sets
    Response.list_stack_resources = r_list_stack_resources
    Response.describe_stack_resources = r_describe_stack_resources
    Response.describe_stack_resource = r_describe_stack_resource

    # cfn-lint's schemas take about a second to import: load them before the first stack
    from . import cfn_schema

    threading.Thread(target=cfn_schema.preload, name="cfn-schema-preload", daemon=True).start()
    _installed = True
