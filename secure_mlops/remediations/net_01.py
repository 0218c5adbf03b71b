"""NET-01 responsive: give a VPC without an active flow log one that delivers where the
environment's own flow log delivers.

Reads the environment's VPC (``/secure-mlops/<env>/vpc-id``) and its active flow log, and
creates, for the VPC of the finding, a flow log of all traffic to the same destination (the
environment's encrypted log group with its delivery role, or its bucket), tagged with the
finding. Does: ``ec2:CreateFlowLogs`` (with ``iam:PassRole`` of the environment's delivery role
for a log group). Never: deletes or changes existing flow logs, log groups or buckets, or
sends the flow log of a VPC outside the environment (not its published VPC, no `environment`
tag naming it: the default VPC, another team's) to the environment's destination unless
``--environment`` names it (skipped, FAIL). Without the environment's VPC or an active flow log
on it, the finding is ERROR and nothing is done.
"""

from __future__ import annotations

from .base import Call, NotPlanned, TAG_PREFIX, read_failed, step_for, tag_value
from .context import ensure

CONTROL_ID = "NET-01"
permissions = ("ec2:DescribeFlowLogs", "ec2:DescribeVpcs", "ec2:CreateFlowLogs", "ec2:CreateTags", "iam:PassRole",
               "logs:CreateLogDelivery", "ssm:GetParametersByPath")
CONTAINS_ONLY = False
#: conditions that narrow a permission in the generated policy
permission_conditions = {"iam:PassRole": {"StringEquals": {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}}}

_DESTINATION = ("LogDestinationType", "LogGroupName", "LogDestination", "DeliverLogsPermissionArn")


def _flow_logs(session, vpc_id: str) -> list[dict]:
    import botocore.exceptions

    try:
        answer = session.client("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"the flow logs of {vpc_id}", exc) from None
    return answer.get("FlowLogs") or []


def read(finding, session) -> dict:
    return {"FlowLogs": [{"FlowLogId": f["FlowLogId"], "FlowLogStatus": f.get("FlowLogStatus"),
                          "TrafficType": f.get("TrafficType"),
                          **{k: f[k] for k in _DESTINATION if f.get(k)}}
                         for f in _flow_logs(session, finding.resource_id)]}


def plan(finding, session, context=None) -> list:
    context = ensure(context, session)
    if any(f["FlowLogStatus"] == "ACTIVE" for f in read(finding, session)["FlowLogs"]):
        return []
    env = context.environment_for(finding, ("vpc-id",))
    env_vpc = env.get("vpc-id")
    model = next((f for f in _flow_logs(session, env_vpc) if f.get("FlowLogStatus") == "ACTIVE"), None)
    if model is None:
        raise NotPlanned(f"not remediated: the VPC {env_vpc} of environment {env.name} has no active flow log whose "
                         "destination a new flow log could use; redeploy the environment (`secure-mlops provision`)")
    params = {"ResourceIds": [finding.resource_id], "ResourceType": "VPC", "TrafficType": "ALL",
              "LogDestinationType": model.get("LogDestinationType", "cloud-watch-logs")}
    if params["LogDestinationType"] == "cloud-watch-logs":
        params["LogGroupName"] = model["LogGroupName"]
        params["DeliverLogsPermissionArn"] = model["DeliverLogsPermissionArn"]
    else:
        params["LogDestination"] = model["LogDestination"]
    params["TagSpecifications"] = [{"ResourceType": "vpc-flow-log", "Tags": [
        {"Key": TAG_PREFIX + CONTROL_ID, "Value": tag_value(f"{context.now} created for {finding.resource_id}")},
        {"Key": "environment", "Value": env.name}]}]
    where = params.get("LogGroupName") or params.get("LogDestination")
    return [step_for(finding, f"create a flow log of all traffic to the flow log destination {where} of "
                              f"environment {env.name}",
                     [Call("ec2", "CreateFlowLogs", params)])]


def apply(step, session) -> list[dict]:
    from .base import StepFailed, run_calls

    done = run_calls(step, session)
    unsuccessful = (done[-1].get("answer") or {}).get("Unsuccessful") if done else None
    if unsuccessful:  # CreateFlowLogs reports per-resource failures in its answer, not as an error
        raise StepFailed(step.calls[-1], f"Unsuccessful: {unsuccessful}", done)
    return done
