"""Amazon EventBridge: rules (pattern, schedule, state, targets)."""

from __future__ import annotations

from . import reader


@reader("AWS::Events::Rule")
def rule(r):
    events = r.client("events")
    bus, _, name = r.physical_id.rpartition("|")
    kwargs = {"Name": name, **({"EventBusName": bus} if bus else {})}
    got = events.describe_rule(**kwargs)
    r.attributes.update(Arn=got["Arn"])
    r.compare("Name", got["Name"])
    r.compare("State", got.get("State"), default="ENABLED")
    r.compare("ScheduleExpression", got.get("ScheduleExpression"))
    r.compare("EventPattern", got.get("EventPattern"), kind="json")
    r.compare("RoleArn", got.get("RoleArn"))
    targets = events.list_targets_by_rule(Rule=name, **({"EventBusName": bus} if bus else {}))["Targets"]
    declared = r.declared("Targets", default=[])
    r.compare("Targets[*]", [f"{t['Id']}={t['Arn']} role={t.get('RoleArn')}" for t in targets], kind="set",
              declared=[f"{t.get('Id')}={t.get('Arn')} role={t.get('RoleArn')}" for t in declared])
