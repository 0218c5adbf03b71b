"""SageMaker notebook instances, models, endpoint configs and jobs on the emulator."""

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator

ROLE = "arn:aws:iam::123456789012:role/exec"


@pytest.fixture
def vpc(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="nb", Description="nb")["GroupId"]
    key = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    return {"subnet": subnet, "sg": sg, "key": key}


def test_notebook_instance_keeps_every_setting_and_updates_when_stopped(aws, vpc):
    sm = aws.client("sagemaker")
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=ROLE,
                                SubnetId=vpc["subnet"], SecurityGroupIds=[vpc["sg"]], KmsKeyId=vpc["key"],
                                DirectInternetAccess="Disabled", RootAccess="Disabled",
                                InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "2"})
    d = sm.describe_notebook_instance(NotebookInstanceName="nb")
    assert (d["DirectInternetAccess"], d["RootAccess"], d["SubnetId"], d["SecurityGroups"], d["KmsKeyId"]) == (
        "Disabled", "Disabled", vpc["subnet"], [vpc["sg"]], vpc["key"])
    assert d["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    with pytest.raises(ClientError, match=r"Status \(InService\) not in \(\[Stopped\]\)"):
        sm.update_notebook_instance(NotebookInstanceName="nb", RootAccess="Enabled")
    sm.stop_notebook_instance(NotebookInstanceName="nb")
    sm.update_notebook_instance(NotebookInstanceName="nb", RootAccess="Enabled", InstanceType="ml.t3.large",
                                InstanceMetadataServiceConfiguration={"MinimumInstanceMetadataServiceVersion": "1"})
    d = sm.describe_notebook_instance(NotebookInstanceName="nb")
    assert (d["RootAccess"], d["InstanceType"]) == ("Enabled", "ml.t3.large")
    assert d["InstanceMetadataServiceConfiguration"]["MinimumInstanceMetadataServiceVersion"] == "1"


def test_notebook_defaults_and_checks(aws, vpc):
    sm = aws.client("sagemaker")
    sm.create_notebook_instance(NotebookInstanceName="open", InstanceType="ml.t3.medium", RoleArn=ROLE)
    d = sm.describe_notebook_instance(NotebookInstanceName="open")
    assert (d["DirectInternetAccess"], d["RootAccess"]) == ("Enabled", "Enabled")
    assert d["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "1"}
    with pytest.raises(ClientError, match="can only be disabled"):
        sm.create_notebook_instance(NotebookInstanceName="x", InstanceType="ml.t3.medium", RoleArn=ROLE,
                                    DirectInternetAccess="Disabled")
    with pytest.raises(ClientError, match="does not exist"):
        sm.create_notebook_instance(NotebookInstanceName="x", InstanceType="ml.t3.medium", RoleArn=ROLE,
                                    SubnetId="subnet-0123456789abcdef0")


def notebook_template(subnet, sg, key, root="Disabled", imds="2", direct="Disabled"):
    return json.dumps({"Resources": {"Nb": {"Type": "AWS::SageMaker::NotebookInstance", "Properties": {
        "InstanceType": "ml.t3.medium", "RoleArn": ROLE, "SubnetId": subnet, "SecurityGroupIds": [sg],
        "KmsKeyId": key, "DirectInternetAccess": direct, "RootAccess": root,
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": imds},
        "Tags": [{"Key": "team", "Value": "ds"}]}}},
        "Outputs": {"Name": {"Value": {"Fn::GetAtt": ["Nb", "NotebookInstanceName"]}}}})


def test_notebook_through_cloudformation(aws, vpc):
    cfn, sm = aws.client("cloudformation"), aws.client("sagemaker")
    cfn.create_stack(StackName="nb", TemplateBody=notebook_template(vpc["subnet"], vpc["sg"], vpc["key"]))
    stack = cfn.describe_stacks(StackName="nb")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    name = stack["Outputs"][0]["OutputValue"]
    d = sm.describe_notebook_instance(NotebookInstanceName=name)
    assert (d["DirectInternetAccess"], d["RootAccess"], d["KmsKeyId"]) == ("Disabled", "Disabled", vpc["key"])
    assert d["InstanceMetadataServiceConfiguration"]["MinimumInstanceMetadataServiceVersion"] == "2"
    # RootAccess changes in place (stop, update, start); DirectInternetAccess replaces the instance
    cfn.update_stack(StackName="nb", TemplateBody=notebook_template(vpc["subnet"], vpc["sg"], vpc["key"], root="Enabled"))
    d = sm.describe_notebook_instance(NotebookInstanceName=name)
    assert (d["RootAccess"], d["NotebookInstanceStatus"]) == ("Enabled", "InService")
    cfn.update_stack(StackName="nb", TemplateBody=notebook_template(vpc["subnet"], vpc["sg"], vpc["key"],
                                                                    root="Enabled", direct="Enabled"))
    new_name = cfn.describe_stacks(StackName="nb")["Stacks"][0]["Outputs"][0]["OutputValue"]
    assert new_name != name
    assert sm.describe_notebook_instance(NotebookInstanceName=new_name)["DirectInternetAccess"] == "Enabled"
    with pytest.raises(ClientError):
        sm.describe_notebook_instance(NotebookInstanceName=name)
    cfn.delete_stack(StackName="nb")
    assert sm.list_notebook_instances()["NotebookInstances"] == []


def test_models_keep_network_isolation(aws, vpc):
    sm, cfn = aws.client("sagemaker"), aws.client("cloudformation")
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"},
                    EnableNetworkIsolation=True, VpcConfig={"Subnets": [vpc["subnet"]], "SecurityGroupIds": [vpc["sg"]]})
    d = sm.describe_model(ModelName="m")
    assert d["EnableNetworkIsolation"] is True and d["VpcConfig"]["Subnets"] == [vpc["subnet"]]
    with pytest.raises(ClientError, match="already existing model"):
        sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    template = {"Resources": {
        "Model": {"Type": "AWS::SageMaker::Model", "Properties": {
            "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": "img"}, "EnableNetworkIsolation": True}},
        "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
            "KmsKeyId": vpc["key"], "ProductionVariants": [{"ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                                                            "VariantName": "main", "InitialInstanceCount": 1,
                                                            "InstanceType": "ml.m5.large"}],
            "DataCaptureConfig": {"EnableCapture": True, "InitialSamplingPercentage": 10,
                                  "DestinationS3Uri": "s3://capture/", "KmsKeyId": vpc["key"],
                                  "CaptureOptions": [{"CaptureMode": "Input"}]}}}},
        "Outputs": {"Model": {"Value": {"Fn::GetAtt": ["Model", "ModelName"]}},
                    "Config": {"Value": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}}}}
    out = create_stack(cfn, "hosting", json.dumps(template))
    assert sm.describe_model(ModelName=out["Model"])["EnableNetworkIsolation"] is True
    config = sm.describe_endpoint_config(EndpointConfigName=out["Config"])
    assert config["KmsKeyId"] == vpc["key"] and config["DataCaptureConfig"]["EnableCapture"] is True
    cfn.delete_stack(StackName="hosting")
    assert [m["ModelName"] for m in sm.list_models()["Models"]] == ["m"]


