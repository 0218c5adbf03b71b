"""CodeBuild projects on the emulator: checks, KMS key, update, and CloudFormation."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator

ROLE = "arn:aws:iam::123456789012:role/build"


@pytest.fixture
def network(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="b", Description="b")["GroupId"]
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    return {"vpc": vpc, "subnet": subnet, "sg": sg, "key": key}


def test_project_api_keeps_the_key_and_checks_the_project(aws, network):
    cb = aws.client("codebuild")
    env = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
    cb.create_project(name="build-p", source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"}, environment=env,
                      serviceRole=ROLE, encryptionKey=network["key"],
                      vpcConfig={"vpcId": network["vpc"], "subnets": [network["subnet"]], "securityGroupIds": [network["sg"]]})
    project = cb.batch_get_projects(names=["build-p"])["projects"][0]
    assert project["encryptionKey"] == network["key"] and project["vpcConfig"]["subnets"] == [network["subnet"]]
    cb.update_project(name="build-p", timeoutInMinutes=30)
    assert cb.batch_get_projects(names=["build-p"])["projects"][0]["timeoutInMinutes"] == 30
    with pytest.raises(ClientError, match="source location is required"):
        cb.create_project(name="build-q", source={"type": "S3"}, artifacts={"type": "NO_ARTIFACTS"}, environment=env,
                          serviceRole=ROLE)
    with pytest.raises(ClientError, match="encryption key"):
        cb.create_project(name="build-q", source={"type": "NO_SOURCE", "buildspec": "x"}, artifacts={"type": "NO_ARTIFACTS"},
                          environment=env, serviceRole=ROLE, encryptionKey="arn:aws:kms:us-east-1:123456789012:key/none")


def template(network, timeout):
    return json.dumps({"Resources": {"Build": {"Type": "AWS::CodeBuild::Project", "Properties": {
        "Name": "model-build", "ServiceRole": ROLE, "EncryptionKey": network["key"],
        "Artifacts": {"Type": "CODEPIPELINE"}, "Source": {"Type": "CODEPIPELINE", "BuildSpec": "buildspec.yml"},
        "Environment": {"Type": "LINUX_CONTAINER", "ComputeType": "BUILD_GENERAL1_SMALL",
                        "Image": "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
                        "EnvironmentVariables": [{"Name": "STAGE", "Value": "dev"}]},
        "VpcConfig": {"VpcId": network["vpc"], "Subnets": [network["subnet"]], "SecurityGroupIds": [network["sg"]]},
        "TimeoutInMinutes": timeout, "Tags": [{"Key": "team", "Value": "ds"}]}}},
        "Outputs": {"Name": {"Value": {"Ref": "Build"}}, "Arn": {"Value": {"Fn::GetAtt": ["Build", "Arn"]}}}})


def test_project_through_cloudformation(aws, network):
    cfn, cb = aws.client("cloudformation"), aws.client("codebuild")
    out = create_stack(cfn, "build", template(network, 480))
    project = cb.batch_get_projects(names=[out["Name"]])["projects"][0]
    assert project["arn"] == out["Arn"] and project["encryptionKey"] == network["key"]
    assert project["source"]["buildspec"] == "buildspec.yml"
    assert project["environment"]["environmentVariables"] == [{"name": "STAGE", "value": "dev"}]
    assert project["vpcConfig"]["securityGroupIds"] == [network["sg"]]
    cfn.update_stack(StackName="build", TemplateBody=template(network, 60))
    assert cb.batch_get_projects(names=["model-build"])["projects"][0]["timeoutInMinutes"] == 60
    cfn.delete_stack(StackName="build")
    assert cb.list_projects()["projects"] == []
