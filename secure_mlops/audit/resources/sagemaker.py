"""SageMaker resource types for the audit: one list call per type, one describe per resource.

Unlike c7n's stock SageMaker types these call ListTags only where a control reads tags (user
profiles: team and owner; endpoint configurations: stage), never for notebooks, jobs, models
or endpoints, and the job types list every job whatever its
status (c7n's default query sees only jobs in progress; finished jobs must be audited too).
Types c7n lacks are here too: model package groups, model packages, pipelines (with their
parsed definition), monitoring job definitions of all four kinds, and user profiles.
"""

from __future__ import annotations

import json

from c7n.query import TypeInfo

from .base import ERRORS, LeanResource, fetch, register


def _type(list_op, key, id_, name, cfn, arn=None):
    """The c7n TypeInfo of a SageMaker type listed with `list_op` (answer key `key`)."""
    attrs = {"service": "sagemaker", "enum_spec": (list_op, key, None), "id": id_, "name": name,
             "arn": arn or id_, "date": "CreationTime", "cfn_type": cfn}
    return type("resource_type", (TypeInfo,), attrs)


class _ListDescribe(LeanResource):
    """List with enum_spec, then one describe call (``describe_op``, ``describe_param``)."""

    describe_op = ""
    describe_param = ""

    def describe(self, client, r):
        self.describe_with(client, r, self.describe_op, **{self.describe_param: r[self.describe_param]})


@register("audit-notebook")
class Notebook(_ListDescribe):
    resource_type = _type("list_notebook_instances", "NotebookInstances",
                          "NotebookInstanceArn", "NotebookInstanceName", "AWS::SageMaker::NotebookInstance")
    describe_op, describe_param = "describe_notebook_instance", "NotebookInstanceName"
    permissions = ("sagemaker:ListNotebookInstances", "sagemaker:DescribeNotebookInstance")


@register("audit-training-job")
class TrainingJob(_ListDescribe):
    resource_type = _type("list_training_jobs", "TrainingJobSummaries",
                          "TrainingJobArn", "TrainingJobName", "AWS::SageMaker::TrainingJob")
    describe_op, describe_param = "describe_training_job", "TrainingJobName"
    permissions = ("sagemaker:ListTrainingJobs", "sagemaker:DescribeTrainingJob")


@register("audit-processing-job")
class ProcessingJob(_ListDescribe):
    resource_type = _type("list_processing_jobs", "ProcessingJobSummaries",
                          "ProcessingJobArn", "ProcessingJobName", "AWS::SageMaker::ProcessingJob")
    describe_op, describe_param = "describe_processing_job", "ProcessingJobName"
    permissions = ("sagemaker:ListProcessingJobs", "sagemaker:DescribeProcessingJob")


@register("audit-transform-job")
class TransformJob(_ListDescribe):
    resource_type = _type("list_transform_jobs", "TransformJobSummaries",
                          "TransformJobArn", "TransformJobName", "AWS::SageMaker::TransformJob")
    describe_op, describe_param = "describe_transform_job", "TransformJobName"
    permissions = ("sagemaker:ListTransformJobs", "sagemaker:DescribeTransformJob")


@register("audit-domain")
class Domain(_ListDescribe):
    resource_type = _type("list_domains", "Domains", "DomainId", "DomainName",
                          "AWS::SageMaker::Domain", arn="DomainArn")
    describe_op, describe_param = "describe_domain", "DomainId"
    permissions = ("sagemaker:ListDomains", "sagemaker:DescribeDomain")


@register("audit-user-profile")
class UserProfile(LeanResource):
    resource_type = _type("list_user_profiles", "UserProfiles", "UserProfileId", "UserProfileId",
                          "AWS::SageMaker::UserProfile", arn="UserProfileArn")
    permissions = ("sagemaker:ListUserProfiles", "sagemaker:DescribeUserProfile", "sagemaker:ListTags")

    def enumerate(self, client):
        profiles = self.paginate(client, "list_user_profiles", "UserProfiles")
        for p in profiles:
            p["UserProfileId"] = f"{p['DomainId']}/{p['UserProfileName']}"
        return profiles

    def describe(self, client, p):
        self.describe_with(client, p, "describe_user_profile", DomainId=p["DomainId"],
                           UserProfileName=p["UserProfileName"])
        fetch(p, "Tags", lambda: client.list_tags(ResourceArn=p["UserProfileArn"]),
              transform=lambda a: {t["Key"]: t["Value"] for t in a.get("Tags") or []})


@register("audit-model")
class Model(_ListDescribe):
    resource_type = _type("list_models", "Models", "ModelArn", "ModelName", "AWS::SageMaker::Model")
    describe_op, describe_param = "describe_model", "ModelName"
    permissions = ("sagemaker:ListModels", "sagemaker:DescribeModel")

    def describe(self, client, r):
        super().describe(client, r)
        # every container of the model, wherever the API put it
        r["AllContainers"] = ([r["PrimaryContainer"]] if r.get("PrimaryContainer") else []) + list(
            r.get("Containers") or [])


