"""VPCs and VPC endpoints on the emulator: DNS attributes, endpoint policies, private DNS."""

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

S3_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": "arn:aws:s3:::data/*"}]}


def template(dns=True, private_dns=True, policy=S3_POLICY):
    return json.dumps({"Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": dns,
                                                         "EnableDnsHostnames": dns, "Tags": [{"Key": "team", "Value": "ds"}]}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24"}},
        "Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"VpcId": {"Ref": "Vpc"}, "GroupDescription": "e"}},
        "S3": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.s3", "RouteTableIds": [{"Ref": "Rt"}],
            "PolicyDocument": policy}},
        "Api": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.sagemaker.api", "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": private_dns, "SubnetIds": [{"Ref": "Subnet"}], "SecurityGroupIds": [{"Ref": "Sg"}]}},
    }, "Outputs": {"Vpc": {"Value": {"Ref": "Vpc"}}, "S3": {"Value": {"Ref": "S3"}}, "Api": {"Value": {"Ref": "Api"}}}})


def test_vpc_and_endpoints_through_cloudformation(aws):
    cfn, ec2 = aws.client("cloudformation"), aws.client("ec2")
    cfn.create_stack(StackName="net", TemplateBody=template())
    stack = cfn.describe_stacks(StackName="net")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    for attr in ("enableDnsSupport", "enableDnsHostnames"):
        key = attr[0].upper() + attr[1:]
        assert ec2.describe_vpc_attribute(VpcId=out["Vpc"], Attribute=attr)[key]["Value"] is True
    s3_ep, api_ep = (ec2.describe_vpc_endpoints(VpcEndpointIds=[out[k]])["VpcEndpoints"][0] for k in ("S3", "Api"))
    assert json.loads(s3_ep["PolicyDocument"]) == S3_POLICY  # JSON, not a Python repr
    assert s3_ep["VpcEndpointType"] == "Gateway" and api_ep["PrivateDnsEnabled"] is True

    narrower = {**S3_POLICY, "Statement": [{**S3_POLICY["Statement"][0], "Action": "s3:ListBucket"}]}
    cfn.update_stack(StackName="net", TemplateBody=template(private_dns=False, policy=narrower))
    s3_ep, api_ep = (ec2.describe_vpc_endpoints(VpcEndpointIds=[out[k]])["VpcEndpoints"][0] for k in ("S3", "Api"))
    assert json.loads(s3_ep["PolicyDocument"])["Statement"][0]["Action"] == "s3:ListBucket"
    assert api_ep["PrivateDnsEnabled"] is False


def test_private_dns_needs_vpc_dns(aws):
    cfn = aws.client("cloudformation")
    cfn.create_stack(StackName="nodns", TemplateBody=template(dns=False))
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="nodns")["StackEvents"]
               if e["ResourceStatus"] == "CREATE_FAILED"]
    assert any("enableDnsSupport and enableDnsHostnames" in r for r in reasons)


def test_api_endpoint_defaults_and_private_dns_switch(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    gw = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3")["VpcEndpoint"]
    assert gw["VpcEndpointType"] == "Gateway"
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError, match="enableDnsSupport and enableDnsHostnames"):
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface",
                                SubnetIds=[subnet], PrivateDnsEnabled=True)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface",
                                 SubnetIds=[subnet], PrivateDnsEnabled=True)["VpcEndpoint"]["VpcEndpointId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=ep, PrivateDnsEnabled=False)
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[ep])["VpcEndpoints"][0]["PrivateDnsEnabled"] is False


def test_subnets_outside_the_default_vpc_are_not_default_subnets(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]  # no availability zone given
    assert subnet["MapPublicIpOnLaunch"] is False and subnet["DefaultForAz"] is False
