"""SageMaker projects: the explicit, idempotent boto3 steps of the provisioner (on the emulator)."""

from __future__ import annotations

import json

import pytest

from secure_mlops.provision import projects

pytestmark = pytest.mark.emulator

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def role(aws, name="studio-execution"):
    return aws.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


def test_enable_projects_enables_and_associates_once(aws):
    arn = role(aws)
    sm = aws.client("sagemaker")
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Disabled"

    state = projects.enable_projects(aws, [arn], sleep=lambda s: None)
    assert state.actions[0] == "enable the SageMaker Service Catalog portfolio for the account"
    assert state.actions[1].startswith(f"associate {arn} with the SageMaker portfolio port-")
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Enabled"
    principals = aws.client("servicecatalog").list_principals_for_portfolio(PortfolioId=state.portfolio_id)
    assert [p["PrincipalARN"] for p in principals["Principals"]] == [arn]

    again = projects.enable_projects(aws, [arn], sleep=lambda s: None)
    assert again.actions == []
    assert again.portfolio_id == state.portfolio_id


def test_plan_reads_only(aws):
    arn = role(aws)
    state = projects.enable_projects(aws, [arn], plan=True)
    assert len(state.actions) == 2
    assert aws.client("sagemaker").get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Disabled"


def test_disassociate_removes_only_the_association(aws):
    arn, other = role(aws), role(aws, "someone-else")
    state = projects.enable_projects(aws, [arn, other], sleep=lambda s: None)
    done = projects.disassociate(aws, [arn])
    assert done == [f"disassociated {arn} from the SageMaker portfolio {state.portfolio_id}"]
    principals = aws.client("servicecatalog").list_principals_for_portfolio(PortfolioId=state.portfolio_id)
    assert [p["PrincipalARN"] for p in principals["Principals"]] == [other]
    # projects stay enabled for the account; a second call does nothing
    assert aws.client("sagemaker").get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Enabled"
    assert projects.disassociate(aws, [arn]) == []


def test_project_roles_owner_tells_absent_account_and_stack_apart(aws):
    launch, use = projects.PROJECT_ROLES
    assert projects.project_roles_owner(aws, "env-core") == {launch: "absent", use: "absent"}

    template = {"Resources": {
        name.replace("AmazonSageMakerServiceCatalogProducts", ""): {
            "Type": "AWS::IAM::Role", "DeletionPolicy": "Retain",
            "Properties": {"RoleName": name, "Path": "/service-role/",
                           "AssumeRolePolicyDocument": json.loads(TRUST)}}
        for name in projects.PROJECT_ROLES}}
    aws.client("cloudformation").create_stack(StackName="env-core", TemplateBody=json.dumps(template),
                                              Capabilities=["CAPABILITY_NAMED_IAM"])
    assert projects.project_roles_owner(aws, "env-core") == {launch: "stack", use: "stack"}
    # another environment's core stack sees roles it does not own
    assert projects.project_roles_owner(aws, "other-core") == {launch: "account", use: "account"}
    assert projects.should_create_project_roles(projects.project_roles_owner(aws, "other-core")) is False
