"""destroy when something holds what it deletes: data it keeps, workloads it names, projects it waits for.

Review H2 item 17: after `secure-mlops demo`, destroy stopped at the model package group ("contains
model packages") and said nothing of the subnets the demo's notebook and endpoint held. A group
that holds model versions is data (kept, like a bucket with objects, with the commands that remove
it); every resource that cannot be deleted is named with what holds it and what to do. And destroy
deletes nothing while SageMaker projects launched from the environment's products exist.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import Spec, captured

from secure_mlops.provision import deployer, destroy, gating

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("wide_console")]

GROUP = "unit-models"
INFERENCE = {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"}],
             "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}

REGISTRY_TEMPLATE = {"Resources": {
    "ModelPackageGroup": {"Type": "AWS::SageMaker::ModelPackageGroup",
                          "Properties": {"ModelPackageGroupName": GROUP}},
    "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/unit/p", "Type": "String", "Value": "v"}},
}}

NETWORK_TEMPLATE = {"Resources": {
    "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.30.0.0/16"}},
    "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.30.1.0/24",
                                                           "AvailabilityZone": "us-east-1a"}},
    "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.30.2.0/24",
                                                           "AvailabilityZone": "us-east-1b"}},
    "WorkloadGroup": {"Type": "AWS::EC2::SecurityGroup",
                      "Properties": {"VpcId": {"Ref": "Vpc"}, "GroupDescription": "workloads"}},
    **REGISTRY_TEMPLATE["Resources"],
}}


def write(tmp_path: Path, name: str, template: dict) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(template))
    return path


@pytest.fixture
def cfg(tmp_path):
    return SimpleNamespace(name="unit", path=tmp_path / "secure-mlops.yaml")


@pytest.fixture(autouse=True)
def passing_gate(monkeypatch):
    monkeypatch.setattr(deployer, "gate_templates", lambda *a, **k: gating.GateOutcome(ok=True))


def deploy(spec, cfg, target) -> dict[str, str]:
    assert deployer.deploy_specs([spec], cfg, target, projects=False)
    rows = target.session.client("cloudformation").list_stack_resources(StackName=spec.name)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in rows}


def stack_status(aws, name):
    from secure_mlops.provision.events import describe_stack

    stack = describe_stack(aws.client("cloudformation"), name)
    return stack and stack["StackStatus"]


def register_version(aws) -> str:
    return aws.client("sagemaker").create_model_package(
        ModelPackageGroupName=GROUP, ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification=INFERENCE)["ModelPackageArn"]


def test_a_model_package_group_with_versions_is_kept_with_the_commands_that_remove_it(
        tmp_path, cfg, local_target, aws, capsys):
    spec = Spec("unit-registry", write(tmp_path, "registry", REGISTRY_TEMPLATE))
    deploy(spec, cfg, local_target)
    version = register_version(aws)
    capsys.readouterr()

    assert destroy.destroy_specs([spec], cfg, local_target)
    out = captured(capsys)
    assert stack_status(aws, "unit-registry") is None
    assert "keeping ModelPackageGroup" in out and "holds 1 model version" in out
    assert "could not be deleted" not in out
    aws_cli = f"aws --region us-east-1 --endpoint-url {local_target.endpoint_url}"
    assert f"{aws_cli} sagemaker list-model-packages --model-package-group-name {GROUP}" in out
    assert f"{aws_cli} sagemaker delete-model-package-group --model-package-group-name {GROUP}" in out
    # the version (data) is still there; the rest of the stack is gone
    sm = aws.client("sagemaker")
    assert [p["ModelPackageArn"] for p in sm.list_model_packages(ModelPackageGroupName=GROUP)
            ["ModelPackageSummaryList"]] == [version]
    with pytest.raises(Exception):
        aws.client("ssm").get_parameter(Name="/unit/p")


def test_an_empty_model_package_group_is_deleted(tmp_path, cfg, local_target, aws, capsys):
    spec = Spec("unit-registry", write(tmp_path, "registry", REGISTRY_TEMPLATE))
    deploy(spec, cfg, local_target)
    assert destroy.destroy_specs([spec], cfg, local_target)
    assert "keeping" not in captured(capsys)
    groups = aws.client("sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"]
    assert [g for g in groups if g["ModelPackageGroupName"] == GROUP] == []


def test_every_resource_that_cannot_be_deleted_is_named_with_what_holds_it(tmp_path, cfg, local_target, aws, capsys):
    spec = Spec("unit-net", write(tmp_path, "network", NETWORK_TEMPLATE))
    ids = deploy(spec, cfg, local_target)
    subnet_a, subnet_b, group = ids["SubnetA"], ids["SubnetB"], ids["WorkloadGroup"]
    ec2, sm, iam = aws.client("ec2"), aws.client("sagemaker"), aws.client("iam")
    register_version(aws)
    role = iam.create_role(RoleName="unit-exec", AssumeRolePolicyDocument=json.dumps({"Statement": []}))["Role"]["Arn"]
    # a team's workloads in the environment's network: a notebook instance in subnet A with the group,
    # an endpoint whose model runs in subnet B, and something else's network interface in subnet B
    sm.create_notebook_instance(NotebookInstanceName="unit-notebook", InstanceType="ml.t3.medium", RoleArn=role,
                                SubnetId=subnet_a, SecurityGroupIds=[group], DirectInternetAccess="Disabled")
    sm.create_model(ModelName="unit-model", ExecutionRoleArn=role, PrimaryContainer={"Image": INFERENCE["Containers"][0]["Image"]},
                    VpcConfig={"Subnets": [subnet_b], "SecurityGroupIds": [group]})
    sm.create_endpoint_config(EndpointConfigName="unit-config", ProductionVariants=[{
        "VariantName": "v", "ModelName": "unit-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="unit-endpoint", EndpointConfigName="unit-config")
    # the interface SageMaker gives the notebook on AWS (the emulator does not create it:
    # docs/emulator-gaps-requests.md, J5), and another one of unknown origin
    notebook_eni = ec2.create_network_interface(SubnetId=subnet_a, Groups=[group],
                                                Description="notebook interface")["NetworkInterface"]["NetworkInterfaceId"]
    other_eni = ec2.create_network_interface(SubnetId=subnet_b, Description="a forgotten test interface")[
        "NetworkInterface"]["NetworkInterfaceId"]
    capsys.readouterr()
    aws_cli = f"aws --region us-east-1 --endpoint-url {local_target.endpoint_url}"

    # 1. the notebook and the endpoint run in the environment's network: named before anything is deleted
    assert not destroy.destroy_specs([spec], cfg, local_target)
    out = captured(capsys)
    assert stack_status(aws, "unit-net") == "CREATE_COMPLETE" and "DELETE_IN_PROGRESS" not in out
    assert ("2 SageMaker workload(s) run in the environment's network: SageMaker notebook instance unit-notebook, "
            "SageMaker endpoint unit-endpoint.") in out
    assert (f"SageMaker notebook instance unit-notebook: save its work first (its ML storage volume is "
            f"deleted with it), then `{aws_cli} sagemaker stop-notebook-instance --notebook-instance-name "
            "unit-notebook`") in out
    assert f"SageMaker endpoint unit-endpoint: `{aws_cli} sagemaker delete-endpoint --endpoint-name unit-endpoint`" in out
    assert "Nothing was deleted. Run destroy again once they are gone." in out

    # 2. the user deletes them; what still holds the network is named when CloudFormation cannot delete it
    sm.delete_endpoint(EndpointName="unit-endpoint")
    sm.stop_notebook_instance(NotebookInstanceName="unit-notebook")
    sm.delete_notebook_instance(NotebookInstanceName="unit-notebook")
    capsys.readouterr()
    assert not destroy.destroy_specs([spec], cfg, local_target)
    out = captured(capsys)
    assert stack_status(aws, "unit-net") == "DELETE_FAILED"
    # every resource that could not be deleted, each with what holds it and what to do
    assert f"SubnetA (AWS::EC2::Subnet {subnet_a}) could not be deleted" in out
    assert f"SubnetB (AWS::EC2::Subnet {subnet_b}) could not be deleted" in out
    assert f"WorkloadGroup (AWS::EC2::SecurityGroup {group}) could not be deleted" in out
    assert f"used by network interface {other_eni} (description 'a forgotten test interface'" in out
    assert f"{aws_cli} ec2 delete-network-interface --network-interface-id {other_eni}" in out
    assert f"used by network interface {notebook_eni} (description 'notebook interface'" in out
    # the group of model versions is data: named as kept, never as a failure
    assert "Kept, because they hold or protect data" in out and "ModelPackageGroup (holds 1 model version)" in out
    assert "ModelPackageGroup (AWS::SageMaker::ModelPackageGroup" not in out
    assert "Resolve the 3 resource(s) above, then run destroy again (stack unit-net is DELETE_FAILED)" in out

    # 3. the interfaces gone, destroy finishes where it stopped and keeps the model versions
    for eni in (notebook_eni, other_eni):
        ec2.delete_network_interface(NetworkInterfaceId=eni)
    capsys.readouterr()
    assert destroy.destroy_specs([spec], cfg, local_target)
    out = captured(capsys)
    assert stack_status(aws, "unit-net") is None
    assert "keeping ModelPackageGroup" in out
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [ids["Vpc"]]}])["Subnets"] == []
    assert len(sm.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]) == 1


def test_a_notebook_is_named_through_its_network_interface(aws):
    """On AWS DescribeNotebookInstance names the notebook's interface; a subnet held by it names the notebook."""
    from secure_mlops.provision import holders

    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]

    class Notebooks:  # what AWS answers for a notebook instance whose interface is `eni` (the emulator has none)
        def __init__(self, real):
            self.real = real

        def client(self, service):
            client = self.real.client(service)
            if service == "sagemaker":
                client.describe_notebook_instance = lambda NotebookInstanceName: {
                    "NotebookInstanceName": NotebookInstanceName, "NotebookInstanceStatus": "InService",
                    "NetworkInterfaceId": eni, "SubnetId": "subnet-elsewhere", "SecurityGroups": []}
            return client

    aws.client("sagemaker").create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.t3.medium",
                                                     RoleArn="arn:aws:iam::123456789012:role/r")
    found = holders.network_holders(Notebooks(aws), holders.SUBNET, subnet, [], "aws")
    assert [h.what for h in found] == ["SageMaker notebook instance nb"]


