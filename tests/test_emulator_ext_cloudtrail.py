"""CloudTrail trails on the emulator: delivery checks and CloudFormation."""

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

ACCOUNT = "123456789012"


def bucket_policy(bucket):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": {"Fn::GetAtt": [bucket, "Arn"]}},
        {"Sid": "Write", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": {"Fn::Sub": f"${{{bucket}.Arn}}/AWSLogs/{ACCOUNT}/*"}}]}


KEY_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Trail", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "kms:GenerateDataKey*", "Resource": "*"}]}


def template(logging=True, validation=True, with_data_events=True):
    trail = {"TrailName": "org-trail", "S3BucketName": {"Ref": "Logs"}, "IsLogging": logging,
             "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True, "EnableLogFileValidation": validation,
             "KMSKeyId": {"Fn::GetAtt": ["Key", "Arn"]}, "Tags": [{"Key": "team", "Value": "ds"}]}
    if with_data_events:
        trail["EventSelectors"] = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
            {"Type": "AWS::S3::Object", "Values": [{"Fn::Sub": "${Logs.Arn}/"}]}]}]
    return json.dumps({"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": KEY_POLICY}},
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "LogsPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Logs"}, "PolicyDocument": bucket_policy("Logs")}},
        "Trail": {"Type": "AWS::CloudTrail::Trail", "DependsOn": "LogsPolicy", "Properties": trail},
    }, "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Trail", "Arn"]}}}})


def test_trail_through_cloudformation(aws):
    cfn, ct = aws.client("cloudformation"), aws.client("cloudtrail")
    cfn.create_stack(StackName="trail", TemplateBody=template())
    stack = cfn.describe_stacks(StackName="trail")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    arn = stack["Outputs"][0]["OutputValue"]
    trail = ct.describe_trails(trailNameList=[arn])["trailList"][0]
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"] and trail["KmsKeyId"].startswith("arn:aws:kms:")
    assert trail["HasCustomEventSelectors"] is True
    assert ct.get_trail_status(Name="org-trail")["IsLogging"] is True
    selectors = ct.get_event_selectors(TrailName="org-trail")["EventSelectors"]
    assert selectors[0]["DataResources"][0]["Type"] == "AWS::S3::Object"
    assert {"Key": "team", "Value": "ds"} in ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]

    cfn.update_stack(StackName="trail", TemplateBody=template(logging=False, validation=False, with_data_events=False))
    assert ct.get_trail_status(Name="org-trail")["IsLogging"] is False
    trail = ct.describe_trails(trailNameList=[arn])["trailList"][0]
    assert trail["LogFileValidationEnabled"] is False and trail["HasCustomEventSelectors"] is False

    cfn.delete_stack(StackName="trail")
    assert ct.describe_trails()["trailList"] == []


def test_trail_needs_a_bucket_policy_for_cloudtrail(aws):
    s3, ct = aws.client("s3"), aws.client("cloudtrail")
    s3.create_bucket(Bucket="no-policy-logs")
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name="trail-one", S3BucketName="no-policy-logs")
    assert exc.value.response["Error"]["Code"] == "InsufficientS3BucketPolicyException"


def test_trail_key_policy_must_admit_cloudtrail(aws):
    s3, ct, kms = aws.client("s3"), aws.client("cloudtrail"), aws.client("kms")
    s3.create_bucket(Bucket="trail-logs")
    policy = json.loads(json.dumps(bucket_policy("x")))
    policy["Statement"][0]["Resource"] = "arn:aws:s3:::trail-logs"
    policy["Statement"][1]["Resource"] = f"arn:aws:s3:::trail-logs/AWSLogs/{ACCOUNT}/*"
    s3.put_bucket_policy(Bucket="trail-logs", Policy=json.dumps(policy))
    plain = kms.create_key()["KeyMetadata"]["Arn"]  # default key policy: the account only
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name="trail-two", S3BucketName="trail-logs", KmsKeyId=plain)
    assert exc.value.response["Error"]["Code"] == "InsufficientEncryptionPolicyException"
    key = kms.create_key(Policy=json.dumps(KEY_POLICY))["KeyMetadata"]["Arn"]
    ct.create_trail(Name="trail-two", S3BucketName="trail-logs", KmsKeyId=key)
    assert ct.get_trail(Name="trail-two")["Trail"]["KmsKeyId"] == key