def set_transition(emulator, model, transition):
    path = "set-transition" if transition else "unset-transition"
    body = {"model_name": model, **({"transition": transition} if transition else {})}
    req = urllib.request.Request(f"{emulator.endpoint}/moto-api/state-manager/{path}", method="POST",
                                 data=json.dumps(body).encode())
    urllib.request.urlopen(req).read()


JOB = dict(AlgorithmSpecification={"TrainingImage": "img", "TrainingInputMode": "File"}, RoleArn=ROLE,
           OutputDataConfig={"S3OutputPath": "s3://out/"}, StoppingCondition={"MaxRuntimeInSeconds": 60},
           ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10})
PROCESSING = dict(AppSpecification={"ImageUri": "img"}, RoleArn=ROLE, StoppingCondition={"MaxRuntimeInSeconds": 60},
                  ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large",
                                                         "VolumeSizeInGB": 10}})


def test_jobs_can_be_stopped_only_while_in_progress(aws, emulator):
    sm = aws.client("sagemaker")
    sm.create_training_job(TrainingJobName="done", **JOB)
    assert sm.describe_training_job(TrainingJobName="done")["TrainingJobStatus"] == "Completed"
    with pytest.raises(ClientError, match="in status Completed"):
        sm.stop_training_job(TrainingJobName="done")
    set_transition(emulator, "sagemaker::training_job", {"progression": "manual", "times": 1000})
    set_transition(emulator, "sagemaker::processing_job", {"progression": "manual", "times": 1000})
    try:
        sm.create_training_job(TrainingJobName="running", **JOB)
        assert sm.describe_training_job(TrainingJobName="running")["TrainingJobStatus"] == "InProgress"
        assert [j["TrainingJobName"] for j in sm.list_training_jobs(StatusEquals="InProgress")["TrainingJobSummaries"]] == ["running"]
        sm.stop_training_job(TrainingJobName="running")
        job = sm.describe_training_job(TrainingJobName="running")
        assert job["TrainingJobStatus"] == "Stopping" and job["SecondaryStatus"] == "Stopping"  # held, as AWS shows it
        with pytest.raises(ClientError, match="in status Stopping"):
            sm.stop_training_job(TrainingJobName="running")
        sm.create_processing_job(ProcessingJobName="prep", **PROCESSING)
        assert sm.describe_processing_job(ProcessingJobName="prep")["ProcessingJobStatus"] == "InProgress"
        sm.stop_processing_job(ProcessingJobName="prep")
        assert sm.describe_processing_job(ProcessingJobName="prep")["ProcessingJobStatus"] == "Stopping"
    finally:
        set_transition(emulator, "sagemaker::training_job", None)
        set_transition(emulator, "sagemaker::processing_job", None)
    assert sm.describe_training_job(TrainingJobName="running")["TrainingJobStatus"] == "Stopped"
    assert sm.describe_processing_job(ProcessingJobName="prep")["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(ClientError, match="in status Stopped"):
        sm.stop_processing_job(ProcessingJobName="prep")
    with pytest.raises(ClientError, match="Could not find training job"):
        sm.stop_training_job(TrainingJobName="missing")


def test_processing_resources_and_model_package_metadata_are_kept(aws):
    sm = aws.client("sagemaker")
    key = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    resources = {"ClusterConfig": {"InstanceCount": 2, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10,
                                   "VolumeKmsKeyId": key}}
    sm.create_processing_job(ProcessingJobName="prep", **{**PROCESSING, "ProcessingResources": resources})
    assert sm.describe_processing_job(ProcessingJobName="prep")["ProcessingResources"] == resources
    sm.create_model_package_group(ModelPackageGroupName="g")
    arn = sm.create_model_package(ModelPackageGroupName="g", ModelApprovalStatus="PendingManualApproval",
                                  CustomerMetadataProperties={"training_data": "s3://b/k"},
                                  InferenceSpecification={"Containers": [{"Image": "img"}],
                                                          "SupportedContentTypes": ["text/csv"],
                                                          "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    package = sm.describe_model_package(ModelPackageName=arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["CustomerMetadataProperties"] == {"training_data": "s3://b/k"}


def test_a_notebook_instance_stops_through_stopping(aws, emulator, vpc):
    sm = aws.client("sagemaker")
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=ROLE,
                                SubnetId=vpc["subnet"], SecurityGroupIds=[vpc["sg"]], DirectInternetAccess="Disabled")
    set_transition(emulator, "sagemaker::notebook_instance", {"progression": "manual", "times": 2})
    try:
        sm.stop_notebook_instance(NotebookInstanceName="nb")
        assert sm.describe_notebook_instance(NotebookInstanceName="nb")["NotebookInstanceStatus"] == "Stopping"
        with pytest.raises(ClientError, match=r"Status \(Stopping\) not in \(\[Stopped\]\)"):
            sm.update_notebook_instance(NotebookInstanceName="nb", RootAccess="Disabled")
        with pytest.raises(ClientError, match=r"Status \(Stopping\) not in \(\[Stopped, Failed\]\)"):
            sm.delete_notebook_instance(NotebookInstanceName="nb")
        assert sm.describe_notebook_instance(NotebookInstanceName="nb")["NotebookInstanceStatus"] == "Stopped"
    finally:
        set_transition(emulator, "sagemaker::notebook_instance", None)
    sm.get_waiter("notebook_instance_stopped").wait(NotebookInstanceName="nb")
    sm.update_notebook_instance(NotebookInstanceName="nb", RootAccess="Disabled")
    sm.start_notebook_instance(NotebookInstanceName="nb")
    sm.stop_notebook_instance(NotebookInstanceName="nb")  # the default transition: at once
    assert sm.describe_notebook_instance(NotebookInstanceName="nb")["NotebookInstanceStatus"] == "Stopped"
    sm.delete_notebook_instance(NotebookInstanceName="nb")


@pytest.mark.emulator
def test_update_endpoint_moves_it_to_another_configuration(aws):
    """UpdateEndpoint (moto lacks it), through the API and through a CloudFormation update."""
    import json as _json

    sm, iam, cfn = aws.client("sagemaker"), aws.client("iam"), aws.client("cloudformation")
    role = iam.create_role(RoleName="m", AssumeRolePolicyDocument=_json.dumps({"Statement": []}))["Role"]["Arn"]
    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
    for n in ("m1", "m2"):
        sm.create_model(ModelName=n, ExecutionRoleArn=role, PrimaryContainer={"Image": image})
    for n, model, count in (("c1", "m1", 1), ("c2", "m2", 2)):
        sm.create_endpoint_config(EndpointConfigName=n, ProductionVariants=[{
            "VariantName": "v", "ModelName": model, "InitialInstanceCount": count, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c1")
    assert sm.update_endpoint(EndpointName="e", EndpointConfigName="c2")["EndpointArn"].endswith("endpoint/e")
    desc = sm.describe_endpoint(EndpointName="e")
    assert desc["EndpointConfigName"] == "c2" and desc["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.update_endpoint(EndpointName="e", EndpointConfigName="nope")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sm.update_endpoint(EndpointName="nope", EndpointConfigName="c1")

    def template(config):
        return _json.dumps({"Resources": {"E": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointName": "cfn-e", "EndpointConfigName": config}}}})

    cfn.create_stack(StackName="ep", TemplateBody=template("c1"))
    cfn.update_stack(StackName="ep", TemplateBody=template("c2"))
    assert cfn.describe_stacks(StackName="ep")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert sm.describe_endpoint(EndpointName="cfn-e")["EndpointConfigName"] == "c2"
