"""CloudWatch Logs log groups on the emulator: API checks and CloudFormation."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator


def template(retention=30, with_key=True):
    props = {"LogGroupName": "/secure-mlops/flow", "RetentionInDays": retention, "Tags": [{"Key": "team", "Value": "ds"}]}
    if with_key:
        props["KmsKeyId"] = {"Fn::GetAtt": ["Key", "Arn"]}
    return json.dumps({"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {}},
                                     "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": props}},
                       "Outputs": {"Key": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}},
                                   "Arn": {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}}}})


def group(logs):
    return logs.describe_log_groups(logGroupNamePrefix="/secure-mlops/flow")["logGroups"][0]


def test_log_group_through_cloudformation(aws):
    cfn, logs = aws.client("cloudformation"), aws.client("logs")
    out = create_stack(cfn, "logs", template())
    key = out["Key"]
    g = group(logs)
    assert out["Arn"] == g["arn"] == "arn:aws:logs:us-east-1:123456789012:log-group:/secure-mlops/flow:*"
    assert g["kmsKeyId"] == key and g["retentionInDays"] == 30
    cfn.update_stack(StackName="logs", TemplateBody=template(retention=365, with_key=False))
    g = group(logs)
    assert "kmsKeyId" not in g and g["retentionInDays"] == 365
    cfn.delete_stack(StackName="logs")
    assert logs.describe_log_groups(logGroupNamePrefix="/secure-mlops/flow")["logGroups"] == []


def test_api_checks_key_and_retention(aws):
    logs = aws.client("logs")
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName="g", kmsKeyId="arn:aws:kms:us-east-1:123456789012:key/missing")
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    logs.create_log_group(logGroupName="g")
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName="g", retentionInDays=42)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    logs.associate_kms_key(logGroupName="g", kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix="g")["logGroups"][0]["kmsKeyId"] == key
    logs.disassociate_kms_key(logGroupName="g")
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix="g")["logGroups"][0]


def test_a_property_the_emulator_does_not_implement_fails_the_stack(aws):
    cfn = aws.client("cloudformation")
    body = json.dumps({"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {
        "LogGroupName": "/secure-mlops/unimplemented", "DataProtectionPolicy": {"Name": "p"}}}}})
    cfn.create_stack(StackName="unimplemented", TemplateBody=body)
    stack = cfn.describe_stacks(StackName="unimplemented")["Stacks"][0]
    assert stack["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_FAILED"), stack["StackStatus"]
    reasons = [e.get("ResourceStatusReason") or "" for e in
               cfn.describe_stack_events(StackName="unimplemented")["StackEvents"] if e["LogicalResourceId"] == "Logs"]
    assert any("the embedded emulator does not implement AWS::Logs::LogGroup property DataProtectionPolicy" in r
               for r in reasons), reasons
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix="/secure-mlops/unimplemented")["logGroups"] == []
