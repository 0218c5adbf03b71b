"""destroy deletes nothing while SageMaker projects launched from the environment's products exist.

A project's stack uses the environment's network, roles and keys; deleting the environment under
it leaves it broken. destroy names the projects, says how to delete them, and stops first.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from helpers import Spec, captured

from secure_mlops.provision import deployer, destroy, gating

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("wide_console")]

PRODUCT_TEMPLATE = {"Parameters": {"SageMakerProjectName": {"Type": "String"}, "SageMakerProjectId": {"Type": "String"}},
                    "Resources": {"Param": {"Type": "AWS::SSM::Parameter", "Properties": {
                        "Name": {"Fn::Sub": "/unit/project/${SageMakerProjectName}"}, "Type": "String",
                        "Value": {"Ref": "SageMakerProjectId"}}}}}


def env_template(template_url: str, principal: str) -> dict:
    return {"Resources": {
        "Portfolio": {"Type": "AWS::ServiceCatalog::Portfolio",
                      "Properties": {"DisplayName": "unit", "ProviderName": "secure-mlops"}},
        "ProjectProduct": {"Type": "AWS::ServiceCatalog::CloudFormationProduct", "Properties": {
            "Name": "unit project template", "Owner": "secure-mlops",
            "ProvisioningArtifactParameters": [{"Name": "v1", "Info": {"LoadTemplateFromURL": template_url}}]}},
        "InPortfolio": {"Type": "AWS::ServiceCatalog::PortfolioProductAssociation",
                        "Properties": {"PortfolioId": {"Ref": "Portfolio"}, "ProductId": {"Ref": "ProjectProduct"}}},
        "ForTheTeam": {"Type": "AWS::ServiceCatalog::PortfolioPrincipalAssociation",
                       "Properties": {"PortfolioId": {"Ref": "Portfolio"}, "PrincipalARN": principal,
                                      "PrincipalType": "IAM"}},
    }}


@pytest.fixture(autouse=True)
def passing_gate(monkeypatch):
    monkeypatch.setattr(deployer, "gate_templates", lambda *a, **k: gating.GateOutcome(ok=True))


def test_destroy_names_the_projects_launched_from_the_environment_and_deletes_nothing(
        tmp_path, local_target, aws, capsys):
    from secure_mlops.provision.events import describe_stack

    s3, cf, sm = aws.client("s3"), aws.client("cloudformation"), aws.client("sagemaker")
    s3.create_bucket(Bucket="unit-templates")
    s3.put_object(Bucket="unit-templates", Key="project.json", Body=json.dumps(PRODUCT_TEMPLATE).encode())
    url = "https://unit-templates.s3.amazonaws.com/project.json"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    role = aws.client("iam").create_role(RoleName="unit-data-scientist",
                                         AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    path = tmp_path / "env.json"
    path.write_text(json.dumps(env_template(url, role)))
    cfg = SimpleNamespace(name="unit", path=tmp_path / "secure-mlops.yaml")
    spec = Spec("unit-env", path)
    assert deployer.deploy_specs([spec], cfg, local_target, projects=False)
    product = {r["LogicalResourceId"]: r["PhysicalResourceId"]
               for r in cf.list_stack_resources(StackName="unit-env")["StackResourceSummaries"]}["ProjectProduct"]
    # a data scientist of the team launches a project from the environment's template, as Studio does
    import boto3

    creds = aws.client("sts").assume_role(RoleArn=role, RoleSessionName="alice")["Credentials"]
    scientist = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                              aws_session_token=creds["SessionToken"], region_name="us-east-1")
    scientist.client("sagemaker", endpoint_url=local_target.endpoint_url).create_project(
        ProjectName="churn", ServiceCatalogProvisioningDetails={"ProductId": product})
    assert sm.describe_project(ProjectName="churn")["ProjectStatus"] == "CreateCompleted"
    capsys.readouterr()

    assert not destroy.destroy_specs([spec], cfg, local_target)
    out = captured(capsys)
    assert ("1 SageMaker project(s) launched from this environment's project templates still exist: churn "
            "(CreateCompleted, from unit-env/ProjectProduct)") in out
    assert "Nothing was deleted. Run destroy again once they are gone." in out
    assert f"aws --region us-east-1 --endpoint-url {local_target.endpoint_url} sagemaker delete-project " \
           "--project-name churn" in out
    assert describe_stack(cf, "unit-env")["StackStatus"] == "CREATE_COMPLETE"  # not even started
    assert "DELETE_IN_PROGRESS" not in out

    sm.delete_project(ProjectName="churn")
    capsys.readouterr()
    assert destroy.destroy_specs([spec], cfg, local_target)
    assert describe_stack(cf, "unit-env") is None


def test_projects_from_other_products_do_not_stop_destroy(aws):
    from secure_mlops.provision.projects import projects_launched_from

    assert projects_launched_from(aws, set()) == []
    assert projects_launched_from(aws, {"prod-notours"}) == []
