"""Read-back verification on the emulator: a compliant stack verifies; every tampered property,
missing resource, unreadable value and unknown type fails, naming stack, logical id and property."""

from __future__ import annotations

import json
import time

import pytest
from conftest import DATA
from helpers import FakeCloudFormation, FakeSession

COMPLIANT = (DATA / "verify" / "compliant.yaml").read_text()


def deploy(session, name: str, body: str, parameters: dict | None = None) -> None:
    cf = session.client("cloudformation")
    cf.create_stack(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"],
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            assert status == "CREATE_COMPLETE", status
            return
        time.sleep(0.2)
    raise AssertionError(f"stack {name} did not complete")


def physical_id(session, stack: str, logical_id: str) -> str:
    return session.client("cloudformation").describe_stack_resource(
        StackName=stack, LogicalResourceId=logical_id)["StackResourceDetail"]["PhysicalResourceId"]


def verify(session, *stacks):
    from secure_mlops.provision.verify import read_back

    results = read_back(session, stacks)
    return results, [m for r in results for s in r.all() for m in s.mismatches]


@pytest.mark.emulator
def test_a_compliant_stack_verifies_and_a_difference_is_printed(aws, capsys):
    from secure_mlops.provision.verify import verify_stacks

    deploy(aws, "rb", COMPLIANT)
    results, mismatches = verify(aws, "rb")
    assert mismatches == []
    assert results[0].resources_read == results[0].resources_expected == 18
    assert results[0].properties_compared >= 45

    _rotation_off(aws)
    mismatches = verify_stacks(aws, ["rb"])
    err = capsys.readouterr().err
    assert len(mismatches) == 1
    assert "stack rb, Key (AWS::KMS::Key), property EnableKeyRotation: declared true, actual false" in err
    assert "18 of 18 resources read back" in err and "1 mismatch(es)" in err


# ------------------------------------------------------------------------------ tampering
def _open_ssh(s):
    sg = physical_id(s, "rb", "Sg")
    s.client("ec2").authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def _egress_opened(s):
    sg = physical_id(s, "rb", "Sg")
    s.client("ec2").authorize_security_group_egress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])


def _endpoint_policy_opened(s):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                  "Resource": "*"}]}
    s.client("ec2").modify_vpc_endpoint(VpcEndpointId=physical_id(s, "rb", "S3Endpoint"),
                                        PolicyDocument=json.dumps(doc))


def _rotation_off(s):
    s.client("kms").disable_key_rotation(KeyId=physical_id(s, "rb", "Key"))


def _key_disabled(s):
    s.client("kms").disable_key(KeyId=physical_id(s, "rb", "Key"))


def _key_policy_opened(s):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]}
    s.client("kms").put_key_policy(KeyId=physical_id(s, "rb", "Key"), PolicyName="default", Policy=json.dumps(policy))


def _admin_attached(s):
    iam = s.client("iam")
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="AdministratorAccess", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=physical_id(s, "rb", "Role"), PolicyArn=arn)


def _inline_widened(s):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    s.client("iam").put_role_policy(RoleName=physical_id(s, "rb", "Role"), PolicyName="read-data",
                                    PolicyDocument=json.dumps(doc))


def _extra_inline(s):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    s.client("iam").put_role_policy(RoleName=physical_id(s, "rb", "Role"), PolicyName="backdoor",
                                    PolicyDocument=json.dumps(doc))


def _trust_widened(s):
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    s.client("iam").update_assume_role_policy(RoleName=physical_id(s, "rb", "Role"), PolicyDocument=json.dumps(doc))


def _parameter_changed(s):
    s.client("ssm").put_parameter(Name="/secure-mlops/rb/data-bucket", Value="attacker-bucket", Overwrite=True,
                                  Type="String")


def _parameter_deleted(s):
    s.client("ssm").delete_parameter(Name="/secure-mlops/rb/data-bucket")


