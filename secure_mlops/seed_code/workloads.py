"""A data scientist's first day in an environment: the workloads the demo runs on the emulator.

After `provision`, an environment holds no notebooks, jobs, models or endpoints, so the
controls about them have nothing to evaluate and their questions stay "not fully answered".
``run_sample_workloads`` does what a team does in its first day, with the seed code and the
environment's published ids (SSM), through the same APIs a data scientist and a team
administrator would call:

1. the model build pipeline is created and started (``run_pipeline``);
2. a notebook instance, and the pipeline's preprocessing and training steps as jobs, with the
   job controls the IAM conditions require;
3. a model package is registered PendingManualApproval with its lineage, then approved (the
   team administrator's step);
4. the model deploy seed's endpoint stack is deployed from the approved package (as the deploy
   pipeline's staging stage does);
5. a data quality monitoring job definition for the endpoint.

It creates billable resources, so the demo runs it on the emulator only.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from .model_build_train.pipelines import run_pipeline
from .model_build_train.pipelines.definition import build_definition
from .model_deploy import build as deploy_build

PROJECT = "abalone"


@dataclass
class Workloads:
    """Names and ARNs of what was created, for the demo's summary and for tests."""

    created: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, name: str) -> None:
        self.created[kind] = name


def _resolve(value: Any, params: dict[str, Any], steps: dict[str, str]) -> Any:
    """Resolve a pipeline definition value: parameters to their defaults, step properties to
    the S3 locations the previous steps write. Returns new dicts and lists (`value` is not changed)."""
    if isinstance(value, dict):
        if set(value) == {"Get"}:
            ref = value["Get"]
            if ref.startswith("Parameters."):
                return params[ref.split(".", 1)[1]]
            return steps.get(ref, ref)
        return {k: _resolve(v, params, steps) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params, steps) for v in value]
    return value


def _step_requests(definition: dict, params: dict[str, Any]) -> dict[str, dict]:
    """The pipeline's job steps as CreateProcessingJob / CreateTrainingJob requests."""
    preprocess = next(s for s in definition["Steps"] if s["Name"] == "PreprocessAbaloneData")
    outputs = {o["OutputName"]: o["S3Output"]["S3Uri"]
               for o in preprocess["Arguments"]["ProcessingOutputConfig"]["Outputs"]}
    steps = {f"Steps.PreprocessAbaloneData.ProcessingOutputConfig.Outputs['{n}'].S3Output.S3Uri": uri
             for n, uri in outputs.items()}
    requests = {}
    for step in definition["Steps"]:
        if step["Type"] in ("Processing", "Training") and step["Name"] != "EvaluateAbaloneModel":
            requests[step["Name"]] = _resolve(step["Arguments"], params, steps)
    return requests


