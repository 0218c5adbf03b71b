"""SM-REG-02 responsive: tag an endpoint that serves a model not from an approved package, and notify.

Does: ``sagemaker:AddTags`` ``secure-mlops:remediation:SM-REG-02`` on the endpoint, and
``sns:Publish`` of the finding to the ``--notify`` topic when one is given. The endpoint keeps
serving (contained, not fixed) until it is redeployed from an approved model package. Never:
deletes or updates the endpoint, its configuration or its models (deleting an endpoint in a
non-prod stage is not implemented).
"""

from __future__ import annotations

from . import tagging
from .base import NotPlanned, read_failed, remediation_tags, sagemaker_tags

CONTROL_ID = "SM-REG-02"
permissions = ("sagemaker:DescribeEndpoint", "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel",
               "sagemaker:DescribeModelPackage") + tagging.PERMISSIONS
CONTAINS_ONLY = True


def read(finding, session) -> dict:
    """The endpoint's chain: config → models → model packages and their approval status."""
    import botocore.exceptions

    sm = session.client("sagemaker")
    try:
        ep = sm.describe_endpoint(EndpointName=finding.resource_id)
        config = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
        chain = []
        for variant in config.get("ProductionVariants") or []:
            model = sm.describe_model(ModelName=variant["ModelName"])
            containers = model.get("Containers") or [model.get("PrimaryContainer") or {}]
            for c in containers:
                arn = c.get("ModelPackageName")
                status = sm.describe_model_package(ModelPackageName=arn).get("ModelApprovalStatus") if arn else None
                chain.append({"model": variant["ModelName"], "model_package": arn, "approval": status})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"endpoint {finding.resource_id} and the models it serves", exc) from None
    return {"EndpointArn": ep["EndpointArn"], "EndpointStatus": ep.get("EndpointStatus"),
            "EndpointConfigName": ep["EndpointConfigName"], "models": chain,
            "RemediationTags": remediation_tags(sagemaker_tags(session, ep["EndpointArn"]))}


def plan(finding, session, context=None) -> list:
    state = read(finding, session)
    if not state["models"]:
        raise NotPlanned(f"not remediated: endpoint {finding.resource_id} serves no model that could be read")
    unapproved = [m for m in state["models"] if m["approval"] != "Approved"]
    if not unapproved:
        return []
    why = "; ".join(f"model {m['model']} " + (f"serves {m['model_package']} which is {m['approval']}"
                                              if m["model_package"] else "was not created from a model package")
                    for m in unapproved)
    return tagging.plan(finding, session, context, state, state["EndpointArn"], why=why,
                        fix="Redeploy the endpoint from an approved model package version.")


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
