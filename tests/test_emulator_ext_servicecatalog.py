"""Service Catalog on the emulator: portfolios, products, access, constraints, provisioning."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

PRODUCT_TEMPLATE = {
    "Parameters": {"Name": {"Type": "String"}},
    "Resources": {"Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Name"}}}},
    "Outputs": {"ParamName": {"Value": {"Ref": "Param"}}},
}
SC_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "servicecatalog.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
ACCOUNT_TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                           "Action": "sts:AssumeRole"}]}


@pytest.fixture
def catalog(aws):
    s3, iam = aws.client("s3"), aws.client("iam")
    s3.create_bucket(Bucket="products")
    s3.put_object(Bucket="products", Key="p.json", Body=json.dumps(PRODUCT_TEMPLATE))
    s3.put_object(Bucket="products", Key="bad.json", Body=json.dumps({"Parameters": {}}))
    launch = iam.create_role(RoleName="sc-launch", AssumeRolePolicyDocument=json.dumps(SC_TRUST))["Role"]["Arn"]
    user = iam.create_role(RoleName="data-scientist", AssumeRolePolicyDocument=json.dumps(ACCOUNT_TRUST))["Role"]["Arn"]
    return {"url": "https://products.s3.us-east-1.amazonaws.com/p.json", "launch": launch, "user": user}


def as_role(aws, emulator, role_arn):
    creds = aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="tester")["Credentials"]
    return boto3.client("servicecatalog", region_name="us-east-1", endpoint_url=emulator.endpoint,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def product(sc, url, name="env"):
    r = sc.create_product(Name=name, Owner="platform", ProductType="CLOUD_FORMATION_TEMPLATE",
                          ProvisioningArtifactParameters={"Name": "v1", "Type": "CLOUD_FORMATION_TEMPLATE",
                                                          "Info": {"LoadTemplateFromURL": url}})
    return r["ProductViewDetail"]["ProductViewSummary"]["ProductId"], r["ProvisioningArtifactDetail"]["Id"]


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_portfolio_and_product_admin_lifecycle(aws, catalog):
    sc = aws.client("servicecatalog")
    pf = sc.create_portfolio(DisplayName="Data science", ProviderName="platform",
                             Tags=[{"Key": "team", "Value": "ds"}])["PortfolioDetail"]["Id"]
    assert pf.startswith("port-")
    prod, artifact = product(sc, catalog["url"])
    assert prod.startswith("prod-") and artifact.startswith("pa-")
    assert [a["Id"] for a in sc.list_provisioning_artifacts(ProductId=prod)["ProvisioningArtifactDetails"]] == [artifact]
    v2 = sc.create_provisioning_artifact(ProductId=prod, Parameters={
        "Name": "v2", "Info": {"LoadTemplateFromURL": catalog["url"]}, "Type": "CLOUD_FORMATION_TEMPLATE"})
    assert len(sc.describe_product_as_admin(Id=prod)["ProvisioningArtifactSummaries"]) == 2
    sc.update_provisioning_artifact(ProductId=prod, ProvisioningArtifactId=artifact, Guidance="DEPRECATED")
    assert sc.describe_provisioning_artifact(ProductId=prod, ProvisioningArtifactId=artifact)[
        "ProvisioningArtifactDetail"]["Guidance"] == "DEPRECATED"
    sc.delete_provisioning_artifact(ProductId=prod, ProvisioningArtifactId=v2["ProvisioningArtifactDetail"]["Id"])

    sc.associate_product_with_portfolio(ProductId=prod, PortfolioId=pf)
    sc.associate_principal_with_portfolio(PortfolioId=pf, PrincipalARN=catalog["user"], PrincipalType="IAM")
    assert sc.list_principals_for_portfolio(PortfolioId=pf)["Principals"] == [
        {"PrincipalARN": catalog["user"], "PrincipalType": "IAM"}]
    assert [p["ProductViewSummary"]["ProductId"] for p in
            sc.search_products_as_admin(PortfolioId=pf)["ProductViewDetails"]] == [prod]
    assert [p["Id"] for p in sc.list_portfolios_for_product(ProductId=prod)["PortfolioDetails"]] == [pf]
    cons = sc.create_constraint(PortfolioId=pf, ProductId=prod, Type="LAUNCH",
                                Parameters=json.dumps({"RoleArn": catalog["launch"]}))["ConstraintDetail"]["ConstraintId"]
    assert [c["ConstraintId"] for c in sc.list_constraints_for_portfolio(PortfolioId=pf)["ConstraintDetails"]] == [cons]

    for call in (lambda: sc.delete_portfolio(Id=pf), lambda: sc.delete_product(Id=prod)):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == "ResourceInUseException"
    sc.delete_constraint(Id=cons)
    sc.disassociate_principal_from_portfolio(PortfolioId=pf, PrincipalARN=catalog["user"])
    sc.disassociate_product_from_portfolio(ProductId=prod, PortfolioId=pf)
    sc.delete_product(Id=prod)
    sc.delete_portfolio(Id=pf)
    assert sc.list_portfolios()["PortfolioDetails"] == []
    with pytest.raises(ClientError) as exc:
        sc.describe_portfolio(Id=pf)
    assert code(exc) == "ResourceNotFoundException"


def test_product_template_must_exist_and_be_a_template(aws, catalog):
    sc = aws.client("servicecatalog")
    for url in ("https://products.s3.us-east-1.amazonaws.com/missing.json",
                "https://products.s3.us-east-1.amazonaws.com/bad.json", "https://example.com/t.json"):
        with pytest.raises(ClientError) as exc:
            product(sc, url)
        assert code(exc) == "InvalidParametersException"
    assert sc.search_products_as_admin()["ProductViewDetails"] == []


def test_launch_role_must_be_assumable_by_service_catalog(aws, catalog):
    sc = aws.client("servicecatalog")
    pf = sc.create_portfolio(DisplayName="p", ProviderName="x")["PortfolioDetail"]["Id"]
    prod, _ = product(sc, catalog["url"])
    sc.associate_product_with_portfolio(ProductId=prod, PortfolioId=pf)
    with pytest.raises(ClientError, match="does not trust servicecatalog"):
        sc.create_constraint(PortfolioId=pf, ProductId=prod, Type="LAUNCH", Parameters=json.dumps({"RoleArn": catalog["user"]}))
    with pytest.raises(ClientError, match="does not exist"):
        sc.create_constraint(PortfolioId=pf, ProductId=prod, Type="LAUNCH",
                             Parameters=json.dumps({"RoleArn": "arn:aws:iam::123456789012:role/nope"}))


def test_end_users_see_and_provision_only_products_they_are_associated_with(aws, emulator, catalog):
    sc = aws.client("servicecatalog")
    pf = sc.create_portfolio(DisplayName="p", ProviderName="x")["PortfolioDetail"]["Id"]
    prod, artifact = product(sc, catalog["url"])
    sc.associate_product_with_portfolio(ProductId=prod, PortfolioId=pf)
    sc.create_constraint(PortfolioId=pf, ProductId=prod, Type="LAUNCH", Parameters=json.dumps({"RoleArn": catalog["launch"]}))
    user = as_role(aws, emulator, catalog["user"])
    assert user.search_products()["ProductViewSummaries"] == []
    with pytest.raises(ClientError) as exc:
        user.provision_product(ProductId=prod, ProvisioningArtifactId=artifact, ProvisionedProductName="mine")
    assert code(exc) == "ResourceNotFoundException"

    sc.associate_principal_with_portfolio(PortfolioId=pf, PrincipalARN=catalog["user"], PrincipalType="IAM")
    assert [p["ProductId"] for p in user.search_products()["ProductViewSummaries"]] == [prod]
    paths = user.list_launch_paths(ProductId=prod)["LaunchPathSummaries"]
    assert paths[0]["ConstraintSummaries"] == [{"Type": "LAUNCH", "Description": ""}]
    record = user.provision_product(ProductId=prod, ProvisioningArtifactId=artifact, PathId=paths[0]["Id"],
                                    ProvisionedProductName="mine",
                                    ProvisioningParameters=[{"Key": "Name", "Value": "from-sc"}])["RecordDetail"]
    detail = user.describe_record(Id=record["RecordId"])
    assert detail["RecordDetail"]["Status"] == "SUCCEEDED"
    assert detail["RecordDetail"]["LaunchRoleArn"] == catalog["launch"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in detail["RecordOutputs"]}
    stack_arn = outputs["CloudformationStackARN"]
    stack = aws.client("cloudformation").describe_stacks(StackName=stack_arn)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["RoleARN"] == catalog["launch"]
    assert aws.client("ssm").get_parameter(Name=outputs["ParamName"])["Parameter"]["Value"] == "from-sc"
    pp = sc.describe_provisioned_product(Name="mine")["ProvisionedProductDetail"]
    assert pp["Status"] == "AVAILABLE" and pp["ProvisioningArtifactId"] == artifact
    with pytest.raises(ClientError) as exc:
        user.provision_product(ProductId=prod, ProvisioningArtifactId=artifact, ProvisionedProductName="mine")
    assert code(exc) == "DuplicateResourceException"

    update = user.update_provisioned_product(ProvisionedProductName="mine", ProvisioningParameters=[
        {"Key": "Name", "Value": "from-sc"}])["RecordDetail"]
    assert user.describe_record(Id=update["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"

    done = user.terminate_provisioned_product(ProvisionedProductName="mine")["RecordDetail"]
    assert user.describe_record(Id=done["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert aws.client("cloudformation").describe_stacks(StackName=stack_arn)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError):
        sc.describe_provisioned_product(Name="mine")


def test_failed_launch_is_recorded(aws, emulator, catalog):
    sc = aws.client("servicecatalog")
    pf = sc.create_portfolio(DisplayName="p", ProviderName="x")["PortfolioDetail"]["Id"]
    prod, artifact = product(sc, catalog["url"])
    sc.associate_product_with_portfolio(ProductId=prod, PortfolioId=pf)
    sc.associate_principal_with_portfolio(PortfolioId=pf, PrincipalARN=catalog["user"], PrincipalType="IAM")
    user = as_role(aws, emulator, catalog["user"])
    # the required parameter "Name" is missing: the stack cannot be created
    record = user.provision_product(ProductId=prod, ProvisioningArtifactId=artifact, ProvisionedProductName="broken")
    detail = user.describe_record(Id=record["RecordDetail"]["RecordId"])["RecordDetail"]
    assert detail["Status"] == "FAILED" and detail["RecordErrors"]
    assert sc.describe_provisioned_product(Name="broken")["ProvisionedProductDetail"]["Status"] == "ERROR"


def test_sagemaker_portfolio_after_enabling(aws, catalog):
    sm, sc = aws.client("sagemaker"), aws.client("servicecatalog")
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Disabled"
    assert sc.list_accepted_portfolio_shares(PortfolioShareType="AWS_SERVICECATALOG")["PortfolioDetails"] == []
    sm.enable_sagemaker_servicecatalog_portfolio()
    assert sm.get_sagemaker_servicecatalog_portfolio_status()["Status"] == "Enabled"
    shared = sc.list_accepted_portfolio_shares()["PortfolioDetails"]
    assert [p["ProviderName"] for p in shared] == ["Amazon SageMaker"]
    pf = shared[0]["Id"]
    sc.associate_principal_with_portfolio(PortfolioId=pf, PrincipalARN=catalog["user"], PrincipalType="IAM")
    assert sc.list_principals_for_portfolio(PortfolioId=pf)["Principals"][0]["PrincipalARN"] == catalog["user"]
    sc.disassociate_principal_from_portfolio(PortfolioId=pf, PrincipalARN=catalog["user"])
    assert sc.list_portfolios()["PortfolioDetails"] == []  # imported, not the account's own


def catalog_stack(url, launch, user, description="v1"):
    return {
        "Resources": {
            "Portfolio": {"Type": "AWS::ServiceCatalog::Portfolio", "Properties": {
                "DisplayName": "Data science", "ProviderName": "platform", "Description": description}},
            "Product": {"Type": "AWS::ServiceCatalog::CloudFormationProduct", "Properties": {
                "Name": "environment", "Owner": "platform",
                "ProvisioningArtifactParameters": [{"Name": "v1", "Info": {"LoadTemplateFromURL": url}}]}},
            "Assoc": {"Type": "AWS::ServiceCatalog::PortfolioProductAssociation", "Properties": {
                "PortfolioId": {"Ref": "Portfolio"}, "ProductId": {"Ref": "Product"}}},
            "Launch": {"Type": "AWS::ServiceCatalog::LaunchRoleConstraint", "DependsOn": "Assoc", "Properties": {
                "PortfolioId": {"Ref": "Portfolio"}, "ProductId": {"Ref": "Product"}, "RoleArn": launch}},
            "Access": {"Type": "AWS::ServiceCatalog::PortfolioPrincipalAssociation", "Properties": {
                "PortfolioId": {"Ref": "Portfolio"}, "PrincipalARN": user, "PrincipalType": "IAM"}},
        },
        "Outputs": {"PortfolioId": {"Value": {"Ref": "Portfolio"}}, "ProductId": {"Value": {"Ref": "Product"}},
                    "Artifacts": {"Value": {"Fn::GetAtt": ["Product", "ProvisioningArtifactIds"]}},
                    "Name": {"Value": {"Fn::GetAtt": ["Portfolio", "PortfolioName"]}}},
    }


def test_portfolio_through_cloudformation(aws, emulator, catalog):
    cfn, sc = aws.client("cloudformation"), aws.client("servicecatalog")
    cfn.create_stack(StackName="catalog", TemplateBody=json.dumps(catalog_stack(catalog["url"], catalog["launch"], catalog["user"])))
    stack = cfn.describe_stacks(StackName="catalog")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert out["Name"] == "Data science"
    assert sc.describe_portfolio(Id=out["PortfolioId"])["PortfolioDetail"]["Description"] == "v1"
    assert [a["Id"] for a in sc.list_provisioning_artifacts(ProductId=out["ProductId"])["ProvisioningArtifactDetails"]] == [out["Artifacts"]]
    assert [c["Type"] for c in sc.list_constraints_for_portfolio(PortfolioId=out["PortfolioId"])["ConstraintDetails"]] == ["LAUNCH"]
    user = as_role(aws, emulator, catalog["user"])
    assert [p["ProductId"] for p in user.search_products()["ProductViewSummaries"]] == [out["ProductId"]]

    cfn.update_stack(StackName="catalog", TemplateBody=json.dumps(
        catalog_stack(catalog["url"], catalog["launch"], catalog["user"], description="v2")))
    assert sc.describe_portfolio(Id=out["PortfolioId"])["PortfolioDetail"]["Description"] == "v2"

    cfn.delete_stack(StackName="catalog")
    assert cfn.describe_stacks(StackName=stack["StackId"])["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert sc.list_portfolios()["PortfolioDetails"] == []
    assert sc.search_products_as_admin()["ProductViewDetails"] == []


def test_provisioned_product_through_cloudformation(aws, catalog):
    cfn, sc = aws.client("cloudformation"), aws.client("servicecatalog")
    pf = sc.create_portfolio(DisplayName="p", ProviderName="x")["PortfolioDetail"]["Id"]
    prod, artifact = product(sc, catalog["url"])
    sc.associate_product_with_portfolio(ProductId=prod, PortfolioId=pf)
    # CloudFormation calls Service Catalog as the stack's role
    sc.associate_principal_with_portfolio(PortfolioId=pf, PrincipalARN=catalog["user"], PrincipalType="IAM")
    template = {"Resources": {"Env": {"Type": "AWS::ServiceCatalog::CloudFormationProvisionedProduct", "Properties": {
        "ProductId": prod, "ProvisioningArtifactId": artifact, "ProvisionedProductName": "from-stack",
        "ProvisioningParameters": [{"Key": "Name", "Value": "nested"}]}}},
        "Outputs": {"P": {"Value": {"Fn::GetAtt": ["Env", "Outputs.ParamName"]}}}}
    cfn.create_stack(StackName="consumer", TemplateBody=json.dumps(template), RoleARN=catalog["user"])
    stack = cfn.describe_stacks(StackName="consumer")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    param = stack["Outputs"][0]["OutputValue"]
    assert aws.client("ssm").get_parameter(Name=param)["Parameter"]["Value"] == "nested"
    cfn.delete_stack(StackName="consumer")
    with pytest.raises(ClientError):
        sc.describe_provisioned_product(Name="from-stack")


def test_a_product_update_leaves_exactly_the_declared_versions(aws, catalog):
    cfn, sc, s3 = aws.client("cloudformation"), aws.client("servicecatalog"), aws.client("s3")
    s3.put_object(Bucket="products", Key="p2.json", Body=json.dumps(PRODUCT_TEMPLATE))
    url2 = "https://products.s3.us-east-1.amazonaws.com/p2.json"

    def stack(*versions, replace=False):
        tpl = catalog_stack(catalog["url"], catalog["launch"], catalog["user"])
        props = tpl["Resources"]["Product"]["Properties"]
        props["ProvisioningArtifactParameters"] = [{"Name": n, "Info": {"LoadTemplateFromURL": u}} for n, u in versions]
        if replace:
            props["ReplaceProvisioningArtifacts"] = True
        return json.dumps(tpl)

    def versions(product_id):
        return {a["Name"]: a["Id"] for a in sc.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"]}

    cfn.create_stack(StackName="catalog", TemplateBody=stack(("v1", catalog["url"])))
    product_id = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="catalog")["Stacks"][0]["Outputs"]}["ProductId"]
    first = versions(product_id)
    cfn.update_stack(StackName="catalog", TemplateBody=stack(("v1", catalog["url"]), ("v2", url2)))
    both = versions(product_id)
    assert both["v1"] == first["v1"] and set(both) == {"v1", "v2"}  # the matching version keeps its id
    cfn.update_stack(StackName="catalog", TemplateBody=stack(("v2", url2)))
    assert versions(product_id) == {"v2": both["v2"]}  # v1 is no longer declared: deleted
    cfn.update_stack(StackName="catalog", TemplateBody=stack(("v2", url2), replace=True))
    replaced = versions(product_id)
    assert set(replaced) == {"v2"} and replaced["v2"] != both["v2"]  # new ids when asked
    assert cfn.describe_stacks(StackName="catalog")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
