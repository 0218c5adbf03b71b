"""The emulator's CloudFormation engine: stack creation as AWS does it.

Unsupported types fail loudly, resources are created in dependency order with per-resource
events, a resource failure rolls the stack back (or not, or deletes it, as asked), template
and parameter errors are ValidationErrors before anything is created, and outputs,
parameters and tags read back as AWS shows them.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator


def body(resources: dict, outputs: dict | None = None, parameters: dict | None = None, **extra) -> str:
    template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, **extra}
    if outputs:
        template["Outputs"] = outputs
    if parameters:
        template["Parameters"] = parameters
    return json.dumps(template)


def events(cf, stack: str) -> list[tuple[str, str, str | None]]:
    """(logical id, status, reason) in the order they happened."""
    out = []
    for e in reversed(cf.describe_stack_events(StackName=stack)["StackEvents"]):
        out.append((e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")))
    return out


def stack_of(cf, name: str) -> dict:
    return cf.describe_stacks(StackName=name)["Stacks"][0]


VPC = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}


def subnet(cidr: str = "10.0.1.0/24") -> dict:
    return {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr}}


# ---------------------------------------------------------------- unsupported types


def test_type_without_faithful_handler_fails_the_stack(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="unsupported", TemplateBody=body({
        "Vpc": VPC,
        # AWS knows this type; the emulator has no handler for it
        "Fleet": {"Type": "AWS::GameLift::Fleet", "DependsOn": "Vpc", "Properties": {"Name": "f"}},
    }))
    stack = stack_of(cf, "unsupported")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events(cf, "unsupported") if e[1] == "CREATE_FAILED"]
    assert failed == [("Fleet", "CREATE_FAILED", failed[0][2])]
    assert failed[0][2].startswith("Unsupported resource type AWS::GameLift::Fleet in the embedded emulator")
    # what had been created was rolled back
    ec2 = aws.client("ec2")
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []


def test_moto_handler_not_on_the_allow_list_fails_too(aws):
    """moto has a handler for DynamoDB tables, but it is not vetted: no silent half-deploys."""
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="ddb", TemplateBody=body({"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"}}}), OnFailure="DO_NOTHING")
    assert stack_of(cf, "ddb")["StackStatus"] == "CREATE_FAILED"
    resources = cf.list_stack_resources(StackName="ddb")["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["ResourceStatus"]) for r in resources] == [("Table", "CREATE_FAILED")]
    assert "Unsupported resource type AWS::DynamoDB::Table" in resources[0]["ResourceStatusReason"]
    assert "PhysicalResourceId" not in resources[0]


def test_custom_resources_fail_instead_of_hanging(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="custom", TemplateBody=body({
        "Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f"}}}))
    assert stack_of(cf, "custom")["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = [e[2] for e in events(cf, "custom") if e[1] == "CREATE_FAILED"][0]
    assert "Unsupported resource type Custom::Thing" in reason


def test_unknown_type_is_a_template_error(aws):
    cf = aws.client("cloudformation")
    with pytest.raises(ClientError) as err:
        cf.create_stack(StackName="typo", TemplateBody=body({"Vpc": {"Type": "AWS::EC2::Vpcc", "Properties": {}}}))
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["Error"]["Message"] == "Template format error: Unrecognized resource types: [AWS::EC2::Vpcc]"
    assert cf.list_stacks()["StackSummaries"] == []


# ---------------------------------------------------------------- events and order


def test_resources_are_created_in_dependency_order_with_events(aws):
    cf = aws.client("cloudformation")
    # declared dependents first: the engine must still create the VPC first
    cf.create_stack(StackName="ordered", TemplateBody=body({
        "Assoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                  "Properties": {"SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Rt"}}},
        "Subnet": subnet(),
        "Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Fn::GetAtt": ["Vpc", "VpcId"]}}},
        "Vpc": VPC,
    }))
    assert stack_of(cf, "ordered")["StackStatus"] == "CREATE_COMPLETE"
    seen = events(cf, "ordered")
    assert seen[0] == ("ordered", "CREATE_IN_PROGRESS", "User Initiated")
    assert seen[-1] == ("ordered", "CREATE_COMPLETE", None)
    per_resource = [e for e in seen[1:-1]]
    # each resource: IN_PROGRESS, IN_PROGRESS "Resource creation Initiated", COMPLETE, one after another
    order = [lid for lid, status, _ in per_resource if status == "CREATE_COMPLETE"]
    assert order.index("Vpc") < order.index("Subnet") < order.index("Assoc")
    assert order.index("Vpc") < order.index("Rt") < order.index("Assoc")
    for i in range(0, len(per_resource), 3):
        lid = per_resource[i][0]
        assert per_resource[i:i + 3] == [(lid, "CREATE_IN_PROGRESS", None),
                                         (lid, "CREATE_IN_PROGRESS", "Resource creation Initiated"),
                                         (lid, "CREATE_COMPLETE", None)]
    # the physical ids are real and as AWS gives them (association id, not the route table's)
    resources = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName="ordered")["StackResourceSummaries"]}
    assert {r["ResourceStatus"] for r in resources.values()} == {"CREATE_COMPLETE"}
    assert resources["Assoc"]["PhysicalResourceId"].startswith("rtbassoc-")
    tables = aws.client("ec2").describe_route_tables(RouteTableIds=[resources["Rt"]["PhysicalResourceId"]])["RouteTables"]
    assert [a["SubnetId"] for a in tables[0]["Associations"]] == [resources["Subnet"]["PhysicalResourceId"]]
    first = cf.describe_stack_events(StackName="ordered")["StackEvents"][-2]
    assert first["LogicalResourceId"] == "Vpc" and json.loads(first["ResourceProperties"]) == VPC["Properties"]


def test_circular_dependency_is_a_template_error(aws):
    cf = aws.client("cloudformation")
    with pytest.raises(ClientError) as err:
        cf.create_stack(StackName="loop", TemplateBody=body({
            "A": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "B"}}},
            "B": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "A"}}},
        }))
    assert err.value.response["Error"]["Message"] == "Circular dependency between resources: [A, B]"


def test_reference_to_nothing_is_a_template_error(aws):
    cf = aws.client("cloudformation")
    with pytest.raises(ClientError) as err:
        cf.create_stack(StackName="dangling", TemplateBody=body({"Subnet": subnet()}))
    assert err.value.response["Error"]["Message"] == (
        "Template format error: Unresolved resource dependencies [Vpc] in the Resources block of the template")


# ---------------------------------------------------------------- failures


BAD_SUBNET = {"Vpc": VPC, "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}},
              "Subnet": {**subnet("10.0.1.0/33"), "DependsOn": "Logs"}}


def test_resource_error_rolls_the_stack_back(aws):
    cf = aws.client("cloudformation")
    stack_id = cf.create_stack(StackName="bad-cidr", TemplateBody=body(BAD_SUBNET))["StackId"]  # no HTTP 500
    stack = stack_of(cf, "bad-cidr")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stack["StackStatusReason"].startswith("The following resource(s) failed to create: [Subnet].")
    seen = events(cf, stack_id)
    failed = [e for e in seen if e[1] == "CREATE_FAILED"]
    assert [e[0] for e in failed] == ["Subnet"]
    assert "10.0.1.0/33" in failed[0][2] and "is not a valid CIDR block" in failed[0][2]
    statuses = [s for _, s, _ in seen]
    tail = statuses[statuses.index("ROLLBACK_IN_PROGRESS"):]
    assert tail[-1] == "ROLLBACK_COMPLETE"
    assert ("Logs", "DELETE_COMPLETE", None) in seen and ("Vpc", "DELETE_COMPLETE", None) in seen
    # the dependent (Subnet, Logs) went before the VPC
    deletes = [lid for lid, s, _ in seen if s == "DELETE_COMPLETE"]
    assert deletes.index("Logs") < deletes.index("Vpc")
    assert aws.client("logs").describe_log_groups()["logGroups"] == []
    # ROLLBACK_COMPLETE cannot be updated but can be deleted
    with pytest.raises(ClientError) as err:
        cf.update_stack(StackName="bad-cidr", TemplateBody=body({"Vpc": VPC}))
    assert "is in ROLLBACK_COMPLETE state and can not be updated" in err.value.response["Error"]["Message"]
    cf.delete_stack(StackName="bad-cidr")
    assert stack_of(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"


def test_disable_rollback_keeps_what_was_created(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="keep", TemplateBody=body(BAD_SUBNET), DisableRollback=True)
    stack = stack_of(cf, "keep")
    assert stack["StackStatus"] == "CREATE_FAILED" and stack["DisableRollback"] is True
    statuses = {r["LogicalResourceId"]: r["ResourceStatus"]
                for r in cf.list_stack_resources(StackName="keep")["StackResourceSummaries"]}
    assert statuses == {"Vpc": "CREATE_COMPLETE", "Logs": "CREATE_COMPLETE", "Subnet": "CREATE_FAILED"}
    assert len(aws.client("logs").describe_log_groups()["logGroups"]) == 1
    cf.delete_stack(StackName="keep")
    assert aws.client("logs").describe_log_groups()["logGroups"] == []


def test_on_failure_delete_removes_the_stack(aws):
    cf = aws.client("cloudformation")
    stack_id = cf.create_stack(StackName="gone", TemplateBody=body(BAD_SUBNET), OnFailure="DELETE")["StackId"]
    assert stack_of(cf, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        cf.describe_stacks(StackName="gone")
    assert [e[1] for e in events(cf, stack_id)][-3:] == ["ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]


def test_missing_required_property_fails_the_resource_as_aws_says(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="noprop", TemplateBody=body({"Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {}}}))
    reason = [e[2] for e in events(cf, "noprop") if e[1] == "CREATE_FAILED"][0]
    assert reason == "Properties validation failed for resource Rt with message: #: required key [VpcId] not found"


def test_getatt_of_attribute_the_emulator_lacks_fails_loudly(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="att", TemplateBody=body(
        {"Vpc": VPC}, outputs={"Acl": {"Value": {"Fn::GetAtt": ["Vpc", "DefaultNetworkAcl"]}}}))
    stack = stack_of(cf, "att")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Fn::GetAtt Vpc.DefaultNetworkAcl: the embedded emulator does not provide attribute" in stack["StackStatusReason"]


def test_getatt_of_attribute_aws_does_not_have_is_a_template_error(aws):
    cf = aws.client("cloudformation")
    with pytest.raises(ClientError) as err:
        cf.create_stack(StackName="att2", TemplateBody=body({"Vpc": VPC}, outputs={"X": {"Value": {"Fn::GetAtt": ["Vpc", "Colour"]}}}))
    assert err.value.response["Error"]["Message"] == (
        "Template error: resource Vpc does not support attribute type Colour in Fn::GetAtt")


def test_getatt_and_intrinsics_resolve(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="fns", TemplateBody=body({
        "Vpc": VPC,
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"},
            "CidrBlock": {"Fn::Select": [1, {"Fn::Cidr": [{"Fn::GetAtt": ["Vpc", "CidrBlock"]}, 4, 8]}]},
            "AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": ""}]}}},
    }, outputs={"Cidr": {"Value": {"Fn::GetAtt": ["Subnet", "CidrBlock"]}},
                "Zone": {"Value": {"Fn::GetAtt": ["Subnet", "AvailabilityZone"]}},
                "Joined": {"Value": {"Fn::Sub": "${AWS::StackName}/${Subnet.VpcId}"}}}))
    stack = stack_of(cf, "fns")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    vpc_id = cf.describe_stack_resource(StackName="fns", LogicalResourceId="Vpc")["StackResourceDetail"]["PhysicalResourceId"]
    assert outputs == {"Cidr": "10.0.1.0/24", "Zone": "us-east-1b", "Joined": f"fns/{vpc_id}"}


# ---------------------------------------------------------------- parameters, capabilities, outputs


PARAMS = {
    "Stage": {"Type": "String", "AllowedValues": ["dev", "prod"]},
    "Secret": {"Type": "String", "NoEcho": True, "Default": "s3cr3t"},
    "Zones": {"Type": "CommaDelimitedList", "Default": "a,b"},
}


def test_parameter_errors_are_validation_errors(aws):
    cf = aws.client("cloudformation")
    tpl = body({"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Stage"}}}},
               parameters=PARAMS)
    cases = [
        ([], "Parameters: [Stage] must have values"),
        ([{"ParameterKey": "Stage", "ParameterValue": "qa"}], "Parameter 'Stage' must be one of AllowedValues"),
        ([{"ParameterKey": "Stage", "ParameterValue": "dev"}, {"ParameterKey": "Nope", "ParameterValue": "x"}],
         "Parameters: [Nope] do not exist in the template"),
    ]
    for params, message in cases:
        with pytest.raises(ClientError) as err:
            cf.create_stack(StackName="params", TemplateBody=tpl, Parameters=params)
        assert err.value.response["Error"]["Message"] == message
    assert cf.list_stacks()["StackSummaries"] == []


def test_describe_stacks_shows_parameters_outputs_and_tags_as_aws(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(
        StackName="shown", Tags=[{"Key": "team", "Value": "ds"}],
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "dev"}],
        TemplateBody=body({"P": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": {"Fn::Join": ["-", {"Ref": "Zones"}]}, "Tags": {"stage": {"Ref": "Stage"}}}}},
            parameters=PARAMS, Description="shown stack",
            outputs={"Name": {"Value": {"Ref": "P"}, "Description": "the parameter", "Export": {"Name": "shown-p"}},
                     "Zones": {"Value": {"Ref": "Zones"}}}))
    stack = stack_of(cf, "shown")
    assert stack["Description"] == "shown stack"
    assert stack["Parameters"] == [{"ParameterKey": "Stage", "ParameterValue": "dev"},
                                   {"ParameterKey": "Secret", "ParameterValue": "****"},
                                   {"ParameterKey": "Zones", "ParameterValue": "a,b"}]
    name = cf.describe_stack_resource(StackName="shown", LogicalResourceId="P")["StackResourceDetail"]["PhysicalResourceId"]
    assert sorted(stack["Outputs"], key=lambda o: o["OutputKey"]) == [
        {"OutputKey": "Name", "OutputValue": name, "Description": "the parameter", "ExportName": "shown-p"},
        {"OutputKey": "Zones", "OutputValue": "a,b"},
    ]
    assert stack["Tags"] == [{"Key": "team", "Value": "ds"}]
    assert cf.list_exports()["Exports"][0]["Name"] == "shown-p"
    # map-form Tags on AWS::SSM::Parameter (the schema's form) and the stack's tags reach the parameter
    ssm = aws.client("ssm")
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "a-b"
    tags = {t["Key"]: t["Value"] for t in ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]}
    assert tags["stage"] == "dev" and tags["team"] == "ds"


def test_iam_resources_need_capabilities(aws):
    cf = aws.client("cloudformation")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
    unnamed = body({"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust}}})
    named = body({"Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust, "RoleName": "r1"}}})
    for tpl, caps, needed in ((unnamed, [], "CAPABILITY_IAM"), (named, ["CAPABILITY_IAM"], "CAPABILITY_NAMED_IAM")):
        with pytest.raises(ClientError) as err:
            cf.create_stack(StackName="iam", TemplateBody=tpl, Capabilities=caps)
        assert err.value.response["Error"]["Code"] == "InsufficientCapabilitiesException"
        assert err.value.response["Error"]["Message"] == f"Requires capabilities : [{needed}]"
    cf.create_stack(StackName="iam", TemplateBody=named, Capabilities=["CAPABILITY_NAMED_IAM"])
    assert stack_of(cf, "iam")["StackStatus"] == "CREATE_COMPLETE"
    assert stack_of(cf, "iam")["Capabilities"] == ["CAPABILITY_NAMED_IAM"]


def test_exports_are_unique_and_in_use_exports_block_deletion(aws):
    cf = aws.client("cloudformation")
    exporter = body({"Vpc": VPC}, outputs={"VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "net-vpc"}}})
    cf.create_stack(StackName="net", TemplateBody=exporter)
    cf.create_stack(StackName="net2", TemplateBody=exporter)
    assert stack_of(cf, "net2")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "Export with name net-vpc is already exported by stack net" in stack_of(cf, "net2")["StackStatusReason"]
    cf.create_stack(StackName="app", TemplateBody=body({"Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
        "VpcId": {"Fn::ImportValue": "net-vpc"}, "CidrBlock": "10.0.5.0/24"}}}))
    assert stack_of(cf, "app")["StackStatus"] == "CREATE_COMPLETE"
    cf.delete_stack(StackName="net")
    stack = stack_of(cf, "net")
    assert stack["StackStatus"] == "DELETE_FAILED"
    assert stack["StackStatusReason"] == "Export net-vpc cannot be deleted as it is in use by app"
    cf.delete_stack(StackName="app")
    cf.delete_stack(StackName="net")
    cf.delete_stack(StackName="net2")  # ROLLBACK_COMPLETE stacks stay until deleted
    assert [s["StackName"] for s in cf.describe_stacks()["Stacks"]] == []


def test_nested_stack_from_a_loopback_template_url(aws, emulator):
    cf, s3 = aws.client("cloudformation"), aws.client("s3")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="child.json",
                  Body=body({"Vpc": VPC}, outputs={"VpcId": {"Value": {"Ref": "Vpc"}}}))
    url = f"{emulator.endpoint}/templates/child.json"  # http://127.0.0.1:PORT/...
    cf.create_stack(StackName="parent", TemplateBody=body(
        {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": url}}},
        outputs={"Vpc": {"Value": {"Fn::GetAtt": ["Child", "Outputs.VpcId"]}}}))
    parent = stack_of(cf, "parent")
    assert parent["StackStatus"] == "CREATE_COMPLETE"
    child_id = cf.describe_stack_resource(StackName="parent", LogicalResourceId="Child")["StackResourceDetail"]["PhysicalResourceId"]
    assert child_id.startswith("arn:aws:cloudformation:") and stack_of(cf, child_id)["StackStatus"] == "CREATE_COMPLETE"
    assert parent["Outputs"][0]["OutputValue"].startswith("vpc-")
    cf.delete_stack(StackName="parent")
    assert stack_of(cf, child_id)["StackStatus"] == "DELETE_COMPLETE"


def test_conditions_decide_what_exists(aws):
    cf = aws.client("cloudformation")
    tpl = body({
        "Always": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": {"Fn::If": ["WithExtra", "extra", "plain"]},
            "Description": {"Fn::If": ["WithExtra", "has extra", {"Ref": "AWS::NoValue"}]}}},
        "Extra": {"Type": "AWS::SSM::Parameter", "Condition": "WithExtra",
                  "Properties": {"Type": "String", "Value": "x"}},
    }, parameters={"Extra": {"Type": "String", "AllowedValues": ["true", "false"], "Default": "false"}},
        Conditions={"WithExtra": {"Fn::Equals": [{"Ref": "Extra"}, "true"]}},
        outputs={"ExtraName": {"Condition": "WithExtra", "Value": {"Ref": "Extra"}}})
    cf.create_stack(StackName="cond", TemplateBody=tpl)
    stack = stack_of(cf, "cond")
    assert stack["StackStatus"] == "CREATE_COMPLETE" and "Outputs" not in stack
    # a resource whose condition is false is not a resource of the stack (no blank row)
    listed = cf.list_stack_resources(StackName="cond")["StackResourceSummaries"]
    assert [r["LogicalResourceId"] for r in listed] == ["Always"]
    ssm = aws.client("ssm")
    param = ssm.get_parameter(Name=listed[0]["PhysicalResourceId"])["Parameter"]
    assert param["Value"] == "plain"
    assert "Description" not in ssm.describe_parameters()["Parameters"][0]
    cf.update_stack(StackName="cond", TemplateBody=tpl, Parameters=[{"ParameterKey": "Extra", "ParameterValue": "true"}])
    stack = stack_of(cf, "cond")
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert sorted(r["LogicalResourceId"] for r in cf.list_stack_resources(StackName="cond")["StackResourceSummaries"]) == ["Always", "Extra"]
    assert ssm.get_parameter(Name=listed[0]["PhysicalResourceId"])["Parameter"]["Value"] == "extra"
    assert stack["Outputs"][0]["OutputKey"] == "ExtraName"


def test_yaml_short_forms_and_novalue_in_lists(aws):
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="yaml", TemplateBody="""
Parameters:
  Zones: {Type: Number, Default: 2}
