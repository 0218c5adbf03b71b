"""SageMaker model package groups (policies, deletion) and projects on the emulator."""

import json

import pytest
from botocore.exceptions import ClientError
from helpers import create_stack

pytestmark = pytest.mark.emulator

POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "Staging", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": ["sagemaker:DescribeModelPackage"], "Resource": "*"}]}


def code(exc):
    return exc.value.response["Error"]["Code"]


def test_model_package_group_policy_and_deletion(aws):
    sm = aws.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="models")
    with pytest.raises(ClientError, match="already exists"):
        sm.create_model_package_group(ModelPackageGroupName="models")
    with pytest.raises(ClientError, match="Cannot find resource policy"):
        sm.get_model_package_group_policy(ModelPackageGroupName="models")
    sm.put_model_package_group_policy(ModelPackageGroupName="models", ResourcePolicy=json.dumps(POLICY))
    assert json.loads(sm.get_model_package_group_policy(ModelPackageGroupName="models")["ResourcePolicy"]) == POLICY
    with pytest.raises(ClientError) as exc:
        sm.put_model_package_group_policy(ModelPackageGroupName="models", ResourcePolicy="not json")
    assert code(exc) == "ValidationException"
    sm.delete_model_package_group_policy(ModelPackageGroupName="models")
    sm.create_model_package(ModelPackageGroupName="models", ModelApprovalStatus="PendingManualApproval",
                            InferenceSpecification={"Containers": [{"Image": "img"}],
                                                    "SupportedContentTypes": ["text/csv"],
                                                    "SupportedResponseMIMETypes": ["text/csv"]})
    with pytest.raises(ClientError) as exc:
        sm.delete_model_package_group(ModelPackageGroupName="models")
    assert code(exc) == "ConflictException"
    sm.create_model_package_group(ModelPackageGroupName="empty")
    sm.delete_model_package_group(ModelPackageGroupName="empty")
    assert [g["ModelPackageGroupName"] for g in sm.list_model_package_groups()["ModelPackageGroupSummaryList"]] == ["models"]


def group_template(policy):
    props = {"ModelPackageGroupName": "team-models", "ModelPackageGroupDescription": "models of the team",
             "Tags": [{"Key": "team", "Value": "ds"}]}
    if policy is not None:
        props["ModelPackageGroupPolicy"] = policy
    return json.dumps({"Resources": {"Group": {"Type": "AWS::SageMaker::ModelPackageGroup", "Properties": props}},
                       "Outputs": {"Arn": {"Value": {"Ref": "Group"}},
                                   "Status": {"Value": {"Fn::GetAtt": ["Group", "ModelPackageGroupStatus"]}}}})


def test_model_package_group_through_cloudformation(aws):
    cfn, sm = aws.client("cloudformation"), aws.client("sagemaker")
    out = create_stack(cfn, "registry", group_template(POLICY))
    assert out["Arn"].endswith(":model-package-group/team-models") and out["Status"] == "Completed"
    assert json.loads(sm.get_model_package_group_policy(ModelPackageGroupName="team-models")["ResourcePolicy"]) == POLICY
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=out["Arn"])["Tags"]}
    assert tags["team"] == "ds" and tags["aws:cloudformation:logical-id"] == "Group"  # CloudFormation's system tags
    cfn.update_stack(StackName="registry", TemplateBody=group_template(None))
    with pytest.raises(ClientError):
        sm.get_model_package_group_policy(ModelPackageGroupName="team-models")
    cfn.delete_stack(StackName="registry")
    assert sm.list_model_package_groups()["ModelPackageGroupSummaryList"] == []


PROJECT_TEMPLATE = {
    "Parameters": {"SageMakerProjectName": {"Type": "String"}, "SageMakerProjectId": {"Type": "String"}},
    "Resources": {"Marker": {"Type": "AWS::SSM::Parameter", "Properties": {
        "Name": {"Fn::Sub": "/projects/${SageMakerProjectName}"}, "Type": "String", "Value": {"Ref": "SageMakerProjectId"}}}},
}


@pytest.fixture
def project_product(aws):
    s3, sc = aws.client("s3"), aws.client("servicecatalog")
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="project.json", Body=json.dumps(PROJECT_TEMPLATE))
    pf = sc.create_portfolio(DisplayName="projects", ProviderName="platform")["PortfolioDetail"]["Id"]
    r = sc.create_product(Name="mlops", Owner="platform", ProductType="CLOUD_FORMATION_TEMPLATE",
                          ProvisioningArtifactParameters={"Name": "v1", "Info": {
                              "LoadTemplateFromURL": "https://templates.s3.amazonaws.com/project.json"}})
    product = r["ProductViewDetail"]["ProductViewSummary"]["ProductId"]
    sc.associate_product_with_portfolio(ProductId=product, PortfolioId=pf)
    # the caller of CreateProject must be able to launch the product, as on AWS
    caller = aws.client("sts").get_caller_identity()["Arn"].replace("arn:aws:sts::", "arn:aws:iam::")
    sc.associate_principal_with_portfolio(PortfolioId=pf, PrincipalARN=caller, PrincipalType="IAM")
    return product, r["ProvisioningArtifactDetail"]["Id"]


def test_project_provisions_its_product(aws, project_product):
    sm, ssm, sc = aws.client("sagemaker"), aws.client("ssm"), aws.client("servicecatalog")
    product, artifact = project_product
    r = sm.create_project(ProjectName="churn", ServiceCatalogProvisioningDetails={
        "ProductId": product, "ProvisioningArtifactId": artifact})
    p = sm.describe_project(ProjectName="churn")
    assert p["ProjectStatus"] == "CreateCompleted" and p["ProjectId"] == r["ProjectId"]
    assert ssm.get_parameter(Name="/projects/churn")["Parameter"]["Value"] == r["ProjectId"]
    pp = p["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductId"]
    assert sc.describe_provisioned_product(Id=pp)["ProvisionedProductDetail"]["Status"] == "AVAILABLE"
    assert [x["ProjectName"] for x in sm.list_projects()["ProjectSummaryList"]] == ["churn"]
    with pytest.raises(ClientError, match="already exists"):
        sm.create_project(ProjectName="churn", ServiceCatalogProvisioningDetails={"ProductId": product})
    sm.delete_project(ProjectName="churn")
    with pytest.raises(ClientError):
        ssm.get_parameter(Name="/projects/churn")
    with pytest.raises(ClientError):
        sm.describe_project(ProjectName="churn")


def test_project_through_cloudformation(aws, project_product):
    cfn, sm = aws.client("cloudformation"), aws.client("sagemaker")
    product, artifact = project_product
    template = {"Resources": {"Project": {"Type": "AWS::SageMaker::Project", "Properties": {
        "ProjectName": "fraud", "ServiceCatalogProvisioningDetails": {"ProductId": product, "ProvisioningArtifactId": artifact}}}},
        "Outputs": {"Id": {"Value": {"Fn::GetAtt": ["Project", "ProjectId"]}}}}
    cfn.create_stack(StackName="project", TemplateBody=json.dumps(template))
    stack = cfn.describe_stacks(StackName="project")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert sm.describe_project(ProjectName="fraud")["ProjectId"] == stack["Outputs"][0]["OutputValue"]
    cfn.delete_stack(StackName="project")
    assert sm.list_projects()["ProjectSummaryList"] == []
