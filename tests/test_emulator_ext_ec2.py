"""VPCs and VPC endpoints on the emulator: DNS attributes, endpoint policies, private DNS."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

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
    out = create_stack(cfn, "net", template())
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


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_nothing_is_created_in_a_vpc_that_does_not_exist(aws):
    ec2 = aws.client("ec2")
    missing = "vpc-0123456789abcdef0"
    for call in (lambda: ec2.create_security_group(GroupName="x", Description="x", VpcId=missing),
                 lambda: ec2.create_subnet(VpcId=missing, CidrBlock="10.0.0.0/24"),
                 lambda: ec2.create_route_table(VpcId=missing),
                 lambda: ec2.describe_vpcs(VpcIds=[missing])):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == "InvalidVpcID.NotFound"
        assert exc.value.response["Error"]["Message"] == f"The vpc ID '{missing}' does not exist"
    assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]] == ["default"]


def test_what_is_in_use_cannot_be_deleted(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24")["Subnet"]["SubnetId"]
    used = ec2.create_security_group(VpcId=vpc, GroupName="used", Description="on an interface")["GroupId"]
    peer = ec2.create_security_group(VpcId=vpc, GroupName="peer", Description="referenced")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=used, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": peer}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": used}]}])  # itself
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[used])["NetworkInterface"]["NetworkInterfaceId"]

    def refused(call, message):
        with pytest.raises(ClientError, match=message) as exc:
            call()
        assert code(exc) == "DependencyViolation"

    refused(lambda: ec2.delete_subnet(SubnetId=subnet), f"The subnet '{subnet}' has dependencies")
    refused(lambda: ec2.delete_security_group(GroupId=used), f"resource {used} has a dependent object")
    refused(lambda: ec2.delete_security_group(GroupId=peer), f"resource {peer} has a dependent object")
    refused(lambda: ec2.delete_vpc(VpcId=vpc), f"The vpc '{vpc}' has dependencies")
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_security_group(GroupId=used)  # its rule on itself does not hold it
    refused(lambda: ec2.delete_vpc(VpcId=vpc), f"The vpc '{vpc}' has dependencies")  # the peer group
    ec2.delete_security_group(GroupId=peer)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    refused(lambda: ec2.delete_vpc(VpcId=vpc), f"The vpc '{vpc}' has dependencies")
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_vpc(VpcId=vpc)


def test_interfaces_go_with_what_made_them(aws):
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    a, b = (ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.4.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
            for i, z in ((1, "a"), (2, "b")))
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=a, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface",
                                 SubnetIds=[a, b], PrivateDnsEnabled=False)["VpcEndpoint"]["VpcEndpointId"]

    def interfaces(subnet):
        return ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]

    assert len(interfaces(a)) == 2 and len(interfaces(b)) == 1
    ec2.modify_vpc_endpoint(VpcEndpointId=ep, RemoveSubnetIds=[b])
    assert interfaces(b) == []
    ec2.delete_subnet(SubnetId=b)
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert len(interfaces(a)) == 1  # the endpoint's
    ec2.release_address(AllocationId=eip)
    ec2.delete_vpc_endpoints(VpcEndpointIds=[ep])
    ec2.delete_subnet(SubnetId=a)
    ec2.delete_vpc(VpcId=vpc)


def test_endpoints_and_route_tables_stay_in_their_vpc(aws):
    ec2 = aws.client("ec2")
    vpc, other = (ec2.create_vpc(CidrBlock=c)["Vpc"]["VpcId"] for c in ("10.5.0.0/16", "10.6.0.0/16"))
    subnet = ec2.create_subnet(VpcId=other, CidrBlock="10.6.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=other, GroupName="g", Description="g")["GroupId"]
    table = ec2.create_route_table(VpcId=other)["RouteTable"]["RouteTableId"]
    mine = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    interface = dict(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", VpcEndpointType="Interface",
                     PrivateDnsEnabled=False)
    for call in (lambda: ec2.create_vpc_endpoint(**interface, SubnetIds=[subnet]),
                 lambda: ec2.create_vpc_endpoint(**interface, SecurityGroupIds=[group]),
                 lambda: ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[table])):
        with pytest.raises(ClientError, match="belong to different networks") as exc:
            call()
        assert code(exc) == "InvalidParameter"
    with pytest.raises(ClientError, match="belong to different networks") as exc:
        ec2.associate_route_table(RouteTableId=mine, SubnetId=subnet)
    assert code(exc) == "InvalidParameterValue"
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    assert ec2.describe_vpc_endpoints()["VpcEndpoints"] == []


@pytest.mark.emulator
def test_a_subnet_is_created_only_in_a_zone_of_the_region(aws):
    import boto3

    ec2 = boto3.Session(region_name="eu-west-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing").client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(ClientError, match=r"Value \(us-east-1a\) for parameter availabilityZone is invalid"):
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.0.0/24", AvailabilityZone="us-east-1a")
    ok = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="eu-west-1b")["Subnet"]
    assert ok["AvailabilityZone"] == "eu-west-1b"
    anywhere = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.2.0/24")["Subnet"]
    assert anywhere["AvailabilityZone"].startswith("eu-west-1")