@register("audit-endpoint-config")
class EndpointConfig(_ListDescribe):
    """Described, and its tags read: its ``stage`` tag is its stage (SM-EPC-02)."""

    resource_type = _type("list_endpoint_configs", "EndpointConfigs",
                          "EndpointConfigArn", "EndpointConfigName", "AWS::SageMaker::EndpointConfig")
    describe_op, describe_param = "describe_endpoint_config", "EndpointConfigName"
    permissions = ("sagemaker:ListEndpointConfigs", "sagemaker:DescribeEndpointConfig", "sagemaker:ListTags")

    def describe(self, client, r):
        super().describe(client, r)
        fetch(r, "Tags", lambda: client.list_tags(ResourceArn=r["EndpointConfigArn"]),
              transform=lambda a: {t["Key"]: t["Value"] for t in a.get("Tags") or []})


@register("audit-endpoint")
class Endpoint(_ListDescribe):
    resource_type = _type("list_endpoints", "Endpoints", "EndpointArn", "EndpointName",
                          "AWS::SageMaker::Endpoint")
    describe_op, describe_param = "describe_endpoint", "EndpointName"
    permissions = ("sagemaker:ListEndpoints", "sagemaker:DescribeEndpoint")


@register("audit-model-package-group")
class ModelPackageGroup(LeanResource):
    """Listed only; SM-REG-03's filter reads each group's resource policy itself."""

    resource_type = _type("list_model_package_groups", "ModelPackageGroupSummaryList",
                          "ModelPackageGroupArn", "ModelPackageGroupName", "AWS::SageMaker::ModelPackageGroup")
    permissions = ("sagemaker:ListModelPackageGroups",)


@register("audit-model-package")
class ModelPackage(LeanResource):
    resource_type = _type("list_model_packages", "ModelPackageSummaryList", "ModelPackageArn",
                          "ModelPackageLabel", "AWS::SageMaker::ModelPackage")
    permissions = ("sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage")

    def enumerate(self, client):
        # versioned (in a group) and unversioned packages alike
        packages = self.paginate(client, "list_model_packages", "ModelPackageSummaryList", ModelPackageType="Both")
        for p in packages:
            if p.get("ModelPackageGroupName"):
                p["ModelPackageLabel"] = f"{p['ModelPackageGroupName']}/{p.get('ModelPackageVersion')}"
            else:
                p["ModelPackageLabel"] = p.get("ModelPackageName", p["ModelPackageArn"])
        return packages

    def describe(self, client, p):
        self.describe_with(client, p, "describe_model_package", ModelPackageName=p["ModelPackageArn"])


@register("audit-pipeline")
class Pipeline(LeanResource):
    """Pipelines with their definition parsed under ``Definition``."""

    resource_type = _type("list_pipelines", "PipelineSummaries", "PipelineArn", "PipelineName",
                          "AWS::SageMaker::Pipeline")
    permissions = ("sagemaker:ListPipelines", "sagemaker:DescribePipeline")

    def describe(self, client, p):
        self.describe_with(client, p, "describe_pipeline", PipelineName=p["PipelineName"])
        try:
            p["Definition"] = json.loads(p.get("PipelineDefinition") or "null")
        except ValueError as exc:
            p["Definition"] = None
            p.setdefault(ERRORS, {})["Definition"] = f"the pipeline definition is not JSON: {exc}"


#: kind -> (list operation, describe operation, prefix of its output config)
MONITORING_KINDS = {
    "DataQuality": ("list_data_quality_job_definitions", "describe_data_quality_job_definition", "DataQuality"),
    "ModelQuality": ("list_model_quality_job_definitions", "describe_model_quality_job_definition", "ModelQuality"),
    "ModelBias": ("list_model_bias_job_definitions", "describe_model_bias_job_definition", "ModelBias"),
    "ModelExplainability": ("list_model_explainability_job_definitions",
                            "describe_model_explainability_job_definition", "ModelExplainability"),
}


@register("audit-monitoring-job-definition")
class MonitoringJobDefinition(LeanResource):
    """The four kinds of model monitoring job definitions, with ``JobOutputConfig`` normalised."""

    resource_type = _type("list_data_quality_job_definitions", "JobDefinitionSummaries",
                          "MonitoringJobDefinitionArn", "MonitoringJobDefinitionName",
                          "AWS::SageMaker::MonitoringJobDefinition")
    permissions = tuple(f"sagemaker:{op.title().replace('_', '')}" for ops in MONITORING_KINDS.values()
                        for op in ops[:2])

    def enumerate(self, client):
        out = []
        for kind, (list_op, _, _) in MONITORING_KINDS.items():
            for d in self.paginate(client, list_op, "JobDefinitionSummaries"):
                d["Kind"] = kind
                out.append(d)
        return out

    def describe(self, client, d):
        _, describe_op, prefix = MONITORING_KINDS[d["Kind"]]
        self.describe_with(client, d, describe_op, JobDefinitionName=d["MonitoringJobDefinitionName"])
        d["JobOutputConfig"] = d.get(f"{prefix}JobOutputConfig")

