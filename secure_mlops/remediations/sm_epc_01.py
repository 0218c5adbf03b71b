"""SM-EPC-01 responsive: tag an endpoint configuration without a volume KMS key, and notify.

Does: ``sagemaker:AddTags`` ``secure-mlops:remediation:SM-EPC-01`` on the endpoint
configuration, and ``sns:Publish`` of the finding to the ``--notify`` topic when one is given.
An endpoint configuration cannot be changed: it stays non-compliant (contained, not fixed)
until a new one with KmsKeyId replaces it on its endpoints. Never: deletes the configuration
or updates endpoints.
"""

from __future__ import annotations

from . import tagging
from .base import read_failed, remediation_tags, sagemaker_tags

CONTROL_ID = "SM-EPC-01"
permissions = ("sagemaker:DescribeEndpointConfig",) + tagging.PERMISSIONS
CONTAINS_ONLY = True


def read(finding, session) -> dict:
    import botocore.exceptions

    try:
        d = session.client("sagemaker").describe_endpoint_config(EndpointConfigName=finding.resource_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"endpoint configuration {finding.resource_id}", exc) from None
    return {"EndpointConfigArn": d["EndpointConfigArn"], "KmsKeyId": d.get("KmsKeyId"),
            "RemediationTags": remediation_tags(sagemaker_tags(session, d["EndpointConfigArn"]))}


def plan(finding, session, context=None) -> list:
    state = read(finding, session)
    if state["KmsKeyId"]:
        return []
    return tagging.plan(finding, session, context, state, state["EndpointConfigArn"], why="KmsKeyId is not set",
                        fix="Create a configuration with the environment's volume key and update the endpoints to it.")


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
