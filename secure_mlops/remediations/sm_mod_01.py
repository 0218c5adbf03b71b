"""SM-MOD-01 responsive: tag a model without network isolation, and notify.

Does: ``sagemaker:AddTags`` ``secure-mlops:remediation:SM-MOD-01`` on the model, and
``sns:Publish`` of the finding to the ``--notify`` topic when one is given. A model cannot be
changed: it stays non-compliant (contained, not fixed) until it is recreated with
EnableNetworkIsolation. Never: deletes the model (deleting is not implemented).
"""

from __future__ import annotations

from . import tagging
from .base import read_failed, remediation_tags, sagemaker_tags

CONTROL_ID = "SM-MOD-01"
permissions = ("sagemaker:DescribeModel",) + tagging.PERMISSIONS
CONTAINS_ONLY = True


def read(finding, session) -> dict:
    import botocore.exceptions

    try:
        d = session.client("sagemaker").describe_model(ModelName=finding.resource_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"model {finding.resource_id}", exc) from None
    return {"ModelArn": d["ModelArn"], "EnableNetworkIsolation": bool(d.get("EnableNetworkIsolation")),
            "RemediationTags": remediation_tags(sagemaker_tags(session, d["ModelArn"]))}


def plan(finding, session, context=None) -> list:
    state = read(finding, session)
    if state["EnableNetworkIsolation"]:
        return []
    return tagging.plan(finding, session, context, state, state["ModelArn"], why="EnableNetworkIsolation is false",
                        fix="Recreate the model with EnableNetworkIsolation true.")


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
