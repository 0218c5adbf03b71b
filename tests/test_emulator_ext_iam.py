"""IAM roles and managed policies through CloudFormation, and AWS managed policies, on the emulator."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                   "Action": "sts:AssumeRole"}]}
DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def template(managed=("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess",), inline=True, boundary=True,
             policy_action="s3:GetObject", attach=True):
    role = {"RoleName": "exec", "Path": "/ml/", "AssumeRolePolicyDocument": TRUST,
            "ManagedPolicyArns": list(managed), "Tags": [{"Key": "team", "Value": "ds"}]}
    if inline:
        role["Policies"] = [{"PolicyName": "inline", "PolicyDocument": DOC}]
    if boundary:
        role["PermissionsBoundary"] = {"Ref": "Boundary"}
    policy = {"PolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": policy_action, "Resource": "*"}]}}
    if attach:
        policy["Roles"] = [{"Ref": "Role"}]
    return json.dumps({"Resources": {
        "Boundary": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": DOC}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": role},
        "Extra": {"Type": "AWS::IAM::ManagedPolicy", "Properties": policy},
    }, "Outputs": {"Extra": {"Value": {"Ref": "Extra"}}, "Boundary": {"Value": {"Ref": "Boundary"}}}})


def attached(iam):
    return sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="exec")["AttachedPolicies"])


def test_aws_managed_policies_exist(aws):
    iam = aws.client("iam")
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    assert policy["PolicyName"] == "AdministratorAccess"
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/job-function/DataScientist")
    assert iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"][0]["PolicyName"] == "DataScientist"


def test_role_and_managed_policy_through_cloudformation(aws):
    cfn, iam = aws.client("cloudformation"), aws.client("iam")
    out = create_stack(cfn, "iam", template(), Capabilities=["CAPABILITY_NAMED_IAM"])
    role = iam.get_role(RoleName="exec")["Role"]
    assert role["Arn"] == "arn:aws:iam::123456789012:role/ml/exec"
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == out["Boundary"]
    assert attached(iam) == sorted(["arn:aws:iam::aws:policy/AmazonSageMakerFullAccess", out["Extra"]])
    doc = iam.get_role_policy(RoleName="exec", PolicyName="inline")["PolicyDocument"]
    assert doc == DOC  # JSON, not a Python repr

    cfn.update_stack(StackName="iam", TemplateBody=template(managed=(), inline=False, boundary=False,
                                                            policy_action="s3:PutObject"),
                     Capabilities=["CAPABILITY_NAMED_IAM"])
    assert cfn.describe_stacks(StackName="iam")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert attached(iam) == [out["Extra"]]
    assert iam.list_role_policies(RoleName="exec")["PolicyNames"] == []
    assert "PermissionsBoundary" not in iam.get_role(RoleName="exec")["Role"]
    versions = iam.list_policy_versions(PolicyArn=out["Extra"])["Versions"]
    default = next(v for v in versions if v["IsDefaultVersion"])
    assert len(versions) == 2 and default["VersionId"] == "v2"
    statement = iam.get_policy_version(PolicyArn=out["Extra"], VersionId="v2")["PolicyVersion"]["Document"]["Statement"]
    assert statement[0]["Action"] == "s3:PutObject"

    cfn.delete_stack(StackName="iam")
    with pytest.raises(ClientError):
        iam.get_role(RoleName="exec")
    with pytest.raises(ClientError):
        iam.get_policy(PolicyArn=out["Extra"])


def test_missing_managed_policy_fails_the_role(aws):
    cfn = aws.client("cloudformation")
    cfn.create_stack(StackName="bad-iam", Capabilities=["CAPABILITY_NAMED_IAM"], TemplateBody=template(
        managed=("arn:aws:iam::123456789012:policy/missing",), boundary=False))
    events = cfn.describe_stack_events(StackName="bad-iam")["StackEvents"]
    reasons = [e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any("does not exist or is not attachable" in r for r in reasons)
    with pytest.raises(ClientError):
        aws.client("iam").get_role(RoleName="exec")
