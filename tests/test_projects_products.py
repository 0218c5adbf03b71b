"""The MLOps project templates as Service Catalog products of an environment, end to end on the emulator.

`provision` uploads the seed archives and the rendered project templates, the env stack offers them
in the team's portfolio; a data scientist creates a SageMaker project from each; the project's
stack deploys with the seed code in its repository, reads back, and passes the audit; a changed
template becomes a new product version while projects keep theirs; provisioning again changes
nothing; deleting the projects keeps their code and buckets; destroy removes the portfolio.
One scenario, one provisioned environment: provisioning dominates the test's time.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from helpers import cli

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.usefixtures("wide_console")]

ENV = "ds-team-dev"
USE_ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMakerServiceCatalogProductsUseRole"
LAUNCH_ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMakerServiceCatalogProductsLaunchRole"


def run(*args) -> tuple[int, str]:
    r = cli(*args)
    return r.code, r.text


def outputs(cf, stack: str) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])}


def as_data_scientist(aws, emulator, role_arn: str):
    """A session of the data scientist persona (assumed with MFA, as its trust policy requires)."""
    import boto3

    creds = aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="alice",
                                          SerialNumber="arn:aws:iam::123456789012:mfa/alice",
                                          TokenCode="123456")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name="us-east-1")
    return lambda service: session.client(service, endpoint_url=emulator.endpoint)


def template_of(aws, product_id: str) -> tuple[str, dict]:
    """The template body of a product's (only) provisioning artifact, and the artifact."""
    from secure_mlops.provision.templatefile import parse

    sc, s3 = aws.client("servicecatalog"), aws.client("s3")
    [artifact] = sc.list_provisioning_artifacts(ProductId=product_id)["ProvisioningArtifactDetails"]
    info = sc.describe_provisioning_artifact(ProductId=product_id, ProvisioningArtifactId=artifact["Id"],
                                             Verbose=True)["Info"]
    bucket, _, key = info["TemplateUrl"].split("/", 3)[3].partition("/")
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return text, {**artifact, "bucket": bucket, "key": key, "template": parse(text)}


