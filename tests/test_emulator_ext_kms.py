"""KMS keys through CloudFormation on the emulator."""

import json

import pytest

pytestmark = pytest.mark.emulator


def template(rotation=True, description="data key", enabled=True):
    return json.dumps({"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {
        "Description": description, "EnableKeyRotation": rotation, "Enabled": enabled, "PendingWindowInDays": 7,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
            "Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*", "Resource": "*"}]},
        "Tags": [{"Key": "team", "Value": "ds"}]}}},
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}, "Id": {"Value": {"Ref": "Key"}}}})


def test_key_through_cloudformation(aws):
    cfn, kms = aws.client("cloudformation"), aws.client("kms")
    cfn.create_stack(StackName="key", TemplateBody=template())
    stack = cfn.describe_stacks(StackName="key")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    key_id = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Id"]
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]  # a policy given as an object is readable
    assert meta["Description"] == "data key" and meta["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"][0]["Sid"] == "Admin"
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "team", "TagValue": "ds"}]

    cfn.update_stack(StackName="key", TemplateBody=template(rotation=False, description="renamed", enabled=False))
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["Description"] == "renamed" and meta["Enabled"] is False
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    cfn.delete_stack(StackName="key")  # CloudFormation schedules deletion; the key stays readable
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_invalid_key_policy_fails_the_key(aws):
    cfn = aws.client("cloudformation")
    body = json.loads(template())
    body["Resources"]["Key"]["Properties"]["KeyPolicy"] = {"Version": "2012-10-17", "Statement": []}
    cfn.create_stack(StackName="bad-key", TemplateBody=json.dumps(body))
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="bad-key")["StackEvents"]
               if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any("policy" in r for r in reasons)
