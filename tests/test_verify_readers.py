"""Readers of the types the emulator's CloudFormation cannot deploy by itself yet, tested against
the emulator's real service APIs: the resources are created with their own API calls, and the
test supplies only CloudFormation's listing of them (stack, template, physical ids)."""

from __future__ import annotations

import json

import pytest
from helpers import FakeCloudFormation, FakeSession

ACCOUNT = "123456789012"


def check(session, resources: dict, physical_ids: dict[str, str], parameters: dict | None = None):
    """Read back a one-stack listing; returns the mismatches as (logical id, property, message)."""
    from secure_mlops.provision.verify import read_back

    template = {"Parameters": {k: {"Type": "String"} for k in (parameters or {})}, "Resources": resources}
    cf = FakeCloudFormation(template, physical_ids,
                            [{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
                            account=ACCOUNT)
    result = read_back(FakeSession(cf, session), ["s"])[0]
    assert result.resources_read == len(physical_ids)
    return [(m.logical_id, m.property, m.message()) for m in result.mismatches]


ALLOW_SAGEMAKER = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture
def studio(aws):
    """A VPC-only Studio domain with a KMS key and a user profile, created with SageMaker's API."""
    ec2, iam, sm = aws.client("ec2"), aws.client("iam"), aws.client("sagemaker")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="sm", Description="sm", VpcId=vpc)["GroupId"]
    key = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    role = iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(ALLOW_SAGEMAKER))["Role"]["Arn"]
    arn = sm.create_domain(DomainName="dom", AuthMode="IAM", VpcId=vpc, SubnetIds=[subnet],
                           AppNetworkAccessType="VpcOnly", KmsKeyId=key,
                           DefaultUserSettings={"ExecutionRole": role, "SecurityGroups": [sg]},
                           Tags=[{"Key": "team", "Value": "ds"}])["DomainArn"]
    domain_id = arn.rsplit("/", 1)[-1]
    profile = sm.create_user_profile(DomainId=domain_id, UserProfileName="alice", UserSettings={"ExecutionRole": role},
                                     Tags=[{"Key": "owner", "Value": "alice"}])["UserProfileArn"]
    resources = {
        "Domain": {"Type": "AWS::SageMaker::Domain", "Properties": {
            "DomainName": "dom", "AuthMode": "IAM", "AppNetworkAccessType": "VpcOnly", "KmsKeyId": {"Ref": "Key"},
            "VpcId": {"Ref": "Vpc"}, "SubnetIds": [{"Ref": "Subnet"}],
            "DefaultUserSettings": {"ExecutionRole": {"Ref": "Role"}, "SecurityGroups": [{"Ref": "Sg"}]},
            "Tags": [{"Key": "team", "Value": "ds"}]}},
        "Profile": {"Type": "AWS::SageMaker::UserProfile", "Properties": {
            "DomainId": {"Fn::GetAtt": ["Domain", "DomainId"]}, "UserProfileName": "alice",
            "UserSettings": {"ExecutionRole": {"Ref": "Role"}}, "Tags": [{"Key": "owner", "Value": "alice"}]}},
    }
    parameters = {"Key": key, "Vpc": vpc, "Subnet": subnet, "Role": role, "Sg": sg}
    return resources, {"Domain": domain_id, "Profile": profile}, parameters


@pytest.mark.emulator
def test_studio_domain_and_user_profile_read_back(aws, studio):
    resources, ids, parameters = studio
    assert check(aws, resources, ids, parameters) == []


