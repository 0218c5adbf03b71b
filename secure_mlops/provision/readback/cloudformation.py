"""AWS CloudFormation: nested stacks, verified resource by resource like their parent."""

from __future__ import annotations

from . import reader


@reader("AWS::CloudFormation::Stack")
def nested_stack(r):
    from .stack import StackReadBack

    cf = r.client("cloudformation")
    got = cf.describe_stacks(StackName=r.physical_id)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in got.get("Outputs", [])}
    r.attributes.update({f"Outputs.{k}": v for k, v in outputs.items()})
    parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in got.get("Parameters", [])}
    for key, value in (r.declared("Parameters", default={}) or {}).items():
        r.compare(f"Parameters.{key}", parameters.get(key), declared=value)
    child = StackReadBack(r.stack.services, r.physical_id).run()
    r.stack.result.children.append(child)
