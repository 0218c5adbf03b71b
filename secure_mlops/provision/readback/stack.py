"""Read one deployed stack back: every resource of its template, through its own service's API.

CloudFormation is asked only for the stack itself: its status, the template as deployed,
its parameters and the list of its resources with their physical ids. Each resource is
then read through the API of the service that owns it, by the reader registered for its
type, and compared with the template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .compare import MISSING
from .resolve import Resolver, Unresolvable
from .resource import Mismatch, ReadBack, describe_error

COMPLETE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}


@dataclass
class StackResult:
    name: str
    status: str | None = None
    #: resources the template declares whose condition holds (all must be read back)
    resources_expected: int = 0
    resources_read: int = 0
    properties_compared: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    #: nested stacks (AWS::CloudFormation::Stack resources), verified the same way
    children: list["StackResult"] = field(default_factory=list)

    def all(self) -> list["StackResult"]:
        out = [self]
        for child in self.children:
            out.extend(child.all())
        return out


class Services:
    """Clients and lookups shared by every stack of one verification."""

    def __init__(self, session):
        self.session = session
        self._clients: dict[str, Any] = {}
        self._kms: dict[str, str | None] = {}

    def client(self, service: str):
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    def kms_key_arn(self, key: Any) -> str | None:
        """The ARN of the key a key id, key ARN, alias name or alias ARN points to (None if unreadable)."""
        if not isinstance(key, str) or not key:
            return None
        if key.startswith("arn:") and ":key/" in key:
            return key
        if key not in self._kms:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                self._kms[key] = self.client("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"]
            except (ClientError, BotoCoreError):
                self._kms[key] = None
        return self._kms[key]


class StackReadBack:
    """Reads back the resources of one stack and collects the verdicts."""

    def __init__(self, services: Services, name: str):
        self.services = services
        self.name = name
        self.result = StackResult(name)
        self.region = services.session.region_name
        self.account = ""
        self.partition = "aws"
        self.template: dict = {}
        self.listed: dict[str, dict] = {}
        self.resolver: Resolver | None = None
        self._done: dict[str, ReadBack] = {}
        self._reading: set[str] = set()

    # -------------------------------------------------------------- services for readers
    def client(self, service: str):
        return self.services.client(service)

    def kms_key_arn(self, key: Any) -> str | None:
        return self.services.kms_key_arn(key)

    def siblings(self, resource_type: str):
        """(logical id, raw properties) of this stack's resources of a type whose condition holds."""
        for logical_id, definition in (self.template.get("Resources") or {}).items():
            definition = definition or {}
            if definition.get("Type") != resource_type:
                continue
            condition = definition.get("Condition")
            if condition is not None and not self.resolver.condition(condition):
                continue
            yield logical_id, definition.get("Properties") or {}

    def _fail(self, logical_id: str, resource_type: str, prop: str, declared: Any, actual: Any, reason: str):
        self.result.mismatches.append(Mismatch(self.name, logical_id, resource_type, prop, declared, actual, reason))

    # -------------------------------------------------------------- the stack
    def run(self) -> StackResult:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._load()
        except (ClientError, BotoCoreError, ValueError) as exc:
            reason, text = describe_error(exc)
            if isinstance(exc, ValueError):
                reason, text = "cannot be verified", f"the deployed template cannot be read: {exc}"
            self._fail("(stack)", "AWS::CloudFormation::Stack", "(stack)", "deployed", text, reason)
            return self.result
        resources = self.template.get("Resources") or {}
        for logical_id, definition in resources.items():
            self._check_declared(logical_id, definition or {})
        for logical_id, row in self.listed.items():
            if logical_id not in resources:
                self._fail(row.get("LogicalResourceId") or "(blank)", row.get("ResourceType") or "(blank)", "(resource)",
                           "not declared", f"listed with physical id {row.get('PhysicalResourceId')!r}",
                           "a stack resource that the template does not declare" if row.get("LogicalResourceId") else
                           "blank physical id: a stack resource without logical id, type or physical id")
        return self.result

    def _load(self) -> None:
        from ...cfn_template import parse

        cf = self.client("cloudformation")
        stack = cf.describe_stacks(StackName=self.name)["Stacks"][0]
        self.name = self.result.name = stack["StackName"]  # a nested stack is found by its ARN
        self.result.status = stack["StackStatus"]
        arn = stack["StackId"].split(":")
        self.partition, self.account = arn[1], arn[4]
        if stack["StackStatus"] not in COMPLETE:
            self._fail("(stack)", "AWS::CloudFormation::Stack", "StackStatus", "CREATE_COMPLETE or UPDATE_COMPLETE",
                       stack["StackStatus"], stack.get("StackStatusReason") or "the stack is not in a complete state")
        body = cf.get_template(StackName=self.name, TemplateStage="Original")["TemplateBody"]
        self.template = parse(body, self.name)
        if self.template.get("Transform"):
            self.template = parse(
                cf.get_template(StackName=self.name, TemplateStage="Processed")["TemplateBody"], self.name)
        parameters = self._parameters(stack.get("Parameters") or [])
        for page in cf.get_paginator("list_stack_resources").paginate(StackName=self.name):
            for row in page["StackResourceSummaries"]:
                key = row.get("LogicalResourceId") or ""
                if not key:  # keep every blank row: each is a failure
                    key = f"(blank {len(self.listed)})"
                    row = {**row, "LogicalResourceId": ""}
                self.listed[key] = row
        physical_ids = {k: v.get("PhysicalResourceId") or "" for k, v in self.listed.items()
                        if v.get("LogicalResourceId")}
        suffix = "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"
        pseudo = {"AWS::AccountId": self.account, "AWS::Region": self.region, "AWS::Partition": self.partition,
                  "AWS::StackName": stack["StackName"], "AWS::StackId": stack["StackId"],
                  "AWS::URLSuffix": suffix, "AWS::NotificationARNs": stack.get("NotificationARNs", [])}
        self.resolver = Resolver(self.template, parameters, pseudo, physical_ids, self.attribute,
                                 azs=self._azs, import_value=self._import_value)

    def _parameters(self, deployed: list[dict]) -> dict[str, Any]:
        declared = self.template.get("Parameters") or {}
        values: dict[str, Any] = {}
        for p in deployed:
            key = p["ParameterKey"]
            value = p.get("ResolvedValue", p.get("ParameterValue"))
            if value == "****":  # NoEcho: CloudFormation does not say; never guess
                continue
            ptype = str((declared.get(key) or {}).get("Type", "String"))
            if ptype == "CommaDelimitedList" or ptype.startswith("List<") or "<List<" in ptype:
                value = [v.strip() for v in value.split(",")] if value else []
            values[key] = value
        for key, spec in declared.items():
            if key not in values and key not in {p["ParameterKey"] for p in deployed} and "Default" in (spec or {}):
                values[key] = spec["Default"]
        return values

    def _azs(self, region: str) -> list[str]:
        if region != self.region:
            raise Unresolvable(f"Fn::GetAZs of another region ({region})")
        zones = self.client("ec2").describe_availability_zones()["AvailabilityZones"]
        return sorted(z["ZoneName"] for z in zones if z.get("State", "available") == "available")

    def _import_value(self, name: str) -> str:
        for page in self.client("cloudformation").get_paginator("list_exports").paginate():
            for export in page["Exports"]:
                if export["Name"] == name:
                    return export["Value"]
        raise Unresolvable(f"no export named {name!r}")

    # -------------------------------------------------------------- resources
    def _check_declared(self, logical_id: str, definition: dict) -> None:
        rtype = definition.get("Type", "?")
        condition = definition.get("Condition")
        if condition is not None:
            try:
                wanted = self.resolver.condition(condition)
            except Unresolvable as exc:
                self._fail(logical_id, rtype, "(condition)", condition, "?", f"cannot be verified: {exc}")
                return
            if not wanted:
                if logical_id in self.listed:
                    self._fail(logical_id, rtype, "(resource)", f"absent (condition {condition} is false)",
                               "deployed", "deployed although its condition is false")
                return
        self.result.resources_expected += 1
        row = self.listed.get(logical_id)
        if row is None:
            self._fail(logical_id, rtype, "(resource)", "deployed", "not among the stack's resources", "missing")
            return
        if not row.get("PhysicalResourceId"):
            self._fail(logical_id, rtype, "PhysicalResourceId", "a physical id", "", "blank physical id")
            return
        if row.get("ResourceType") != rtype:
            self._fail(logical_id, rtype, "ResourceType", rtype, row.get("ResourceType"), "differs")
        status = row.get("ResourceStatus", "")
        if status.endswith("FAILED") or status.startswith("DELETE"):
            self._fail(logical_id, rtype, "ResourceStatus", "CREATE_COMPLETE or UPDATE_COMPLETE", status,
                       row.get("ResourceStatusReason") or "the resource is not in a complete state")
            if status.startswith("DELETE"):  # rolled back or deleted: nothing of the template's to read
                return
        self.read(logical_id)

    def read(self, logical_id: str) -> ReadBack | None:
        """Read one resource back (once); None when it cannot be read at all."""
        if logical_id in self._done:
            return self._done[logical_id]
        from . import reader_for

        definition = (self.template.get("Resources") or {}).get(logical_id) or {}
        rtype = definition.get("Type", "?")
        row = self.listed.get(logical_id)
        if row is None or not row.get("PhysicalResourceId"):
            return None
        reader = reader_for(rtype)
        if reader is None:
            self._done[logical_id] = None  # type: ignore[assignment]
            self._fail(logical_id, rtype, "(resource)", "verified", "no reader",
                       "cannot be verified: secure-mlops has no read-back for this resource type")
            return None
        rb = ReadBack(self, logical_id, rtype, row["PhysicalResourceId"], definition.get("Properties") or {})
        self._reading.add(logical_id)
        try:
            reader(rb)
        except Unresolvable as exc:
            rb.mismatch("(resource)", "readable", "?", f"cannot be verified: {exc}")
        except Exception as exc:  # noqa: BLE001 - anything not read is a failure, never a pass
            reason, text = describe_error(exc)
            rb.mismatch("(resource)", "readable", text, reason)
        finally:
            self._reading.discard(logical_id)
        self._done[logical_id] = rb
        self.result.resources_read += 1
        self.result.properties_compared += rb.compared
        self.result.mismatches.extend(rb.mismatches)
        return rb

    def attribute(self, logical_id: str, name: str) -> Any:
        """Fn::GetAtt: the attribute as the resource's reader read it back."""
        if logical_id in self._reading:
            raise Unresolvable(f"Fn::GetAtt {logical_id}.{name} is needed while {logical_id} is being read")
        rb = self.read(logical_id)
        if rb is None:
            raise Unresolvable(f"Fn::GetAtt {logical_id}.{name}: {logical_id} could not be read back")
        if name not in rb.attributes:
            raise Unresolvable(f"Fn::GetAtt {logical_id}.{name}: attribute not read back")
        return rb.attributes[name]


__all__ = ["StackReadBack", "StackResult", "Services", "MISSING"]