STUDIO_DIFFERENCES = [
    ({"Domain": {"AppNetworkAccessType": "PublicInternetOnly"}}, "Domain", "AppNetworkAccessType"),
    ({"Domain": {"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/other"}}, "Domain", "KmsKeyId"),
    ({"Domain": {"DefaultUserSettings": {"ExecutionRole": "arn:aws:iam::123456789012:role/other",
                                         "SecurityGroups": [{"Ref": "Sg"}]}}},
     "Domain", "DefaultUserSettings.ExecutionRole"),
    ({"Domain": {"SubnetIds": [{"Ref": "Subnet"}, "subnet-other"]}}, "Domain", "SubnetIds"),
    ({"Profile": {"Tags": [{"Key": "owner", "Value": "bob"}]}}, "Profile", "Tags.owner"),
    ({"Profile": {"UserSettings": {"ExecutionRole": "arn:aws:iam::123456789012:role/other"}}},
     "Profile", "UserSettings.ExecutionRole"),
]


@pytest.mark.emulator
def test_studio_settings_that_differ_fail(aws, studio):
    import copy

    resources, ids, parameters = studio
    for change, logical_id, prop in STUDIO_DIFFERENCES:
        declared = copy.deepcopy(resources)
        for lid, props in change.items():
            declared[lid]["Properties"].update(props)
        got = check(aws, declared, ids, parameters)
        assert [(lid, p) for lid, p, _ in got] == [(logical_id, prop)], got


@pytest.mark.emulator
def test_an_unreadable_declared_key_is_not_passed(aws, studio):
    resources, ids, parameters = studio
    resources["Domain"]["Properties"]["KmsKeyId"] = "alias/does-not-exist"
    got = check(aws, resources, ids, parameters)
    assert [(lid, p) for lid, p, _ in got] == [("Domain", "KmsKeyId")]
    assert "cannot be verified: the declared key" in got[0][2]


BUCKET_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::rb-data", "arn:aws:s3:::rb-data/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "EndpointOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::rb-data", "arn:aws:s3:::rb-data/*"],
     "Condition": {"StringNotEquals": {"aws:sourceVpce": "vpce-1234"}}}]}
BUCKET = {
    "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": "rb-data",
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                           "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        "VersioningConfiguration": {"Status": "Enabled"}}},
    "Policy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Bucket"},
                                                                "PolicyDocument": BUCKET_POLICY}},
}


def make_bucket(s3) -> None:
    """The bucket as BUCKET declares it (idempotent: also restores it after tampering)."""
    if "rb-data" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="rb-data")
    s3.put_public_access_block(Bucket="rb-data", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket="rb-data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket="rb-data", Policy=json.dumps(BUCKET_POLICY))


BUCKET_TAMPERING = [
    (lambda s3: s3.put_public_access_block(Bucket="rb-data", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}),
     "Bucket", "PublicAccessBlockConfiguration.BlockPublicAcls", "declared true, actual false"),
    (lambda s3: s3.delete_public_access_block(Bucket="rb-data"),
     "Bucket", "PublicAccessBlockConfiguration", "actual (absent)"),
    (lambda s3: s3.put_bucket_versioning(Bucket="rb-data", VersioningConfiguration={"Status": "Suspended"}),
     "Bucket", "VersioningConfiguration.Status", 'declared "Enabled", actual "Suspended"'),
    (lambda s3: s3.delete_bucket_policy(Bucket="rb-data"),
     "Policy", "PolicyDocument", "no policy is in effect"),
    (lambda s3: s3.put_bucket_policy(Bucket="rb-data", Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": BUCKET_POLICY["Statement"][1:]})),
     "Policy", "PolicyDocument", 'declared statements not in effect: {"Action": ["s3:*"], "Condition": {"Bool"'),
]


@pytest.mark.emulator
def test_bucket_public_access_versioning_and_policy_read_back_and_tampering_fails(aws):
    s3 = aws.client("s3")
    make_bucket(s3)
    ids = {"Bucket": "rb-data", "Policy": "rb-data"}
    assert check(aws, BUCKET, ids) == []
    for tamper, logical_id, prop, detail in BUCKET_TAMPERING:
        tamper(s3)
        got = check(aws, BUCKET, ids)
        assert [(lid, p) for lid, p, _ in got] == [(logical_id, prop)], got
        assert detail in got[0][2]
        make_bucket(s3)
    assert check(aws, BUCKET, ids) == []


@pytest.fixture
def trail(aws):
    ct = aws.client("cloudtrail")
    aws.client("s3").create_bucket(Bucket="rb-trail")
    aws.client("s3").put_bucket_policy(Bucket="rb-trail", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": "arn:aws:s3:::rb-trail"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::rb-trail/AWSLogs/{ACCOUNT}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"}]}
    key = aws.client("kms").create_key(Policy=json.dumps(key_policy))["KeyMetadata"]["Arn"]
    ct.create_trail(Name="rb-trail", S3BucketName="rb-trail", EnableLogFileValidation=True, KmsKeyId=key,
                    IsMultiRegionTrail=True)
    ct.start_logging(Name="rb-trail")
    resources = {"Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {
        "TrailName": "rb-trail", "S3BucketName": "rb-trail", "IsLogging": True, "EnableLogFileValidation": True,
        "KMSKeyId": {"Ref": "Key"}, "IsMultiRegionTrail": True}}}
    return resources, {"Trail": "rb-trail"}, {"Key": key}