def _bucket_key_changed(s):
    other = s.client("kms").create_key()["KeyMetadata"]["Arn"]
    s.client("s3").put_bucket_encryption(Bucket="rb-data-123456789012", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": other}}]})


def _encryption_removed(s):
    # S3 then applies its default encryption (SSE-S3), not the declared KMS key
    s.client("s3").delete_bucket_encryption(Bucket="rb-data-123456789012")


def _retention_shortened(s):
    s.client("logs").put_retention_policy(logGroupName="/secure-mlops/rb/flow", retentionInDays=1)


def _dns_support_off(s):
    s.client("ec2").modify_vpc_attribute(VpcId=physical_id(s, "rb", "Vpc"), EnableDnsSupport={"Value": False})


def _public_ips_on(s):
    s.client("ec2").modify_subnet_attribute(SubnetId=physical_id(s, "rb", "SubnetA"),
                                            MapPublicIpOnLaunch={"Value": True})


# (tamper, logical id, property named, detail in the message); one group per deployment, each
# group tampers with different resources so that every mismatch has exactly one cause
TAMPERING = {
    "network-iam-data": [
        (_open_ssh, "Sg", "SecurityGroupIngress", "rules in effect but not declared: tcp 22 cidr:0.0.0.0/0"),
        (_rotation_off, "Key", "EnableKeyRotation", "declared true, actual false"),
        (_admin_attached, "Role", "ManagedPolicyArns", "AdministratorAccess"),
        (_inline_widened, "Inline", "PolicyDocument", "declared statements not in effect"),
        (_parameter_changed, "Param", "Value", 'actual "attacker-bucket"'),
        (_bucket_key_changed, "DataBucket", "KMSMasterKeyID", 'declared "arn:aws:kms:'),
        (_retention_shortened, "Logs", "RetentionInDays", "declared 30, actual 1"),
        (_public_ips_on, "SubnetA", "MapPublicIpOnLaunch", "declared false, actual true"),
    ],
    "removals": [
        (_key_disabled, "Key", "Enabled", "declared true, actual false"),
        (_extra_inline, "Role", "Policies[*].PolicyName", "backdoor"),
        (_parameter_deleted, "Param", "(resource)", "(missing"),
        (_encryption_removed, "DataBucket", "SSEAlgorithm", 'declared "aws:kms", actual "AES256"'),
        (_dns_support_off, "Vpc", "EnableDnsSupport", "declared true, actual false"),
    ],
    "policies": [
        (_egress_opened, "Sg", "SecurityGroupEgress", "rules in effect but not declared: -1 cidr:0.0.0.0/0"),
        (_endpoint_policy_opened, "S3Endpoint", "PolicyDocument", "statements in effect but not declared"),
        (_key_policy_opened, "Key", "KeyPolicy", "statements in effect but not declared"),
        (_trust_widened, "Role", "AssumeRolePolicyDocument", "statements in effect but not declared"),
    ],
}


@pytest.mark.emulator
@pytest.mark.parametrize("group", list(TAMPERING))
def test_each_tampered_property_fails_naming_it(aws, group):
    deploy(aws, "rb", COMPLIANT)
    for tamper, *_ in TAMPERING[group]:
        tamper(aws)
    _, mismatches = verify(aws, "rb")
    messages = [m.message() for m in mismatches]
    assert all(m.stack == "rb" for m in mismatches)
    for _, logical_id, prop, detail in TAMPERING[group]:
        named = [m for m in mismatches if m.logical_id == logical_id and prop in m.property]
        assert named, f"tampering with {logical_id} {prop} went unnoticed: {messages}"
        assert detail in named[0].message(), named[0].message()
    # nothing else differs
    assert {m.logical_id for m in mismatches} == {t[1] for t in TAMPERING[group]}, messages


# ------------------------------------------------------------------------------ never a silent pass
@pytest.mark.emulator
def test_a_resource_type_without_reader_cannot_be_verified(aws):
    body = """
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: rb-topic}
"""
    deploy(aws, "rb-sns", body)
    results, mismatches = verify(aws, "rb-sns")
    assert [(m.logical_id, m.property) for m in mismatches] == [("Topic", "(resource)")]
    assert "cannot be verified" in mismatches[0].reason and "no read-back" in mismatches[0].reason
    assert results[0].resources_read == 0


@pytest.mark.emulator
def test_a_value_that_cannot_be_resolved_is_not_passed(aws):
    body = """
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: rb-topic}
  Param:
    Type: AWS::SSM::Parameter
    Properties: {Name: /rb/topic, Type: String, Value: !GetAtt Topic.TopicName}
"""
    deploy(aws, "rb-unresolved", body)
    _, mismatches = verify(aws, "rb-unresolved")
    assert sorted((m.logical_id, m.property) for m in mismatches) == [("Param", "Value"), ("Topic", "(resource)")]
    param = next(m for m in mismatches if m.logical_id == "Param")
    assert param.reason.startswith("cannot be verified: Fn::GetAtt Topic.TopicName")


@pytest.mark.emulator
def test_the_verify_command_checks_named_stacks(aws):
    from click.testing import CliRunner

    from secure_mlops.cli import main

    deploy(aws, "rb", COMPLIANT)
    result = CliRunner().invoke(main, ["verify", "--local", "--stack", "rb"])
    assert result.exit_code == 0, result.output
    _open_ssh(aws)
    result = CliRunner().invoke(main, ["verify", "--local", "--stack", "rb", "--stack", "no-such-stack"])
    assert result.exit_code == 1
    assert "stack rb, Sg (AWS::EC2::SecurityGroup), property SecurityGroupIngress" in result.output
    assert "stack no-such-stack" in result.output and "(missing)" in result.output


@pytest.mark.emulator
def test_nested_stacks_are_verified_like_their_parent(aws, emulator):
    aws.client("s3").create_bucket(Bucket="rb-templates")
    child = """
Parameters:
  Name: {Type: String}
Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties: {Name: !Ref Name, Type: String, Value: child}
"""
    aws.client("s3").put_object(Bucket="rb-templates", Key="child.yaml", Body=child)
    url = f"{emulator.endpoint.replace('127.0.0.1', 'localhost')}/rb-templates/child.yaml"
    deploy(aws, "rb-parent", f"""
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: {url}
      Parameters: {{Name: /rb/child}}
""")
    results, mismatches = verify(aws, "rb-parent")
    assert mismatches == []
    assert [(s.resources_read, s.resources_expected) for s in results[0].all()] == [(1, 1), (1, 1)]
    aws.client("ssm").put_parameter(Name="/rb/child", Value="changed", Overwrite=True, Type="String")
    _, mismatches = verify(aws, "rb-parent")
    assert [(m.logical_id, m.property) for m in mismatches] == [("P", "Value")]
    assert mismatches[0].stack.startswith("rb-parent-Child")  # the nested stack that holds it, by name


@pytest.mark.emulator
def test_a_missing_stack_fails(aws):
    results, mismatches = verify(aws, "no-such-stack")
    assert len(mismatches) == 1 and mismatches[0].stack == "no-such-stack"
    assert mismatches[0].reason == "missing"


# ------------------------------------------------------------------------------ CloudFormation's own listing
def test_blank_physical_ids_missing_and_unlisted_resources_fail():
    from secure_mlops.provision.verify import read_back

    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket"}, "Trail": {"Type": "AWS::CloudTrail::Trail"}}}
    cf = FakeCloudFormation(template, account="111122223333", rows=[
        {"LogicalResourceId": "Bucket", "PhysicalResourceId": "", "ResourceType": "AWS::S3::Bucket"},
        {"LogicalResourceId": "", "PhysicalResourceId": "", "ResourceType": ""},
        {"LogicalResourceId": "Extra", "PhysicalResourceId": "x", "ResourceType": "AWS::SSM::Parameter"},
    ])
    results = read_back(FakeSession(cf), ["s"])
    got = sorted((m.logical_id, m.property, m.reason) for m in results[0].mismatches)
    assert got == [
        ("(blank)", "(resource)", "blank physical id: a stack resource without logical id, type or physical id"),
        ("Bucket", "PhysicalResourceId", "blank physical id"),
        ("Extra", "(resource)", "a stack resource that the template does not declare"),
        ("Trail", "(resource)", "missing"),
    ]
    assert results[0].resources_read == 0


def test_a_masked_noecho_parameter_is_not_guessed():
    from secure_mlops.provision.verify import read_back

    class Ssm:
        def get_parameter(self, Name):
            return {"Parameter": {"Name": Name, "Type": "String", "Value": "whatever"}}

    template = {"Parameters": {"Secret": {"Type": "String", "NoEcho": True}},
                "Resources": {"P": {"Type": "AWS::SSM::Parameter",
                                    "Properties": {"Name": "/p", "Type": "String", "Value": {"Ref": "Secret"}}}}}
    cf = FakeCloudFormation(template, account="111122223333",
                            rows=[{"LogicalResourceId": "P", "PhysicalResourceId": "/p",
                                   "ResourceType": "AWS::SSM::Parameter"}],
                            parameters=[{"ParameterKey": "Secret", "ParameterValue": "****"}])
    results = read_back(FakeSession(cf, ssm=Ssm()), ["s"])
    assert [(m.logical_id, m.property) for m in results[0].mismatches] == [("P", "Value")]
    assert results[0].mismatches[0].reason.startswith("cannot be verified: Ref 'Secret'")
    assert results[0].properties_compared == 3


def test_every_reader_module_registers_readers():
    from secure_mlops.provision.readback import load

    readers = load()
    for rtype in ("AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SageMaker::Domain", "AWS::SageMaker::UserProfile",
                  "AWS::ServiceCatalog::Portfolio", "AWS::ServiceCatalog::CloudFormationProduct",
                  "AWS::CloudTrail::Trail", "AWS::EC2::VPCEndpoint", "AWS::IAM::Role", "AWS::KMS::Key",
                  "AWS::SSM::Parameter"):
        assert rtype in readers