Conditions:
  Has3: !Equals [!Ref Zones, 3]
  HasMore: !Or [!Condition Has3, !Equals [!Ref Zones, 4]]
  Two: !Not [!Condition HasMore]
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.6.0.0/16}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.6.1.0/24}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.6.2.0/24}
  SubnetC:
    Type: AWS::EC2::Subnet
    Condition: Has3
    Properties: {VpcId: !Ref Vpc, CidrBlock: 10.6.3.0/24}
  Subnets:
    Type: AWS::SSM::Parameter
    Properties:
      Type: StringList
      Value: !Join [",", [!Ref SubnetA, !Ref SubnetB, !If [Has3, !Ref SubnetC, !Ref AWS::NoValue]]]
      Description: !If [Two, two zones, more zones]
""")
    assert stack_of(cf, "yaml")["StackStatus"] == "CREATE_COMPLETE"
    ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.list_stack_resources(StackName="yaml")["StackResourceSummaries"]}
    assert "SubnetC" not in ids
    param = aws.client("ssm").get_parameter(Name=ids["Subnets"])["Parameter"]
    assert param["Value"] == f"{ids['SubnetA']},{ids['SubnetB']}"
    assert aws.client("ssm").describe_parameters()["Parameters"][0]["Description"] == "two zones"


def test_declared_names_are_used(aws):
    """moto's SageMaker handlers ignore EndpointName, ModelName, ...: the engine passes them on."""
    cf = aws.client("cloudformation")
    cf.create_stack(StackName="names", Capabilities=["CAPABILITY_IAM"], TemplateBody=body({
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}}},
        "Model": {"Type": "AWS::SageMaker::Model", "Properties": {
            "ModelName": "named-model", "ExecutionRoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
            "PrimaryContainer": {"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}}},
    }))
    assert stack_of(cf, "names")["StackStatus"] == "CREATE_COMPLETE"
    assert aws.client("sagemaker").describe_model(ModelName="named-model")["ModelName"] == "named-model"


