"""S3 on the emulator: AWS's bucket defaults, bucket policies as S3 applies them, and the
bucket properties CloudFormation declares."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator

ACCOUNT = "123456789012"


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_new_buckets_get_aws_defaults(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="plain")
    rules = s3.get_bucket_encryption(Bucket="plain")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.get_public_access_block(Bucket="plain")["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert s3.get_bucket_ownership_controls(Bucket="plain")["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.delete_bucket_encryption(Bucket="plain")  # a bucket is never left unencrypted
    rules = s3.get_bucket_encryption(Bucket="plain")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_bucket_policy_is_checked_when_put(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="bkt")
    public = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                       "Resource": "arn:aws:s3:::bkt/*"}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket="bkt", Policy=json.dumps(public))
    assert code(exc) == "AccessDenied"  # BlockPublicPolicy is on by default
    wrong = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                      "Resource": "arn:aws:s3:::other/*"}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket="bkt", Policy=json.dumps(wrong))
    assert code(exc) == "MalformedPolicy"
    restricted = {"Version": "2012-10-17", "Statement": [{**public["Statement"][0],
                                                           "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}]}
    s3.put_bucket_policy(Bucket="bkt", Policy=json.dumps(restricted))  # not public: narrowed to an endpoint
    s3.put_public_access_block(Bucket="bkt", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket="bkt", Policy=json.dumps(public))


def policy_with_denies(bucket, exempt_role):
    arn = f"arn:aws:s3:::{bucket}"
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "EndpointOnly", "Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": f"{arn}/*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"},
                       "ArnNotLike": {"aws:PrincipalArn": exempt_role}}},
    ]}


def role_client(aws, emulator, name):
    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                      "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    creds = aws.client("sts").assume_role(RoleArn=arn, RoleSessionName="test")["Credentials"]
    return boto3.client("s3", region_name="us-east-1", endpoint_url=emulator.endpoint,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def test_bucket_policy_conditions_decide_each_request(aws, emulator):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="data")
    deployer = role_client(aws, emulator, "deployer")
    analyst = role_client(aws, emulator, "analyst")
    s3.put_bucket_policy(Bucket="data", Policy=json.dumps(
        policy_with_denies("data", f"arn:aws:iam::{ACCOUNT}:role/deployer")))
    deployer.put_object(Bucket="data", Key="ok.txt", Body=b"x")  # HTTPS (as to AWS) and exempt
    with pytest.raises(ClientError) as exc:
        analyst.put_object(Bucket="data", Key="no.txt", Body=b"x")  # not through the VPC endpoint
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert deployer.get_object(Bucket="data", Key="ok.txt")["Body"].read() == b"x"


def test_principal_arn_of_an_assumed_role_has_the_role_path(aws, emulator):
    iam, s3 = aws.client("iam"), aws.client("s3")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                      "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="UseRole", Path="/service-role/",
                           AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    assert role == f"arn:aws:iam::{ACCOUNT}:role/service-role/UseRole"
    s3.create_bucket(Bucket="data")
    s3.put_bucket_policy(Bucket="data", Policy=json.dumps(policy_with_denies("data", role)))
    creds = aws.client("sts").assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    use_role = boto3.client("s3", region_name="us-east-1", endpoint_url=emulator.endpoint,
                            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    use_role.put_object(Bucket="data", Key="k", Body=b"x")  # exempt by its ARN, path included


def test_requests_from_inside_the_vpc_come_through_the_gateway_endpoint(aws):
    from secure_mlops.provision.emulator.network import inside_vpc

    ec2, s3 = aws.client("ec2"), aws.client("s3")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    only_data = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]}]}
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[table],
                                   PolicyDocument=json.dumps(only_data))["VpcEndpoint"]["VpcEndpointId"]
    for bucket in ("data", "elsewhere"):
        s3.create_bucket(Bucket=bucket)
    arn = "arn:aws:s3:::data"
    s3.put_bucket_policy(Bucket="data", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
         "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce, "aws:SourceVpc": vpc}}}]}))

    def status(call):
        try:
            call()
        except ClientError as exc:
            return exc.response["Error"].get("Code") or exc.response["ResponseMetadata"]["HTTPStatusCode"]
        return "ok"

    studio = inside_vpc(aws, vpce).client("s3")
    assert status(lambda: s3.put_object(Bucket="data", Key="k", Body=b"x")) in ("403", 403, "AccessDenied")  # outside
    assert status(lambda: studio.put_object(Bucket="data", Key="k", Body=b"x")) == "ok"
    assert studio.get_object(Bucket="data", Key="k")["Body"].read() == b"x"
    # the endpoint policy lets through requests for the data bucket only
    assert status(lambda: studio.put_object(Bucket="elsewhere", Key="k", Body=b"x")) in ("403", 403, "AccessDenied")
    s3.put_object(Bucket="elsewhere", Key="k", Body=b"x")  # from outside the VPC: no endpoint in the way
    # only an S3 gateway endpoint of this account and region carries traffic
    sts = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface",
                                  PrivateDnsEnabled=False)["VpcEndpoint"]["VpcEndpointId"]
    for bogus in ("vpce-0123456789abcdef0", sts):
        nowhere = inside_vpc(aws, bogus).client("s3")
        assert status(lambda: nowhere.list_objects_v2(Bucket="elsewhere")) == "AccessDenied"
    with pytest.raises(ValueError):
        inside_vpc(aws, "sg-123")


def bucket_template(versioning="Enabled", block=True, with_logging=True, with_policy=True):
    props = {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}},
            "BucketKeyEnabled": True}]},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": block, "BlockPublicPolicy": block,
                                           "IgnorePublicAcls": block, "RestrictPublicBuckets": block},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "VersioningConfiguration": {"Status": versioning},
        "Tags": [{"Key": "team", "Value": "ds"}],
    }
    if with_logging:
        props["LoggingConfiguration"] = {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "data/"}
    resources = {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Data": {"Type": "AWS::S3::Bucket", "Properties": props},
    }
    if with_policy:
        resources["DataPolicy"] = {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Data"},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [{"Fn::GetAtt": ["Data", "Arn"]}, {"Fn::Sub": "${Data.Arn}/*"}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}}
    return json.dumps({"Resources": resources, "Outputs": {"Bucket": {"Value": {"Ref": "Data"}},
                                                             "Key": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}}})


def test_bucket_properties_and_policy_through_cloudformation(aws):
    cfn, s3 = aws.client("cloudformation"), aws.client("s3")
    out = create_stack(cfn, "buckets", bucket_template())
    bucket = out["Bucket"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": out["Key"]}
    assert rule["BucketKeyEnabled"] is True
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetPrefix"] == "data/"
    assert {"Key": "team", "Value": "ds"} in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Sid"] == "TlsOnly"
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                 for r in cfn.describe_stack_resources(StackName="buckets")["StackResources"]}
    assert resources["DataPolicy"] == bucket
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")  # the TLS-only deny does not block HTTPS callers

    cfn.update_stack(StackName="buckets", TemplateBody=bucket_template(versioning="Suspended", block=False,
                                                                       with_logging=False, with_policy=False))
    assert cfn.describe_stacks(StackName="buckets")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    assert not any(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert code(exc) == "NoSuchBucketPolicy"


def test_undeclared_emulator_gap_fails_instead_of_dropping(aws):
    cfn = aws.client("cloudformation")
    template = {"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
        "WebsiteConfiguration": {"IndexDocument": "index.html"}}}}}
    cfn.create_stack(StackName="web", TemplateBody=json.dumps(template))
    events = cfn.describe_stack_events(StackName="web")["StackEvents"]
    reasons = [e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any("WebsiteConfiguration" in r for r in reasons)
    assert aws.client("s3").list_buckets()["Buckets"] == []


def test_condition_keys_are_case_insensitive():
    """IAM compares condition keys without case: the seed's bucket policy writes aws:sourceVpce."""
    from secure_mlops.provision.emulator.extensions._conditions import DENY, NEUTRAL, evaluate

    policy = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                             "Condition": {"StringNotEquals": {"aws:sourceVpce": "vpce-1"}}}]}
    inside = {"aws:SourceVpce": "vpce-1", "aws:PrincipalArn": "arn:aws:iam::1:user/u"}
    outside = {"aws:SourceVpce": "vpce-2", "aws:PrincipalArn": "arn:aws:iam::1:user/u"}
    assert evaluate(policy, "s3:GetObject", "arn:aws:s3:::b/k", inside) == NEUTRAL
    assert evaluate(policy, "s3:GetObject", "arn:aws:s3:::b/k", outside) == DENY
