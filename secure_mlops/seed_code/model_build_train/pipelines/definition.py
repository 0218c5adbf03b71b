"""The abalone model build pipeline as a SageMaker pipeline definition (JSON), no SDK needed.

Steps: preprocess (processing) → train (XGBoost training) → evaluate (processing) →
condition on the test MSE → register the model package (PendingManualApproval, with
metrics and lineage) or fail.

Every job step carries the job controls (SM-JOB-01..04, checked by SM-PIPE-01 in
`secure-mlops gate`): VPC subnets and security groups, network isolation, inter-container
traffic encryption, and KMS keys for volumes and outputs. They are pipeline parameters
whose defaults are the environment's values, so a run cannot quietly drop them and the gate
can resolve them.

Use ``build_definition(settings)`` and write it with ``json.dumps``; ``run_pipeline.py``
creates or updates the pipeline and starts it with boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field

try:  # inside the secure-mlops package
    from secure_mlops.sagemaker_images import framework_image
except ImportError:  # pragma: no cover - in a project repository, the packaged copy sits beside this file
    from .sagemaker_images import framework_image

XGBOOST_VERSION = "1.7-1"
SKLEARN_IMAGE_VERSION = "1.2-1-cpu-py3"


@dataclass(frozen=True)
class PipelineSettings:
    """The environment's values the pipeline needs (from its SSM parameters, see envcontext)."""

    region: str
    role_arn: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    volume_kms_key: str
    output_kms_key: str
    data_bucket: str
    model_bucket: str
    model_package_group: str
    team: str = ""
    project_name: str = "abalone"
    project_id: str = ""
    input_data_key: str = "abalone/abalone.data"
    code_prefix: str = "abalone/code"
    mse_threshold: float = 6.0
    processing_instance_type: str = "ml.m5.xlarge"
    training_instance_type: str = "ml.m5.xlarge"
    hyperparameters: dict = field(default_factory=lambda: {
        "objective": "reg:squarederror", "num_round": "50", "max_depth": "5", "eta": "0.2",
        "gamma": "4", "min_child_weight": "6", "subsample": "0.7",
    })

    def __post_init__(self) -> None:
        missing = [name for name in ("team", "role_arn", "volume_kms_key", "output_kms_key", "data_bucket",
                                     "model_bucket", "model_package_group") if not getattr(self, name)]
        if not self.subnet_ids:
            missing.append("subnet_ids")
        if not self.security_group_ids:
            missing.append("security_group_ids")
        if missing:
            raise ValueError(f"pipeline settings lack {', '.join(missing)}: the job controls need them")


def _param(name: str) -> dict:
    return {"Get": f"Parameters.{name}"}


def _step_property(step: str, path: str) -> dict:
    return {"Get": f"Steps.{step}.{path}"}