def test_ssm_parameter_types_resolve_only_the_value_in_effect(aws):
    """AWS resolves an AWS::SSM::Parameter::Value parameter's Default only when no value is passed."""
    cf, ssm = aws.client("cloudformation"), aws.client("ssm")
    ssm.put_parameter(Name="/env/real/vpc-id", Value="vpc-real", Type="String")
    tpl = body({"Copy": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Vpc"}}}},
               outputs={"Vpc": {"Value": {"Ref": "Vpc"}}},
               parameters={"Vpc": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/env/other/vpc-id"}})
    cf.create_stack(StackName="uses-given", TemplateBody=tpl,
                    Parameters=[{"ParameterKey": "Vpc", "ParameterValue": "/env/real/vpc-id"}])
    stack = stack_of(cf, "uses-given")
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["Outputs"][0]["OutputValue"] == "vpc-real"
    assert stack["Parameters"][0]["ResolvedValue"] == "vpc-real"
    with pytest.raises(ClientError, match=r"Unable to fetch parameters \[/env/other/vpc-id\]"):
        cf.create_stack(StackName="uses-default", TemplateBody=tpl)  # the default is in effect: it must exist


def test_getatt_short_form_splits_at_the_first_dot(aws, emulator):
    cf, s3 = aws.client("cloudformation"), aws.client("s3")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="child.json", Body=body(
        {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "from-child"}}},
        outputs={"ParamName": {"Value": {"Ref": "P"}}}))
    cf.create_stack(StackName="short", TemplateBody=f"""
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties: {{TemplateURL: {emulator.endpoint}/templates/child.json}}
  Top:
    Type: AWS::SSM::Parameter
    Properties: {{Type: String, Value: !GetAtt Child.Outputs.ParamName}}
Outputs:
  TopValue: {{Value: !GetAtt Top.Value}}
""")
    stack = stack_of(cf, "short")
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    child_param = stack["Outputs"][0]["OutputValue"]  # the child's parameter name, read through Top.Value
    assert aws.client("ssm").get_parameter(Name=child_param)["Parameter"]["Value"] == "from-child"


