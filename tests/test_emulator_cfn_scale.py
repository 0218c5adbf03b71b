"""A hundred-resource stack deploys and deletes on the emulator in seconds, with every event."""

from __future__ import annotations

import json
import time

import pytest

pytestmark = pytest.mark.emulator

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}


def hundred() -> dict:
    r: dict = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": True,
                                                         "EnableDnsHostnames": True}},
        "Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "S3Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.s3", "RouteTableIds": [{"Ref": "Rt"}]}},
    }
    for i in range(3):
        r[f"Subnet{i}"] = {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": {"Fn::Select": [i, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 3, 8]}]}}}
        r[f"Assoc{i}"] = {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                          "Properties": {"SubnetId": {"Ref": f"Subnet{i}"}, "RouteTableId": {"Ref": "Rt"}}}
    for i in range(10):
        r[f"Sg{i}"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": f"sg {i}", "VpcId": {"Ref": "Vpc"}}}
        r[f"SgSelf{i}"] = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": f"Sg{i}"}, "IpProtocol": "-1", "SourceSecurityGroupId": {"Ref": f"Sg{i}"}}}
        r[f"Key{i}"] = {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True, "KeyPolicy": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}},
                                                    "Action": "kms:*", "Resource": "*"}]}}}
        r[f"Logs{i}"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30,
                                                                        "KmsKeyId": {"Fn::GetAtt": [f"Key{i}", "Arn"]}}}
        r[f"Role{i}"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}}
        r[f"Bucket{i}"] = {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}
    for i in range(25):
        r[f"Param{i}"] = {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": {"Ref": f"Bucket{i % 10}"}, "Name": f"/scale/param{i}"}}
    return {"Resources": r}


def test_a_hundred_resources_deploy_in_seconds(aws):
    cf = aws.client("cloudformation")
    template = hundred()
    assert len(template["Resources"]) == 94
    started = time.monotonic()
    cf.create_stack(StackName="scale", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    created = time.monotonic() - started
    stack = cf.describe_stacks(StackName="scale")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    listed = cf.list_stack_resources(StackName="scale")["StackResourceSummaries"]
    assert len(listed) == 94 and all(r.get("PhysicalResourceId") for r in listed)
    events = cf.get_paginator("describe_stack_events").paginate(StackName="scale").build_full_result()["StackEvents"]
    assert len(events) == 2 + 3 * 94
    started = time.monotonic()
    cf.delete_stack(StackName="scale")
    deleted = time.monotonic() - started
    assert [s["StackStatus"] for s in cf.list_stacks()["StackSummaries"]] == ["DELETE_COMPLETE"]
    assert aws.client("s3").list_buckets()["Buckets"] == []
    assert aws.client("ssm").describe_parameters()["Parameters"] == []
    assert aws.client("iam").list_roles()["Roles"] == []
    assert [v for v in aws.client("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    keys = aws.client("kms").list_keys()["Keys"]
    assert {aws.client("kms").describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in keys} == {"PendingDeletion"}
    print(f"\n94 resources: create {created:.1f}s, delete {deleted:.1f}s")
    assert created < 30 and deleted < 30  # seconds, on a loaded 2-core machine