def test_studio_home_directories_keep_their_subnets_also_when_destroy_runs_again(aws):
    """The EFS mount targets of Studio's file system are data's; found by the file system's tag once the domain is gone."""
    from secure_mlops.provision.retained import IN_USE_BY_EFS

    ec2, efs = aws.client("ec2"), aws.client("efs")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    fs = efs.create_file_system(CreationToken="studio", Tags=[
        {"Key": destroy.STUDIO_EFS_TAG, "Value": "arn:aws:sagemaker:us-east-1:123456789012:domain/d-gone"}])["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs, SubnetId=subnet)
    # a domain deleted by an earlier destroy run: its file system is still found
    assert destroy._studio_file_system(aws, "d-gone") == fs
    assert destroy._studio_file_system(aws, "d-other") is None
    event = {"LogicalResourceId": "Subnet", "ResourceType": "AWS::EC2::Subnet", "PhysicalResourceId": subnet,
             "ResourceStatus": "DELETE_FAILED",
             "ResourceStatusReason": f"The subnet '{subnet}' has dependencies and cannot be deleted."}
    keep, blockers = destroy._classify_delete_failures(aws, {"Subnet": event}, live_efs=[fs])
    assert keep == {"Subnet": IN_USE_BY_EFS} and blockers == {}
    # without knowing it is Studio's, the mount target is named, with what to do
    keep, blockers = destroy._classify_delete_failures(aws, {"Subnet": event}, live_efs=[])
    assert keep == {} and [h.what for h in blockers["Subnet"].holders] == [
        f"network interface {efs.describe_mount_targets(FileSystemId=fs)['MountTargets'][0]['NetworkInterfaceId']}"
        f" of EFS mount target {efs.describe_mount_targets(FileSystemId=fs)['MountTargets'][0]['MountTargetId']}"
        f" of file system {fs}"]