@pytest.mark.emulator
def test_trail_reads_back_and_stopped_logging_fails(aws, trail):
    assert check(aws, *trail) == []
    aws.client("cloudtrail").stop_logging(Name="rb-trail")
    got = check(aws, *trail)
    assert [(lid, p) for lid, p, _ in got] == [("Trail", "IsLogging")]


@pytest.mark.emulator
def test_role_managed_policies_are_exactly_the_declared_ones(aws):
    iam = aws.client("iam")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                             "Resource": "*"}]})
    read = iam.create_policy(PolicyName="read", PolicyDocument=doc)["Policy"]["Arn"]
    iam.create_role(RoleName="persona", AssumeRolePolicyDocument=json.dumps(ALLOW_SAGEMAKER))
    iam.attach_role_policy(RoleName="persona", PolicyArn=read)
    resources = {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": ALLOW_SAGEMAKER, "ManagedPolicyArns": [read]}}}
    assert check(aws, resources, {"Role": "persona"}) == []
    iam.detach_role_policy(RoleName="persona", PolicyArn=read)
    got = check(aws, resources, {"Role": "persona"})
    assert [(lid, p) for lid, p, _ in got] == [("Role", "ManagedPolicyArns")]


@pytest.mark.emulator
def test_notebook_instance_reads_back_and_a_different_setting_fails(aws, studio):
    import copy

    _, _, parameters = studio
    sm = aws.client("sagemaker")
    sm.create_notebook_instance(NotebookInstanceName="nb", InstanceType="ml.t3.medium", RoleArn=parameters["Role"],
                                SubnetId=parameters["Subnet"], SecurityGroupIds=[parameters["Sg"]],
                                KmsKeyId=parameters["Key"], DirectInternetAccess="Disabled", RootAccess="Disabled")
    resources = {"Notebook": {"Type": "AWS::SageMaker::NotebookInstance", "Properties": {
        "NotebookInstanceName": "nb", "InstanceType": "ml.t3.medium", "RoleArn": {"Ref": "Role"},
        "SubnetId": {"Ref": "Subnet"}, "SecurityGroupIds": [{"Ref": "Sg"}], "KmsKeyId": {"Ref": "Key"},
        "DirectInternetAccess": "Disabled", "RootAccess": "Disabled"}}}
    arn = sm.describe_notebook_instance(NotebookInstanceName="nb")["NotebookInstanceArn"]
    assert check(aws, resources, {"Notebook": arn}, parameters) == []
    for prop, value in (("DirectInternetAccess", "Enabled"), ("RootAccess", "Enabled"), ("SubnetId", "subnet-other")):
        declared = copy.deepcopy(resources)
        declared["Notebook"]["Properties"][prop] = value
        assert [(lid, p) for lid, p, _ in check(aws, declared, {"Notebook": arn}, parameters)] == [("Notebook", prop)]