def test_the_environment_offers_both_project_templates_and_projects_launch_from_them(
        config_file, aws, emulator, monkeypatch, tmp_path):
    code, out = run("provision", "--local", "-c", str(config_file))
    assert code == 0, out
    assert "uploaded model-build-train.zip" in out and "uploaded model-deploy.yaml" in out
    cf, sc, s3 = aws.client("cloudformation"), aws.client("servicecatalog"), aws.client("s3")
    env, core = outputs(cf, f"{ENV}-env"), outputs(cf, f"{ENV}-core")
    bucket = outputs(cf, f"{ENV}-artifacts")["ArtifactsBucketName"]
    portfolio = env["ProjectTemplatesPortfolioId"]
    products = {"model-build-train": env["ModelBuildTrainProductId"], "model-deploy": env["ModelDeployProductId"]}

    # --- the portfolio: both products, Studio-visible, launched by the SageMaker projects launch role
    listed = sc.search_products_as_admin(PortfolioId=portfolio)["ProductViewDetails"]
    assert {p["ProductViewSummary"]["ProductId"] for p in listed} == set(products.values())
    for product_id in products.values():
        tags = {t["Key"]: t["Value"] for t in sc.describe_product_as_admin(Id=product_id)["Tags"]}
        assert tags["sagemaker:studio-visibility"] == "true" and tags["environment"] == ENV
        [constraint] = sc.list_constraints_for_portfolio(PortfolioId=portfolio, ProductId=product_id)["ConstraintDetails"]
        assert constraint["Type"] == "LAUNCH"
        params = json.loads(sc.describe_constraint(Id=constraint["ConstraintId"])["ConstraintParameters"])
        assert params["RoleArn"] == core["SageMakerProductsLaunchRoleArn"] == LAUNCH_ROLE
    principals = {p["PrincipalARN"] for p in sc.list_principals_for_portfolio(PortfolioId=portfolio)["Principals"]}
    assert principals == {env["SageMakerExecutionRoleArn"], env["DataScientistRoleArn"], env["TeamAdminRoleArn"]}

    # --- each product's template: every default a launch from Studio needs, seed code tagged for the launch role
    for name, product_id in products.items():
        text, artifact = template_of(aws, product_id)
        params = artifact["template"]["Parameters"]
        assert params["SeedCodeBucket"]["Default"] == bucket == artifact["bucket"]
        assert params["ProjectRoleArn"]["Default"] == core["SageMakerProductsUseRoleArn"] == USE_ROLE
        assert params["EnvName"]["Default"] == ENV
        assert params["VpcId"]["Default"] == f"/secure-mlops/{ENV}/vpc-id"
        assert "ds-team-dev" in text and "/secure-mlops/ds-team-dev/" in text
        seed = s3.get_object(Bucket=bucket, Key=params["SeedCodeKey"]["Default"])["Body"].read()
        from secure_mlops.seed_code.package import seed_archive

        assert seed == seed_archive(name)
        for key in (params["SeedCodeKey"]["Default"], artifact["key"]):
            tagging = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
            assert {"Key": "servicecatalog:provisioning", "Value": "true"} in tagging
        if name == "model-deploy":
            assert params["CloudFormationRoleArn"]["Default"] == USE_ROLE
        required = [p for p, d in params.items() if "Default" not in d]
        assert sorted(required) == ["SageMakerProjectId", "SageMakerProjectName"], name

    # --- only the portfolio's principals see the products
    assert sc.search_products()["ProductViewSummaries"] == []  # the emulator's own identity is not associated
    client = as_data_scientist(aws, emulator, env["DataScientistRoleArn"])
    seen = {p["ProductId"] for p in client("servicecatalog").search_products()["ProductViewSummaries"]}
    assert seen == set(products.values())

    # --- a data scientist creates one project from each template (as Studio does)
    sm = client("sagemaker")
    stacks: dict[str, str] = {}
    ids: dict[str, str] = {}
    for project, name in (("abalone", "model-build-train"), ("abalone-deploy", "model-deploy")):
        [artifact] = sc.list_provisioning_artifacts(ProductId=products[name])["ProvisioningArtifactDetails"]
        sm.create_project(ProjectName=project, Tags=[{"Key": "team", "Value": "ds-team"}],
                          ServiceCatalogProvisioningDetails={"ProductId": products[name],
                                                             "ProvisioningArtifactId": artifact["Id"]})
        described = sm.describe_project(ProjectName=project)
        assert described["ProjectStatus"] == "CreateCompleted", described
        pp = described["ServiceCatalogProvisionedProductDetails"]["ProvisionedProductId"]
        stack = f"SC-123456789012-{pp}"
        summary = cf.describe_stacks(StackName=stack)["Stacks"][0]
        assert summary["StackStatus"] == "CREATE_COMPLETE"
        tags = {t["Key"]: t["Value"] for t in summary["Tags"]}
        assert tags["sagemaker:project-name"] == project and tags["sagemaker:project-id"] == described["ProjectId"]
        stacks[project] = stack
        ids[project] = described["ProjectId"]

    # the build project runs in the environment's network with its keys, and registers in the team's group
    build = {r["LogicalResourceId"]: r["PhysicalResourceId"]
             for r in cf.list_stack_resources(StackName=stacks["abalone"])["StackResourceSummaries"]}
    [codebuild] = aws.client("codebuild").batch_get_projects(names=[build["BuildProject"]])["projects"]
    assert codebuild["serviceRole"] == USE_ROLE and codebuild["encryptionKey"] == env["S3KmsKeyArn"]
    assert sorted(codebuild["vpcConfig"]["subnets"]) == sorted(env["PrivateSubnetIds"].split(","))
    variables = {v["name"]: v["value"] for v in codebuild["environment"]["environmentVariables"]}
    assert variables["MODEL_PACKAGE_GROUP_NAME"] == f"{ENV}-models" and variables["ENVIRONMENT_NAME"] == ENV
    cc = aws.client("codecommit")
    repo = f"sagemaker-abalone-{ids['abalone']}-model-build"
    meta = cc.get_repository(repositoryName=repo)["repositoryMetadata"]
    assert meta["repositoryId"] == build["Repository"]
    assert meta["kmsKeyId"] == env["S3KmsKeyArn"].rsplit("/", 1)[1]

    # --- each project's repository starts from its seed code: the initial commit holds the archive's files
    from secure_mlops.seed_code.package import seed_archive

    for repo, name, files in ((repo, "model-build-train", ("buildspec.yml", "pipelines/run_pipeline.py",
                                                             "pipelines/definition.py", "data/abalone/abalone.data")),
                              (f"sagemaker-abalone-deploy-{ids['abalone-deploy']}-model-deploy", "model-deploy",
                               ("buildspec.yml", "build.py", "endpoint-config-template.yaml"))):
        archive = zipfile.ZipFile(io.BytesIO(seed_archive(name)))
        commit = cc.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
        assert cc.get_commit(repositoryName=repo, commitId=commit)["commit"]["treeId"]
        for path in files:
            got = cc.get_file(repositoryName=repo, commitSpecifier="main", filePath=path)["fileContent"]
            assert got == archive.read(path), (repo, path)
        top = cc.get_folder(repositoryName=repo, commitSpecifier="main", folderPath="/")
        assert {f["relativePath"] for f in top["files"]} == {n for n in archive.namelist() if "/" not in n}

    # --- every resource of both project stacks reads back as its template declares
    for stack in stacks.values():
        code, out = run("verify", "--local", "--stack", stack)
        assert code == 0, out
        assert "0 mismatch(es)" in out

    # --- the audit finds nothing wrong with what the projects created
    report = config_file.with_name("audit.json")
    code, out = run("audit", "--local", "--format", "json", "-o", str(report))
    findings = json.loads(report.read_text())["findings"]
    created = {r["PhysicalResourceId"] for stack in stacks.values()
               for r in cf.list_stack_resources(StackName=stack)["StackResourceSummaries"]}
    about = [f for f in findings if any(p and (p == f.get("resource_id") or p in (f.get("resource_arn") or ""))
                                        for p in created)]
    assert {f["control_id"] for f in about} >= {"S3-01", "S3-02", "S3-03", "ART-03"}
    assert [f for f in about if f["status"] != "PASS"] == []

    # --- a changed project template is uploaded (nothing else is) and becomes the product's new version;
    # the version the deploy project was launched from is kept while the project uses it
    from secure_mlops.seed_code import package

    objects = len(s3.list_object_versions(Bucket=bucket).get("Versions", []))
    before = {n: sc.list_provisioning_artifacts(ProductId=p)["ProvisioningArtifactDetails"] for n, p in products.items()}
    changed = tmp_path / "model-deploy.yaml"
    changed.write_text(package.PROJECT_TEMPLATES["model-deploy"].read_text().replace(
        "Description: Finds the newest approved model package", "Description: Looks up the newest approved model package"))
    monkeypatch.setitem(package.PROJECT_TEMPLATES, "model-deploy", changed)
    code, out = run("provision", "--local", "-c", str(config_file))
    assert code == 0, out  # includes the read-back: the product has exactly the declared versions
    assert f"{ENV}-env: UPDATE_COMPLETE" in out
    assert re.findall(r"uploaded (\S+) to", out) == ["model-deploy.yaml"]  # the seeds and the other template stay
    assert len(s3.list_object_versions(Bucket=bucket).get("Versions", [])) == objects + 1
    assert sc.list_provisioning_artifacts(ProductId=products["model-build-train"])["ProvisioningArtifactDetails"] \
        == before["model-build-train"]
    [old] = before["model-deploy"]
    now = sc.list_provisioning_artifacts(ProductId=products["model-deploy"])["ProvisioningArtifactDetails"]
    assert old["Id"] in {a["Id"] for a in now} and len(now) == 2
    [new] = [a for a in now if a["Id"] != old["Id"]]
    assert new["Name"] != old["Name"]
    info = sc.describe_provisioning_artifact(ProductId=products["model-deploy"], ProvisioningArtifactId=new["Id"],
                                             Verbose=True)["Info"]
    assert b"Looks up the newest approved model package" in s3.get_object(
        Bucket=bucket, Key=info["TemplateUrl"].split("/", 4)[4])["Body"].read()
    assert sm.describe_project(ProjectName="abalone-deploy")["ProjectStatus"] == "CreateCompleted"

    # --- provisioning again (live projects, a kept version) changes nothing and uploads nothing
    code, out = run("provision", "--local", "-c", str(config_file))
    assert code == 0, out
    assert "No change: the environment is deployed as configured." in out
    assert "uploaded" not in out

    # --- deleting a project removes its pipeline, keeps its code and artifacts
    deploy = {r["LogicalResourceId"]: r["PhysicalResourceId"]
              for r in cf.list_stack_resources(StackName=stacks["abalone-deploy"])["StackResourceSummaries"]}
    for project in stacks:
        sm.delete_project(ProjectName=project)
    assert sm.list_projects()["ProjectSummaryList"] == []
    live = {s["StackName"] for s in cf.describe_stacks()["Stacks"]}
    assert not live & set(stacks.values())
    kept = aws.client("codecommit").get_repository(
        repositoryName=f"sagemaker-abalone-deploy-{ids['abalone-deploy']}-model-deploy")["repositoryMetadata"]
    assert kept["repositoryId"] == deploy["Repository"]
    assert s3.get_bucket_policy(Bucket=deploy["ArtifactBucket"])["Policy"]
    with pytest.raises(aws.client("codepipeline").exceptions.PipelineNotFoundException):
        aws.client("codepipeline").get_pipeline(name=deploy["Pipeline"])

    # --- with no project on it, the earlier version goes
    code, out = run("provision", "--local", "-c", str(config_file))
    assert code == 0, out
    assert [a["Id"] for a in sc.list_provisioning_artifacts(ProductId=products["model-deploy"])[
        "ProvisioningArtifactDetails"]] == [new["Id"]]

    # --- the environment's portfolio, products and constraints go with it
    code, out = run("destroy", "--local", "-c", str(config_file), "-y")
    assert code == 0, out
    assert portfolio not in {p["Id"] for p in sc.list_portfolios()["PortfolioDetails"]}
    assert not [p for p in sc.search_products_as_admin()["ProductViewDetails"]
                if p["ProductViewSummary"]["ProductId"] in products.values()]
