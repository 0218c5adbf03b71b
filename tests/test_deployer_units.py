"""Deployer pieces that need no emulator: failure diagnosis, no-change detection, tags, templates."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from secure_mlops.errors import UserError
from secure_mlops.provision import changesets, events, templatefile
from secure_mlops.provision.gating import tag_value
from secure_mlops.provision.projects import should_create_project_roles
from secure_mlops.provision.retained import removal_commands
from secure_mlops.provision.deploy_errors import DeployError

STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/env/1"


def ev(lid, status, reason=None, rtype="AWS::EC2::Subnet", physical=None):
    return {"EventId": f"{lid}-{status}", "StackId": STACK_ID, "LogicalResourceId": lid, "ResourceType": rtype,
            "PhysicalResourceId": physical if physical is not None else f"id-{lid}", "ResourceStatus": status,
            "ResourceStatusReason": reason, "Timestamp": datetime(2026, 1, 1, tzinfo=timezone.utc)}


def stack_ev(status, reason=None):
    return ev("env", status, reason, rtype="AWS::CloudFormation::Stack", physical=STACK_ID)


# AWS's order for a failed creation: the cause, then the resources it cancelled, then rollback
FAILED_CREATE = [
    stack_ev("CREATE_IN_PROGRESS", "User Initiated"),
    ev("Vpc", "CREATE_IN_PROGRESS"), ev("Vpc", "CREATE_COMPLETE"),
    ev("Key", "CREATE_IN_PROGRESS"),
    ev("Subnet", "CREATE_IN_PROGRESS"),
    ev("Subnet", "CREATE_FAILED", "The CIDR '192.168.0.0/24' is invalid. (Service: Ec2, Status Code: 400)"),
    ev("Key", "CREATE_FAILED", "Resource creation cancelled", rtype="AWS::KMS::Key"),
    stack_ev("ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Key, Subnet]. Rollback requested by user."),
    ev("Vpc", "DELETE_COMPLETE"),
    stack_ev("ROLLBACK_COMPLETE"),
]


def test_root_cause_is_the_first_resource_failure_that_is_not_a_cancellation():
    cause = events.root_cause(FAILED_CREATE)
    assert cause["LogicalResourceId"] == "Subnet"
    assert "is invalid" in cause["ResourceStatusReason"]
    # a cancellation first in the list does not hide the cause
    reordered = [FAILED_CREATE[6], FAILED_CREATE[5]]
    assert events.root_cause(reordered)["LogicalResourceId"] == "Subnet"


def test_root_cause_falls_back_to_the_stack_and_is_none_without_failures():
    only_stack = [stack_ev("UPDATE_FAILED", "Export env-VpcId cannot be deleted as it is in use by app")]
    assert events.root_cause(only_stack)["ResourceStatusReason"].startswith("Export")
    assert events.root_cause(FAILED_CREATE[:3]) is None


def test_failed_resources_keeps_the_last_status_of_each_resource():
    evs = [ev("Data", "DELETE_IN_PROGRESS", rtype="AWS::S3::Bucket"),
           ev("Data", "DELETE_FAILED", "The bucket you tried to delete is not empty", rtype="AWS::S3::Bucket"),
           ev("Param", "DELETE_FAILED", "throttled", rtype="AWS::SSM::Parameter"),
           ev("Param", "DELETE_COMPLETE", rtype="AWS::SSM::Parameter"),
           stack_ev("DELETE_FAILED")]
    failed = events.failed_resources(evs)
    assert list(failed) == ["Data"]


@pytest.mark.parametrize("status,terminal", [
    ("CREATE_IN_PROGRESS", False), ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", False),
    ("REVIEW_IN_PROGRESS", True), ("ROLLBACK_COMPLETE", True), ("DELETE_FAILED", True),
])
def test_terminal_states(status, terminal):
    assert events.is_terminal(status) is terminal


@pytest.mark.parametrize("reason,no_change", [
    ("The submitted information didn't contain changes. Submit different information to create a change set.", True),
    ("No updates are to be performed.", True),
    ("Template format error: Unresolved resource dependencies [Vpc] in the Resources block", False),
    ("", False),
])
def test_no_change_reasons(reason, no_change):
    assert changesets.is_no_change(reason) is no_change
    cs = changesets.ChangeSet("s", "n", "UPDATE", status="FAILED", reason=reason)
    assert cs.no_changes is no_change


def test_change_set_summary_counts_replacements():
    cs = changesets.ChangeSet("s", "n", "UPDATE", changes=[
        {"ResourceChange": {"Action": "Add"}},
        {"ResourceChange": {"Action": "Modify", "Replacement": "True"}},
        {"ResourceChange": {"Action": "Modify", "Replacement": "False"}},
        {"ResourceChange": {"Action": "Modify", "Replacement": "Conditional"}},
        {"ResourceChange": {"Action": "Remove"}},
    ])
    assert cs.summary() == {"Add": 1, "Modify": 3, "Remove": 1, "Replace": 2, "Import": 0, "Dynamic": 0}


def test_tag_values_keep_allowed_characters_and_fit_the_limit():
    assert tag_value("JIRA-123: accepted by sec@corp (until 2027)") == "JIRA-123: accepted by sec@corp  until 2027"
    assert len(tag_value("x" * 1000)) == 256


def test_template_reader_understands_short_form_intrinsics():
    tpl = templatefile.parse(
        "Parameters:\n  Cidr: {Type: String, Default: 10.0.0.0/24}\n  Azs: {Type: CommaDelimitedList, Default: [a, b]}\n"
        "Resources:\n  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties:\n      CidrBlock: !Ref Cidr\n"
        "      VpcId: !GetAtt Vpc.VpcId\n      AvailabilityZone: !Select [0, !Ref Azs]\n"
        "      Tags: [{Key: Name, Value: !Sub '${AWS::StackName}-subnet'}]\n")
    subnet = tpl["Resources"]["Subnet"]["Properties"]
    assert subnet["CidrBlock"] == {"Ref": "Cidr"}
    assert subnet["VpcId"] == {"Fn::GetAtt": ["Vpc", "VpcId"]}
    assert templatefile.parameter_defaults(tpl) == {"Cidr": "10.0.0.0/24", "Azs": "a,b"}
    assert templatefile.referenced_parameters(tpl, "Subnet") == ["Cidr", "Azs"]


def test_template_reader_reads_condition_references_as_cloudformation_does():
    tpl = templatefile.parse(
        "Parameters:\n  Stage: {Type: String, Default: dev}\n"
        "Conditions:\n  IsProd: !Equals [!Ref Stage, prod]\n  IsDev: !Not [!Condition IsProd]\n"
        "  Both: !And [!Condition IsDev, !Condition IsProd]\n"
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Condition: IsDev\n"
        "    Properties:\n      BucketName: !If [IsDev, !GetAtt Child.Outputs.Name, !Ref AWS::NoValue]\n")
    # {"Condition": name}, not {"Fn::Condition": name}
    assert tpl["Conditions"]["IsDev"] == {"Fn::Not": [{"Condition": "IsProd"}]}
    assert tpl["Conditions"]["Both"] == {"Fn::And": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]}
    # !GetAtt splits at the first dot only (a nested stack's output)
    assert tpl["Resources"]["B"]["Properties"]["BucketName"] == {
        "Fn::If": ["IsDev", {"Fn::GetAtt": ["Child", "Outputs.Name"]}, {"Ref": "AWS::NoValue"}]}


def test_template_that_does_not_parse_is_a_user_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources: [unclosed\n")
    with pytest.raises(UserError) as exc:
        templatefile.load(bad)
    assert "bad.yaml" in str(exc.value)
    with pytest.raises(UserError, match="Resources"):
        templatefile.parse("AWSTemplateFormatVersion: '2010-09-09'\n")


def test_project_roles_are_created_only_when_no_role_exists_outside_the_stack():
    launch, use = "AmazonSageMakerServiceCatalogProductsLaunchRole", "AmazonSageMakerServiceCatalogProductsUseRole"
    assert should_create_project_roles({launch: "absent", use: "absent"}) is True
    assert should_create_project_roles({launch: "stack", use: "stack"}) is True  # ours: keep them
    assert should_create_project_roles({launch: "account", use: "account"}) is False
    with pytest.raises(DeployError, match="AmazonSageMakerServiceCatalogProductsUseRole"):
        should_create_project_roles({launch: "account", use: "absent"})


def test_project_roles_message_says_where_the_roles_are_and_what_the_stack_does():
    """Review H2 item 22: not "…LaunchRole stack, …UseRole stack → CreateSageMakerProjectRoles=true"."""
    from secure_mlops.provision.deployer import project_roles_message

    launch, use = "AmazonSageMakerServiceCatalogProductsLaunchRole", "AmazonSageMakerServiceCatalogProductsUseRole"
    both = f"the SageMaker project roles {launch} and {use}"
    assert project_roles_message({launch: "absent", use: "absent"}, True) == (
        f"{both} are not in the account yet: this stack creates them (CreateSageMakerProjectRoles=true).")
    assert project_roles_message({launch: "stack", use: "stack"}, True) == (
        f"{both} were created by this stack: it keeps them (CreateSageMakerProjectRoles=true).")
    assert project_roles_message({launch: "account", use: "account"}, False) == (
        f"{both} already exist in the account, created outside this environment (e.g. by the SageMaker console): "
        "this stack uses them and does not create them (CreateSageMakerProjectRoles=false).")
    assert project_roles_message({launch: "stack", use: "absent"}, True) == (
        f"the SageMaker project roles: {launch} was created by this stack and {use} is not in the account; "
        "this stack creates the missing one and keeps the other (CreateSageMakerProjectRoles=true).")


def test_removal_commands_name_the_target_and_warn_before_data_goes():
    target = SimpleNamespace(region="eu-west-1", profile="prod", endpoint_url=None)
    key = removal_commands("AWS::KMS::Key", "1234abcd", target)
    assert "aws --profile prod --region eu-west-1 kms schedule-key-deletion --key-id 1234abcd" in key[-1]
    assert "unreadable" in key[0]
    bucket = removal_commands("AWS::S3::Bucket", "team-data", target)
    assert bucket[0].startswith("# back the data up first")
    efs = removal_commands("AWS::EFS::FileSystem", "fs-1", target)
    assert any("efs delete-file-system --file-system-id fs-1" in c for c in efs)
    # model versions are data: the group's commands say so and remove the versions first (review H2 item 17)
    group = removal_commands("AWS::SageMaker::ModelPackageGroup",
                             "arn:aws:sagemaker:eu-west-1:111122223333:model-package-group/team-models", target)
    assert group[0].startswith("# model versions are data")
    assert group[-2].startswith("aws --profile prod --region eu-west-1 sagemaker list-model-packages "
                                "--model-package-group-name team-models")
    assert group[-1] == ("aws --profile prod --region eu-west-1 sagemaker delete-model-package-group "
                         "--model-package-group-name team-models")
    other = removal_commands("AWS::SSM::Parameter", "/team/p", target)
    assert other == ["aws --profile prod --region eu-west-1 cloudcontrol delete-resource "
                     "--type-name AWS::SSM::Parameter --identifier /team/p"]