def _processing_network(vpc: dict) -> dict:
    return {"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True, "VpcConfig": vpc}


def _processing_resources() -> dict:
    return {"ClusterConfig": {"InstanceCount": 1, "InstanceType": _param("ProcessingInstanceType"),
                              "VolumeSizeInGB": 30, "VolumeKmsKeyId": _param("VolumeKmsKeyId")}}


def _s3_input(name: str, uri, local: str) -> dict:
    return {"InputName": name, "AppManaged": False,
            "S3Input": {"S3Uri": uri, "LocalPath": local, "S3DataType": "S3Prefix",
                        "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}}


def _s3_output(name: str, uri: str, local: str) -> dict:
    return {"OutputName": name, "AppManaged": False,
            "S3Output": {"S3Uri": uri, "LocalPath": local, "S3UploadMode": "EndOfJob"}}


def build_definition(s: PipelineSettings) -> dict:
    """The pipeline definition (schema version 2020-12-01) as a dict."""
    sklearn = framework_image("sagemaker-scikit-learn", SKLEARN_IMAGE_VERSION, s.region)
    xgboost = framework_image("sagemaker-xgboost", XGBOOST_VERSION, s.region)
    data = f"s3://{s.data_bucket}"
    models = f"s3://{s.model_bucket}"
    code = f"{data}/{s.code_prefix}"
    parameters = [
        {"Name": "InputDataUrl", "Type": "String", "DefaultValue": f"{data}/{s.input_data_key}"},
        {"Name": "ProcessingInstanceType", "Type": "String", "DefaultValue": s.processing_instance_type},
        {"Name": "TrainingInstanceType", "Type": "String", "DefaultValue": s.training_instance_type},
        {"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
        {"Name": "MseThreshold", "Type": "Float", "DefaultValue": s.mse_threshold},
        {"Name": "VolumeKmsKeyId", "Type": "String", "DefaultValue": s.volume_kms_key},
        {"Name": "OutputKmsKeyId", "Type": "String", "DefaultValue": s.output_kms_key},
    ]
    # list-valued fields take literal lists in a pipeline definition (no list parameters)
    vpc = {"Subnets": list(s.subnet_ids), "SecurityGroupIds": list(s.security_group_ids)}

    preprocess = {
        "Name": "PreprocessAbaloneData",
        "Type": "Processing",
        "Arguments": {
            "AppSpecification": {"ImageUri": sklearn,
                                 "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/preprocess.py"],
                                 "ContainerArguments": ["--input", "/opt/ml/processing/input/data/abalone.data",
                                                        "--output", "/opt/ml/processing"]},
            "RoleArn": s.role_arn,
            "ProcessingResources": _processing_resources(),
            "NetworkConfig": _processing_network(vpc),
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "ProcessingInputs": [
                _s3_input("data", _param("InputDataUrl"), "/opt/ml/processing/input/data"),
                _s3_input("code", f"{code}/preprocess.py", "/opt/ml/processing/input/code"),
            ],
            "ProcessingOutputConfig": {
                "KmsKeyId": _param("OutputKmsKeyId"),
                "Outputs": [_s3_output(n, f"{data}/{s.project_name}/preprocessed/{n}", f"/opt/ml/processing/{n}")
                            for n in ("train", "validation", "test")],
            },
        },
    }

    def preprocessed(name: str) -> dict:
        return _step_property("PreprocessAbaloneData",
                              f"ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri")

    train = {
        "Name": "TrainAbaloneModel",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {"TrainingImage": xgboost, "TrainingInputMode": "File"},
            "RoleArn": s.role_arn,
            "HyperParameters": dict(s.hyperparameters),
            "InputDataConfig": [
                {"ChannelName": ch, "ContentType": "text/csv",
                 "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": preprocessed(ch),
                                                 "S3DataDistributionType": "FullyReplicated"}}}
                for ch in ("train", "validation")
            ],
            "OutputDataConfig": {"S3OutputPath": f"{models}/{s.project_name}/training",
                                 "KmsKeyId": _param("OutputKmsKeyId")},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": _param("TrainingInstanceType"),
                               "VolumeSizeInGB": 30, "VolumeKmsKeyId": _param("VolumeKmsKeyId")},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            "VpcConfig": vpc,
            "EnableNetworkIsolation": True,
            "EnableInterContainerTrafficEncryption": True,
        },
    }

    model_artifacts = _step_property("TrainAbaloneModel", "ModelArtifacts.S3ModelArtifacts")
    evaluate = {
        "Name": "EvaluateAbaloneModel",
        "Type": "Processing",
        "Arguments": {
            "AppSpecification": {"ImageUri": xgboost,
                                 "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/evaluate.py"]},
            "RoleArn": s.role_arn,
            "ProcessingResources": _processing_resources(),
            "NetworkConfig": _processing_network(vpc),
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
            "ProcessingInputs": [
                _s3_input("model", model_artifacts, "/opt/ml/processing/model"),
                _s3_input("test", preprocessed("test"), "/opt/ml/processing/test"),
                _s3_input("code", f"{code}/evaluate.py", "/opt/ml/processing/input/code"),
            ],
            "ProcessingOutputConfig": {
                "KmsKeyId": _param("OutputKmsKeyId"),
                "Outputs": [_s3_output("evaluation", f"{models}/{s.project_name}/evaluation",
                                       "/opt/ml/processing/evaluation")],
            },
        },
        "PropertyFiles": [{"PropertyFileName": "EvaluationReport", "OutputName": "evaluation",
                           "FilePath": "evaluation.json"}],
    }

    register = {
        "Name": "RegisterAbaloneModel",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": s.model_package_group,
            "ModelApprovalStatus": _param("ModelApprovalStatus"),
            "InferenceSpecification": {
                "Containers": [{"Image": xgboost, "ModelDataUrl": model_artifacts}],
                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.t2.medium", "ml.m5.large"],
                "SupportedTransformInstanceTypes": ["ml.m5.large"],
            },
            "ModelMetrics": {"ModelQuality": {"Statistics": {
                "ContentType": "application/json",
                "S3Uri": f"{models}/{s.project_name}/evaluation/evaluation.json"}}},
            "MetadataProperties": {"GeneratedBy": {"Get": "Execution.PipelineExecutionArn"},
                                   "ProjectId": s.project_id or s.project_name},
            "CustomerMetadataProperties": {
                "training_data": {"Get": "Parameters.InputDataUrl"},
                "registered_by": s.role_arn,
                "pipeline": s.project_name,
            },
            # the team tag lets the team administrator (and only them) approve the version (IAM-05)
            "Tags": [{"Key": "team", "Value": s.team},
                     {"Key": "sagemaker:project-name", "Value": s.project_name}],
        },
    }
    fail = {"Name": "FailOnHighMse", "Type": "Fail",
            "Arguments": {"ErrorMessage": {"Std:Join": {"On": " ", "Values": [
                "The model's test MSE is above the threshold", {"Get": "Parameters.MseThreshold"}]}}}}
    condition = {
        "Name": "CheckMseAbaloneEvaluation",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [{"Type": "LessThanOrEqualTo",
                            "LeftValue": {"Std:JsonGet": {
                                "PropertyFile": {"Get": "Steps.EvaluateAbaloneModel.PropertyFiles.EvaluationReport"},
                                "Path": "regression_metrics.mse.value"}},
                            "RightValue": {"Get": "Parameters.MseThreshold"}}],
            "IfSteps": [register],
            "ElseSteps": [fail],
        },
    }
    return {
        "Version": "2020-12-01",
        "Metadata": {"Description": "Abalone XGBoost build/train/evaluate/register, with the job controls"},
        "Parameters": parameters,
        "PipelineExperimentConfig": {"ExperimentName": {"Get": "Execution.PipelineName"},
                                     "TrialName": {"Get": "Execution.PipelineExecutionId"}},
        "Steps": [preprocess, train, evaluate, condition],
    }