def run_sample_workloads(session, environment: str, team: str) -> Workloads:
    """Create the first day's workloads. `session` must act from inside the environment's VPC
    (as Studio does): the data bucket admits object access only through the S3 endpoint."""
    sm = session.client("sagemaker")
    done = Workloads()
    settings = run_pipeline.settings_from_environment(session, environment, PROJECT)
    from ..envcontext import load_context

    ctx = load_context(session, environment)
    tags = [{"Key": "team", "Value": team}, {"Key": "environment", "Value": environment},
            {"Key": "sagemaker:project-name", "Value": PROJECT}]
    suffix = time.strftime("%Y%m%d%H%M%S")

    # 1. the model build pipeline
    run_pipeline.upload_inputs(session, settings)
    pipeline = f"{PROJECT}-model-build"
    done.add("pipeline", run_pipeline.upsert_pipeline(session, pipeline, settings))
    done.add("pipeline execution", run_pipeline.start(session, pipeline)["PipelineExecutionArn"])

    # 2. a notebook and the pipeline's job steps, run as jobs
    notebook = f"{PROJECT}-notebook"
    try:
        sm.describe_notebook_instance(NotebookInstanceName=notebook)
    except sm.exceptions.ClientError:
        sm.create_notebook_instance(
            NotebookInstanceName=notebook, InstanceType="ml.t3.medium", RoleArn=settings.role_arn,
            SubnetId=settings.subnet_ids[0], SecurityGroupIds=list(settings.security_group_ids),
            KmsKeyId=settings.volume_kms_key, DirectInternetAccess="Disabled", RootAccess="Disabled",
            InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"}, Tags=tags)
    done.add("notebook instance", notebook)
    definition = build_definition(settings)
    params = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
    requests = _step_requests(definition, params)
    processing = requests["PreprocessAbaloneData"]
    name = f"{PROJECT}-preprocess-{suffix}"
    sm.create_processing_job(ProcessingJobName=name, Tags=tags, **processing)
    done.add("processing job", name)
    training = requests["TrainAbaloneModel"]
    name = f"{PROJECT}-train-{suffix}"
    sm.create_training_job(TrainingJobName=name, Tags=tags, **training)
    done.add("training job", name)
    model_data = f"{training['OutputDataConfig']['S3OutputPath']}/{name}/output/model.tar.gz"

    # 3. register the model (PendingManualApproval, with lineage), then approve it
    condition = next(s for s in definition["Steps"] if s["Type"] == "Condition")
    register = condition["Arguments"]["IfSteps"][0]["Arguments"]
    package_request = _resolve(register, params, {
        "Steps.TrainAbaloneModel.ModelArtifacts.S3ModelArtifacts": model_data,
        "Execution.PipelineExecutionArn": done.created["pipeline execution"],
    })
    package_request["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] = model_data
    package = sm.create_model_package(**package_request)["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=package, ModelApprovalStatus="Approved",
                            ApprovalDescription="reviewed the evaluation report (team administrator)")
    done.add("model package", package)

    # 4. deploy the approved package with the model deploy seed's endpoint stack (staging)
    approved = deploy_build.latest_approved_package(sm, settings.model_package_group, PROJECT)
    stage_config = json.loads((deploy_build.HERE / "staging-config.json").read_text())
    parameters = deploy_build.parameters(environment, PROJECT, "staging", approved, stage_config)
    cfn = session.client("cloudformation")
    stack = f"sagemaker-{PROJECT}-staging"
    body = (deploy_build.HERE / "endpoint-config-template.yaml").read_text()
    try:
        cfn.update_stack(StackName=stack, TemplateBody=body, Parameters=parameters, Tags=tags)
        cfn.get_waiter("stack_update_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
    except cfn.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            cfn.create_stack(StackName=stack, TemplateBody=body, Parameters=parameters, Tags=tags)
            cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
        elif "No updates are to be performed" not in str(exc):
            raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    done.add("endpoint", outputs["EndpointName"])

    # 5. monitor the endpoint's data quality, isolated and encrypted
    monitoring = f"{PROJECT}-data-quality-{suffix}"
    sm.create_data_quality_job_definition(
        JobDefinitionName=monitoring,
        DataQualityAppSpecification={"ImageUri": processing["AppSpecification"]["ImageUri"]},
        DataQualityJobInput={"EndpointInput": {"EndpointName": outputs["EndpointName"],
                                               "LocalPath": "/opt/ml/processing/input"}},
        DataQualityJobOutputConfig={"KmsKeyId": settings.output_kms_key, "MonitoringOutputs": [{"S3Output": {
            "S3Uri": f"s3://{settings.model_bucket}/{PROJECT}/monitoring", "LocalPath": "/opt/ml/processing/output"}}]},
        JobResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20,
                                        "VolumeKmsKeyId": settings.volume_kms_key}},
        NetworkConfig={"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True,
                       "VpcConfig": {"Subnets": list(settings.subnet_ids),
                                     "SecurityGroupIds": list(settings.security_group_ids)}},
        RoleArn=ctx.get("model-execution-role-arn") or settings.role_arn,
        StoppingCondition={"MaxRuntimeInSeconds": 1800}, Tags=tags)
    done.add("monitoring job definition", monitoring)
    return done
