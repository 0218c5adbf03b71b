"""CodePipeline pipelines on the emulator: role and artifact-store checks, CloudFormation."""

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
    "Service": ["codebuild.amazonaws.com", "codepipeline.amazonaws.com", "cloudformation.amazonaws.com"]}}]}


@pytest.fixture
def setup(aws):
    iam, s3, kms = aws.client("iam"), aws.client("s3"), aws.client("kms")
    role = iam.create_role(RoleName="products-use", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    other = iam.create_role(RoleName="lambda-only", AssumeRolePolicyDocument=json.dumps(
        {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    s3.create_bucket(Bucket="pipeline-artifacts")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    return {"role": role, "other": other, "key": key}


def stages():
    return [{"Name": "Source", "Actions": [{"Name": "Source", "ActionTypeId": {
        "Category": "Source", "Owner": "AWS", "Provider": "CodeCommit", "Version": "1"},
        "Configuration": {"RepositoryName": "model-build", "BranchName": "main", "PollForSourceChanges": False},
        "OutputArtifacts": [{"Name": "SourceCode"}]}]},
            {"Name": "Build", "Actions": [{"Name": "Build", "ActionTypeId": {
                "Category": "Build", "Owner": "AWS", "Provider": "CodeBuild", "Version": "1"},
                "Configuration": {"ProjectName": "model-build"}, "InputArtifacts": [{"Name": "SourceCode"}]}]}]


def template(setup, role_key="role", stage_list=None):
    return json.dumps({"Resources": {"Pipeline": {"Type": "AWS::CodePipeline::Pipeline", "Properties": {
        "Name": "model-build", "RoleArn": setup[role_key],
        "ArtifactStore": {"Type": "S3", "Location": "pipeline-artifacts", "EncryptionKey": {"Id": setup["key"], "Type": "KMS"}},
        "Stages": stage_list or stages(), "Tags": [{"Key": "team", "Value": "ds"}]}}},
        "Outputs": {"Name": {"Value": {"Ref": "Pipeline"}}, "Version": {"Value": {"Fn::GetAtt": ["Pipeline", "Version"]}}}})


def test_pipeline_through_cloudformation(aws, setup):
    cfn, cp = aws.client("cloudformation"), aws.client("codepipeline")
    cfn.create_stack(StackName="pipe", TemplateBody=template(setup))
    stack = cfn.describe_stacks(StackName="pipe")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    pipeline = cp.get_pipeline(name="model-build")["pipeline"]
    assert pipeline["artifactStore"]["encryptionKey"] == {"id": setup["key"], "type": "KMS"}
    assert pipeline["stages"][0]["actions"][0]["configuration"]["RepositoryName"] == "model-build"
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Version"] == "1"
    more = stages() + [{"Name": "Approve", "Actions": [{"Name": "Approve", "ActionTypeId": {
        "Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"}}]}]
    cfn.update_stack(StackName="pipe", TemplateBody=template(setup, stage_list=more))
    pipeline = cp.get_pipeline(name="model-build")["pipeline"]
    assert [s["name"] for s in pipeline["stages"]] == ["Source", "Build", "Approve"] and pipeline["version"] == 2
    cfn.delete_stack(StackName="pipe")
    assert cp.list_pipelines()["pipelines"] == []


def test_pipeline_role_must_trust_codepipeline(aws, setup):
    cfn = aws.client("cloudformation")
    cfn.create_stack(StackName="badpipe", TemplateBody=template(setup, role_key="other"))
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="badpipe")["StackEvents"]
               if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any("not authorized to perform AssumeRole" in r for r in reasons)
    with pytest.raises(ClientError):
        aws.client("codepipeline").get_pipeline(name="model-build")