def test_a_change_set_reads_its_template_from_a_loopback_url(aws, emulator):
    cf, s3 = aws.client("cloudformation"), aws.client("s3")
    s3.create_bucket(Bucket="big-templates")
    s3.put_object(Bucket="big-templates", Key="t.json", Body=body({"Vpc": VPC}))
    cf.create_change_set(StackName="from-url", ChangeSetName="c1", ChangeSetType="CREATE",
                         TemplateURL=f"{emulator.endpoint}/big-templates/t.json")
    change_set = cf.describe_change_set(StackName="from-url", ChangeSetName="c1")
    assert change_set["Status"] == "CREATE_COMPLETE"
    assert [c["ResourceChange"]["LogicalResourceId"] for c in change_set["Changes"]] == ["Vpc"]
    cf.execute_change_set(StackName="from-url", ChangeSetName="c1")
    assert stack_of(cf, "from-url")["StackStatus"] == "CREATE_COMPLETE"


def test_the_state_dump_never_creates_resources(aws, emulator):
    """/moto-api/data.json reads every model; a rolled-back stack's outputs must not create anything."""
    import urllib.request

    cf = aws.client("cloudformation")
    cf.create_stack(StackName="rolled-back", TemplateBody=body(
        {"Vpc": VPC, "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": "192.168.0.0/24"}}},  # outside the VPC: fails
        outputs={"Zone": {"Value": {"Fn::GetAtt": ["Subnet", "AvailabilityZone"]}}}))
    assert stack_of(cf, "rolled-back")["StackStatus"] == "ROLLBACK_COMPLETE"
    ec2 = aws.client("ec2")
    before = (ec2.describe_vpcs()["Vpcs"], ec2.describe_subnets()["Subnets"])
    with urllib.request.urlopen(f"{emulator.endpoint}/moto-api/data.json", timeout=60) as resp:
        assert resp.status == 200 and json.loads(resp.read())
    assert (ec2.describe_vpcs()["Vpcs"], ec2.describe_subnets()["Subnets"]) == before
    assert "Outputs" not in stack_of(cf, "rolled-back")
