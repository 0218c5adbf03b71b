"""Change sets on the emulator: planned as AWS plans them, executed as AWS executes them."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


def template(subnet_cidr: str = "10.0.1.0/24", extra: bool = False, drop_param: bool = False) -> str:
    resources = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": subnet_cidr}},
        "Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Assoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                  "Properties": {"SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Rt"}}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Ref": "Retention"}}},
        "SubnetParam": {"Type": "AWS::SSM::Parameter",
                        "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Subnet", "CidrBlock"]}}},
    }
    if drop_param:
        del resources["SubnetParam"]
    if extra:
        resources["Extra"] = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "x"}}
    return json.dumps({
        "Parameters": {"Retention": {"Type": "Number", "Default": 7}},
        "Resources": resources,
        "Outputs": {"SubnetId": {"Value": {"Ref": "Subnet"}}},
    })


def describe(cf, name: str, stack: str = "net") -> dict:
    return cf.describe_change_set(ChangeSetName=name, StackName=stack)


def changes(cs: dict) -> dict[str, dict]:
    return {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in cs["Changes"]}


def create_net(cf) -> dict:
    out = cf.create_change_set(StackName="net", ChangeSetName="create", ChangeSetType="CREATE", TemplateBody=template())
    cf.execute_change_set(ChangeSetName=out["Id"])
    return cf.describe_stacks(StackName="net")["Stacks"][0]


def test_create_change_set_lists_adds_and_executes(aws):
    cf = aws.client("cloudformation")
    out = cf.create_change_set(StackName="net", ChangeSetName="create", ChangeSetType="CREATE", TemplateBody=template(),
                               Description="first")
    assert cf.describe_stacks(StackName="net")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"
    cs = describe(cf, "create")
    assert (cs["Status"], cs["ExecutionStatus"], cs["Description"]) == ("CREATE_COMPLETE", "AVAILABLE", "first")
    assert cs["ChangeSetId"] == out["Id"] and cs["StackId"] == out["StackId"]
    assert {lid: c["Action"] for lid, c in changes(cs).items()} == dict.fromkeys(
        ["Vpc", "Subnet", "Rt", "Assoc", "Logs", "SubnetParam"], "Add")
    assert cs["Parameters"] == [{"ParameterKey": "Retention", "ParameterValue": "7"}]
    cf.execute_change_set(ChangeSetName="create", StackName="net")
    stack = cf.describe_stacks(StackName="net")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["ChangeSetId"] == out["Id"]
    assert stack["Outputs"][0]["OutputValue"].startswith("subnet-")  # a CREATE change set sets outputs
    assert describe(cf, out["Id"])["ExecutionStatus"] == "EXECUTE_COMPLETE"
    with pytest.raises(ClientError) as err:  # executed once only
        cf.execute_change_set(ChangeSetName=out["Id"])
    assert err.value.response["Error"]["Code"] == "InvalidChangeSetStatus"


def test_change_set_without_changes_fails_as_on_aws(aws):
    cf = aws.client("cloudformation")
    create_net(cf)
    cf.create_change_set(StackName="net", ChangeSetName="same", TemplateBody=template(),
                         Parameters=[{"ParameterKey": "Retention", "UsePreviousValue": True}])
    cs = describe(cf, "same")
    assert (cs["Status"], cs["ExecutionStatus"], cs["StatusReason"]) == ("FAILED", "UNAVAILABLE", NO_CHANGES)
    assert cs["Changes"] == []
    with pytest.raises(ClientError) as err:
        cf.execute_change_set(ChangeSetName="same", StackName="net")
    assert err.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    # the same through UpdateStack
    with pytest.raises(ClientError) as err:
        cf.update_stack(StackName="net", TemplateBody=template())
    assert err.value.response["Error"]["Message"] == "No updates are to be performed."


def test_update_change_set_plans_modify_replace_add_remove(aws):
    cf = aws.client("cloudformation")
    create_net(cf)
    cf.create_change_set(StackName="net", ChangeSetName="grow", TemplateBody=template("10.0.2.0/24", extra=True, drop_param=True),
                         Parameters=[{"ParameterKey": "Retention", "ParameterValue": "30"}])
    cs = describe(cf, "grow")
    assert (cs["Status"], cs["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    got = changes(cs)
    assert set(got) == {"Subnet", "Assoc", "Logs", "Extra", "SubnetParam"}
    # a create-only property changed: replacement
    assert (got["Subnet"]["Action"], got["Subnet"]["Replacement"], got["Subnet"]["Scope"]) == ("Modify", "True", ["Properties"])
    assert got["Subnet"]["Details"][0]["Target"] == {
        "Attribute": "Properties", "Name": "CidrBlock", "RequiresRecreation": "Always",
        "Path": "/Properties/CidrBlock", "AttributeChangeType": "Modify"}
    assert got["Subnet"]["Details"][0]["ChangeSource"] == "DirectModification"
    assert got["Subnet"]["PolicyAction"] == "ReplaceAndDelete"
    # a dependent of the replaced subnet: known only at execution
    assoc = got["Assoc"]
    assert (assoc["Action"], assoc["Replacement"]) == ("Modify", "Conditional")
    assert assoc["Details"][0]["Evaluation"] == "Dynamic"
    assert (assoc["Details"][0]["ChangeSource"], assoc["Details"][0]["CausingEntity"]) == ("ResourceReference", "Subnet")
    # a parameter change: in place
    logs = got["Logs"]
    assert (logs["Replacement"], logs["Details"][0]["ChangeSource"], logs["Details"][0]["CausingEntity"]) == (
        "False", "ParameterReference", "Retention")
    assert logs["Details"][0]["Target"]["RequiresRecreation"] == "Never"
    assert got["Extra"]["Action"] == "Add" and got["SubnetParam"]["Action"] == "Remove"
    assert got["SubnetParam"]["PolicyAction"] == "Delete"
    assert cf.describe_stacks(StackName="net")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"  # not yet applied


def test_executing_an_update_re_resolves_dependents_and_cleans_up(aws):
    cf, ec2 = aws.client("cloudformation"), aws.client("ec2")
    stack = create_net(cf)
    old_subnet = stack["Outputs"][0]["OutputValue"]
    ids = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in cf.list_stack_resources(StackName="net")["StackResourceSummaries"]}
    cf.create_change_set(StackName="net", ChangeSetName="move", TemplateBody=template("10.0.2.0/24"),
                         Parameters=[{"ParameterKey": "Retention", "ParameterValue": "30"}])
    cf.create_change_set(StackName="net", ChangeSetName="other", TemplateBody=template("10.0.3.0/24"),
                         Parameters=[{"ParameterKey": "Retention", "UsePreviousValue": True}])
    cf.execute_change_set(ChangeSetName="move", StackName="net")
    stack = cf.describe_stacks(StackName="net")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE" and "LastUpdatedTime" in stack
    new_subnet = stack["Outputs"][0]["OutputValue"]
    assert new_subnet != old_subnet
    assert [s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=[new_subnet])["Subnets"]] == ["10.0.2.0/24"]
    assert [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [ids["Vpc"]]}])["Subnets"]] == [new_subnet]
    # the association now points at the new subnet (dependents re-resolved), the SSM value follows GetAtt
    table = ec2.describe_route_tables(RouteTableIds=[ids["Rt"]])["RouteTables"][0]
    assert [a["SubnetId"] for a in table["Associations"]] == [new_subnet]
    name = ids["SubnetParam"]
    assert aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "10.0.2.0/24"
    assert aws.client("logs").describe_log_groups()["logGroups"][0]["retentionInDays"] == 30
    # events: updates, the replacement's creation, then the cleanup of the old subnet
    seen = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason"))
            for e in reversed(cf.describe_stack_events(StackName="net")["StackEvents"])]
    tail = seen[[s for _, s, _ in seen].index("UPDATE_IN_PROGRESS"):]
    assert ("Subnet", "UPDATE_IN_PROGRESS",
            "Requested update requires the creation of a new physical resource; hence creating one.") in tail
    cleanup = tail[[s for _, s, _ in tail].index("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"):]
    assert [(lid, s) for lid, s, _ in cleanup] == [
        ("net", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), ("Assoc", "DELETE_IN_PROGRESS"), ("Assoc", "DELETE_COMPLETE"),
        ("Subnet", "DELETE_IN_PROGRESS"), ("Subnet", "DELETE_COMPLETE"), ("net", "UPDATE_COMPLETE")]
    # executing one change set removes the stack's others (they no longer apply)
    assert [s["ChangeSetName"] for s in cf.list_change_sets(StackName="net")["Summaries"]] == ["move"]


def test_change_sets_are_per_stack_and_deletable(aws):
    cf = aws.client("cloudformation")
    for stack in ("a", "b"):
        cf.create_change_set(StackName=stack, ChangeSetName="deploy", ChangeSetType="CREATE",
                             TemplateBody=template(subnet_cidr="10.0.1.0/24" if stack == "a" else "10.0.9.0/24"))
    assert describe(cf, "deploy", "b")["StackName"] == "b"
    assert [s["StackName"] for s in cf.list_change_sets(StackName="a")["Summaries"]] == ["a"]
    with pytest.raises(ClientError) as err:
        cf.describe_change_set(ChangeSetName="deploy")  # a bare name needs its stack
    assert err.value.response["Error"]["Code"] == "ValidationError"
    cf.delete_change_set(ChangeSetName="deploy", StackName="a")
    with pytest.raises(ClientError) as err:
        describe(cf, "deploy", "a")
    assert err.value.response["Error"]["Code"] == "ChangeSetNotFound"
    # the REVIEW_IN_PROGRESS stack left behind can be deleted
    cf.delete_stack(StackName="a")
    assert [s["StackName"] for s in cf.describe_stacks()["Stacks"]] == ["b"]
    with pytest.raises(ClientError) as err:
        cf.create_change_set(StackName="b", ChangeSetName="deploy", ChangeSetType="CREATE", TemplateBody=template())
    assert err.value.response["Error"]["Code"] == "AlreadyExistsException"


def test_failing_create_change_set_rolls_back(aws):
    cf = aws.client("cloudformation")
    out = cf.create_change_set(StackName="net", ChangeSetName="bad", ChangeSetType="CREATE",
                               TemplateBody=template("192.168.0.0/24"))
    cf.execute_change_set(ChangeSetName=out["Id"])  # not an API error
    assert cf.describe_stacks(StackName="net")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert describe(cf, out["Id"])["ExecutionStatus"] == "EXECUTE_FAILED"
    failed = [e for e in cf.describe_stack_events(StackName="net")["StackEvents"] if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Subnet"]
    assert "192.168.0.0/24" in failed[0]["ResourceStatusReason"]
    resources = cf.describe_stack_resources(StackName="net")["StackResources"]  # readable, no error
    assert {r["ResourceStatus"] for r in resources} == {"DELETE_COMPLETE"}


def test_stack_tag_change_is_a_change(aws):
    cf = aws.client("cloudformation")
    one = json.dumps({"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}})
    cf.create_stack(StackName="tagged", TemplateBody=one, Tags=[{"Key": "a", "Value": "1"}])
    name = cf.describe_stack_resource(StackName="tagged", LogicalResourceId="P")["StackResourceDetail"]["PhysicalResourceId"]
    cf.create_change_set(StackName="tagged", ChangeSetName="retag", TemplateBody=one, Tags=[{"Key": "a", "Value": "2"}])
    cs = describe(cf, "retag", "tagged")
    assert cs["Status"] == "CREATE_COMPLETE"
    assert changes(cs)["P"]["Scope"] == ["Tags"] and changes(cs)["P"]["Replacement"] == "False"
    cf.execute_change_set(ChangeSetName="retag", StackName="tagged")
    assert cf.describe_stacks(StackName="tagged")["Stacks"][0]["Tags"] == [{"Key": "a", "Value": "2"}]
    tags = aws.client("ssm").list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert {t["Key"]: t["Value"] for t in tags}["a"] == "2"
