"""SM-JOB-01 responsive: stop a training or processing job running outside the VPC, and tag it.

Does: ``sagemaker:StopTrainingJob`` / ``sagemaker:StopProcessingJob`` when the job is still
InProgress, then ``sagemaker:AddTags`` ``secure-mlops:remediation:SM-JOB-01``. A job's network
configuration cannot be changed: the job stays non-compliant (contained, not fixed); run it
again with the environment's subnets and security group. Never: deletes the job, its output
or its model artifacts.
"""

from __future__ import annotations

from . import tagging
from .base import Call, NotPlanned, read_failed, remediation_tags, sagemaker_tags

CONTROL_ID = "SM-JOB-01"
permissions = ("sagemaker:DescribeTrainingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopTrainingJob",
               "sagemaker:StopProcessingJob") + tagging.TAG_PERMISSIONS
CONTAINS_ONLY = True

#: resource type -> (describe, stop, name parameter, status key, the VPC settings)
KINDS = {
    "AWS::SageMaker::TrainingJob": ("DescribeTrainingJob", "StopTrainingJob", "TrainingJobName", "TrainingJobStatus",
                                    "TrainingJobArn", lambda d: d.get("VpcConfig")),
    "AWS::SageMaker::ProcessingJob": ("DescribeProcessingJob", "StopProcessingJob", "ProcessingJobName",
                                      "ProcessingJobStatus", "ProcessingJobArn",
                                      lambda d: (d.get("NetworkConfig") or {}).get("VpcConfig")),
}


def _kind(finding):
    kind = KINDS.get(finding.resource_type)
    if kind is None:
        raise NotPlanned(f"not remediated: {finding.resource_type} is not a job type SM-JOB-01 remediates")
    return kind


def read(finding, session) -> dict:
    import botocore.exceptions
    from botocore import xform_name

    describe, _, param, status_key, arn_key, vpc = _kind(finding)
    try:
        d = getattr(session.client("sagemaker"), xform_name(describe))(**{param: finding.resource_id})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise read_failed(f"job {finding.resource_id}", exc) from None
    return {"Arn": d[arn_key], "Status": d.get(status_key), "VpcConfig": vpc(d),
            "RemediationTags": remediation_tags(sagemaker_tags(session, d[arn_key]))}


def plan(finding, session, context=None) -> list:
    _, stop, param, *_ = _kind(finding)
    state = read(finding, session)
    vpc = state["VpcConfig"] or {}
    if vpc.get("Subnets") and vpc.get("SecurityGroupIds"):
        return []
    running = state["Status"] == "InProgress"
    first = [Call("sagemaker", stop, {param: finding.resource_id})] if running else []
    return tagging.plan(finding, session, context, state, state["Arn"], why="the job runs outside the VPC",
                        fix="Run it again with the environment's private subnets and SageMaker security group.",
                        first=first, first_summary="stop the job" if running else "", notify=False)


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
