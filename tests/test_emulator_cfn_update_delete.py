"""Stack updates and deletes on the emulator: rollback, reverse-order deletes, Retain policies."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator


def body(resources: dict, **extra) -> str:
    return json.dumps({"Resources": resources, **extra})


def stack_of(cf, name: str) -> dict:
    return cf.describe_stacks(StackName=name)["Stacks"][0]


def statuses(cf, name: str) -> list[tuple[str, str]]:
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(cf.describe_stack_events(StackName=name)["StackEvents"])]


def resource_ids(cf, name: str) -> dict[str, str]:
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId")
            for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}


def network(with_gateway: bool = True) -> dict:
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16", "EnableDnsSupport": True,
                                                         "EnableDnsHostnames": True}},
        "SubnetA": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.1.1.0/24"}},
        "SubnetB": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.1.2.0/24"}},
        "Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "AssocA": {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                   "Properties": {"SubnetId": {"Ref": "SubnetA"}, "RouteTableId": {"Ref": "Rt"}}},
        "AssocB": {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                   "Properties": {"SubnetId": {"Ref": "SubnetB"}, "RouteTableId": {"Ref": "Rt"}}},
        "EndpointSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "endpoints", "VpcId": {"Ref": "Vpc"},
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.1.0.0/16"}],
            "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.1.0.0/16"}]}},
        "WorkSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "work", "VpcId": {"Ref": "Vpc"}}},
        "WorkSelf": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "WorkSg"}, "IpProtocol": "-1", "SourceSecurityGroupId": {"Ref": "WorkSg"}}},
        "WorkOut": {"Type": "AWS::EC2::SecurityGroupEgress", "Properties": {
            "GroupId": {"Ref": "WorkSg"}, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "DestinationSecurityGroupId": {"Ref": "EndpointSg"}}},
        "S3Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.s3", "RouteTableIds": [{"Ref": "Rt"}]}},
        "ApiEndpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "ServiceName": "com.amazonaws.us-east-1.sagemaker.api", "VpcEndpointType": "Interface",
            "PrivateDnsEnabled": True, "SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            "SecurityGroupIds": [{"Ref": "EndpointSg"}]}},
        "FlowLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "FlowLogRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}}},
        "FlowLog": {"Type": "AWS::EC2::FlowLog", "Properties": {
            "ResourceId": {"Ref": "Vpc"}, "ResourceType": "VPC", "TrafficType": "ALL",
            "LogGroupName": {"Ref": "FlowLogs"}, "DeliverLogsPermissionArn": {"Fn::GetAtt": ["FlowLogRole", "Arn"]}}},
    }
    if with_gateway:
        resources.update({
            "Igw": {"Type": "AWS::EC2::InternetGateway"},
            "IgwAttach": {"Type": "AWS::EC2::VPCGatewayAttachment",
                          "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}}},
            "Eip": {"Type": "AWS::EC2::EIP", "DependsOn": "IgwAttach", "Properties": {"Domain": "vpc"}},
            "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {
                "SubnetId": {"Ref": "SubnetA"}, "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}}},
            "DefaultRoute": {"Type": "AWS::EC2::Route", "Properties": {
                "RouteTableId": {"Ref": "Rt"}, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": {"Ref": "Nat"}}},
        })
    return resources


def estate(aws) -> dict[str, int]:
    """Counts of what a VPC stack creates, outside the default VPC."""
    ec2 = aws.client("ec2")
    default = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
    return {
        "vpcs": len(ec2.describe_vpcs()["Vpcs"]) - len(default),
        "subnets": len([s for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] not in default]),
        "groups": len([g for g in ec2.describe_security_groups()["SecurityGroups"] if g["VpcId"] not in default]),
        "endpoints": len([e for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"] != "deleted"]),
        "igws": len(ec2.describe_internet_gateways()["InternetGateways"]),
        "nats": len([n for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"]),
        "eips": len(ec2.describe_addresses()["Addresses"]),
        "flow_logs": len(ec2.describe_flow_logs()["FlowLogs"]),
        "log_groups": len(aws.client("logs").describe_log_groups()["logGroups"]),
        "roles": len(aws.client("iam").list_roles()["Roles"]),
    }


def test_vpc_stack_deletes_in_reverse_order_and_leaves_nothing(aws):
    cf, ec2 = aws.client("cloudformation"), aws.client("ec2")
    before = estate(aws)
    cf.create_stack(StackName="net", TemplateBody=body(network()), Capabilities=["CAPABILITY_IAM"])
    assert stack_of(cf, "net")["StackStatus"] == "CREATE_COMPLETE"
    ids = resource_ids(cf, "net")
    assert all(ids.values()), ids
    # security group rules as declared: the default allow-all egress is gone where egress was declared
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=[ids["EndpointSg"], ids["WorkSg"]])["SecurityGroups"]}
    assert [(p["IpProtocol"], p.get("FromPort"), [r["CidrIp"] for r in p["IpRanges"]])
            for p in groups[ids["EndpointSg"]]["IpPermissionsEgress"]] == [("tcp", 443, ["10.1.0.0/16"])]
    work = groups[ids["WorkSg"]]
    assert [[g["GroupId"] for g in p["UserIdGroupPairs"]] for p in work["IpPermissions"]] == [[ids["WorkSg"]]]
    assert ids["WorkSelf"].startswith("sgr-") and ids["WorkOut"].startswith("sgr-")
    assert any(g["GroupId"] == ids["EndpointSg"] for p in work["IpPermissionsEgress"] for g in p["UserIdGroupPairs"])
    assert estate(aws) != before
    cf.delete_stack(StackName="net")
    stack_id = [s for s in cf.list_stacks()["StackSummaries"] if s["StackName"] == "net"][0]["StackId"]
    assert stack_of(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    deleted = [lid for lid, s in statuses(cf, stack_id) if s == "DELETE_COMPLETE" and lid != "net"]
    assert deleted.index("DefaultRoute") < deleted.index("Nat") < deleted.index("Eip") < deleted.index("IgwAttach")
    assert deleted.index("AssocA") < deleted.index("SubnetA") < deleted.index("Vpc")
    assert deleted.index("WorkSelf") < deleted.index("WorkSg") and deleted[-1] == "Vpc"
    assert not [s for _, s in statuses(cf, stack_id) if s == "DELETE_FAILED"]
    assert estate(aws) == before


def test_failed_update_rolls_back_to_the_previous_state(aws):
    cf = aws.client("cloudformation")
    base = {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.2.0.0/16"}},
    }
    cf.create_stack(StackName="app", TemplateBody=body(base))
    changed = {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 90}},
        "Vpc": base["Vpc"],
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "new"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "DependsOn": ["Logs", "Param"],
                   "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.9.0.0/24"}},  # outside the VPC
    }
    cf.update_stack(StackName="app", TemplateBody=body(changed))
    stack = stack_of(cf, "app")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    seen = statuses(cf, "app")
    tail = seen[seen.index(("app", "UPDATE_IN_PROGRESS")):]
    assert ("Subnet", "CREATE_FAILED") in tail
    rollback = tail[tail.index(("app", "UPDATE_ROLLBACK_IN_PROGRESS")):]
    assert rollback == [
        ("app", "UPDATE_ROLLBACK_IN_PROGRESS"),
        ("Logs", "UPDATE_IN_PROGRESS"), ("Logs", "UPDATE_COMPLETE"),
        ("app", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
        ("Subnet", "DELETE_COMPLETE"),
        ("Param", "DELETE_IN_PROGRESS"), ("Param", "DELETE_COMPLETE"),
        ("app", "UPDATE_ROLLBACK_COMPLETE"),
    ]
    assert aws.client("logs").describe_log_groups()["logGroups"][0]["retentionInDays"] == 7
    assert aws.client("ssm").describe_parameters()["Parameters"] == []
    assert sorted(resource_ids(cf, "app")) == ["Logs", "Vpc"]
    assert cf.get_template(StackName="app")["TemplateBody"] == {"Resources": base}
    # an UPDATE_ROLLBACK_COMPLETE stack can be updated again
    cf.update_stack(StackName="app", TemplateBody=body({**base, "Logs": changed["Logs"]}))
    assert stack_of(cf, "app")["StackStatus"] == "UPDATE_COMPLETE"
    assert aws.client("logs").describe_log_groups()["logGroups"][0]["retentionInDays"] == 90


def test_update_with_disable_rollback_stops_at_update_failed(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="app", TemplateBody=body({"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.2.0.0/16"}}}))
    cf.update_stack(StackName="app", DisableRollback=True, TemplateBody=body({
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.2.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.3.0.0/24"}}}))
    stack = stack_of(cf, "app")
    assert stack["StackStatus"] == "UPDATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Subnet]. "


def test_deletion_policy_retain_keeps_the_resource(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="keep", TemplateBody=body({
        "Kept": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": {"LogGroupName": "kept"}},
        "Gone": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "gone"}},
    }))
    stack_id = stack_of(cf, "keep")["StackId"]
    cf.delete_stack(StackName="keep")
    assert stack_of(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert ("Kept", "DELETE_SKIPPED") in statuses(cf, stack_id)
    assert [g["logGroupName"] for g in aws.client("logs").describe_log_groups()["logGroups"]] == ["kept"]


def test_removed_resource_with_retain_is_kept_and_others_deleted(aws):
    cf = aws.client("cloudformation")
    resources = {
        "Kept": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain", "Properties": {"LogGroupName": "kept"}},
        "Gone": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "gone"}},
        "Stay": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "stay"}},
    }
    cf.create_stack(StackName="trim", TemplateBody=body(resources))
    cf.update_stack(StackName="trim", TemplateBody=body({"Stay": resources["Stay"]}))
    assert stack_of(cf, "trim")["StackStatus"] == "UPDATE_COMPLETE"
    assert {("Kept", "DELETE_SKIPPED"), ("Gone", "DELETE_COMPLETE")} <= set(statuses(cf, "trim"))
    assert sorted(g["logGroupName"] for g in aws.client("logs").describe_log_groups()["logGroups"]) == ["kept", "stay"]
    assert list(resource_ids(cf, "trim")) == ["Stay"]


def test_update_replace_policy_retain_keeps_the_replaced_resource(aws):
    cf = aws.client("cloudformation")
    def tpl(cidr):
        return body({
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.4.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "UpdateReplacePolicy": "Retain",
                       "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr}}})
    cf.create_stack(StackName="swap", TemplateBody=tpl("10.4.1.0/24"))
    old = resource_ids(cf, "swap")["Subnet"]
    cf.update_stack(StackName="swap", TemplateBody=tpl("10.4.2.0/24"))
    new = resource_ids(cf, "swap")["Subnet"]
    assert new != old and stack_of(cf, "swap")["StackStatus"] == "UPDATE_COMPLETE"
    assert ("Subnet", "DELETE_SKIPPED") in statuses(cf, "swap")
    subnets = aws.client("ec2").describe_subnets(SubnetIds=[old, new])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.4.1.0/24", "10.4.2.0/24"]


def test_custom_named_resource_cannot_be_replaced(aws):
    cf = aws.client("cloudformation")
    def tpl(kms):
        props = {"LogGroupName": "named"}
        if kms:
            props["LogGroupClass"] = "INFREQUENT_ACCESS"  # create-only
        return body({"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": props}})
    cf.create_stack(StackName="named", TemplateBody=tpl(False))
    cf.update_stack(StackName="named", TemplateBody=tpl(True))
    assert stack_of(cf, "named")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason") for e in cf.describe_stack_events(StackName="named")["StackEvents"]
               if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert reasons == ["CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                       "Rename named and update the stack again."]


def test_bucket_with_objects_fails_delete_and_can_be_retained(aws):
    cf, s3 = aws.client("cloudformation"), aws.client("s3")
    cf.create_stack(StackName="data", TemplateBody=body({
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "full-b"}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "data-logs"}}}))
    s3.put_object(Bucket="full-b", Key="k", Body=b"data")
    cf.delete_stack(StackName="data")
    stack = stack_of(cf, "data")
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to delete: [Bucket]. "
    failed = [e for e in cf.describe_stack_events(StackName="data")["StackEvents"]
              if e["ResourceStatus"] == "DELETE_FAILED" and e["LogicalResourceId"] == "Bucket"]
    assert "The bucket you tried to delete is not empty" in failed[0]["ResourceStatusReason"]
    assert s3.get_object(Bucket="full-b", Key="k")["Body"].read() == b"data"  # nothing lost
    with pytest.raises(ClientError) as err:
        cf.update_stack(StackName="data", TemplateBody=body({"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}}}))
    assert "is in DELETE_FAILED state and can not be updated" in err.value.response["Error"]["Message"]
    cf.delete_stack(StackName="data", RetainResources=["Bucket"])
    assert [s["StackStatus"] for s in cf.list_stacks()["StackSummaries"] if s["StackName"] == "data"] == ["DELETE_COMPLETE"]
    assert s3.get_object(Bucket="full-b", Key="k")["Body"].read() == b"data"


def test_retain_resources_only_for_delete_failed_stacks(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="fine", TemplateBody=body({"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}}}))
    with pytest.raises(ClientError) as err:
        cf.delete_stack(StackName="fine", RetainResources=["Logs"])
    assert "RetainResources can only be specified when the stack is in the DELETE_FAILED state" in err.value.response["Error"]["Message"]
    cf.delete_stack(StackName="no-such-stack")  # AWS: not an error


def test_security_group_rules_change_in_place(aws):
    cf, ec2 = aws.client("cloudformation"), aws.client("ec2")
    def tpl(egress):
        props = {"GroupDescription": "g", "VpcId": {"Ref": "Vpc"},
                 "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.5.0.0/16"}]}
        if egress:
            props["SecurityGroupEgress"] = egress
        return body({"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.5.0.0/16"}},
                     "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": props}})
    cf.create_stack(StackName="sg", TemplateBody=tpl(None))
    group_id = resource_ids(cf, "sg")["Sg"]
    def egress():
        perms = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissionsEgress"]
        return [(p["IpProtocol"], p.get("FromPort"), [r["CidrIp"] for r in p["IpRanges"]]) for p in perms]
    assert egress() == [("-1", None, ["0.0.0.0/0"])]  # EC2's default
    cf.update_stack(StackName="sg", TemplateBody=tpl([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.5.0.0/16"}]))
    assert stack_of(cf, "sg")["StackStatus"] == "UPDATE_COMPLETE"
    assert resource_ids(cf, "sg")["Sg"] == group_id  # in place, same group
    assert egress() == [("tcp", 443, ["10.5.0.0/16"])]
    cf.update_stack(StackName="sg", TemplateBody=tpl(None))
    assert egress() == [("-1", None, ["0.0.0.0/0"])]
