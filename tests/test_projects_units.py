"""The MLOps project products without the emulator: rendering the templates, the uploads the env
stack needs, and the gate on what provision deploys."""

from __future__ import annotations

import pytest

from secure_mlops.provision.config import example_config, load_config
from secure_mlops.provision.deploy_errors import DeployError
from secure_mlops.provision.stacks import PROJECT_PRODUCTS, plan_stacks, project_uploads
from secure_mlops.provision.templatefile import parse
from secure_mlops.provision.uploads import Upload, content_key, content_version
from secure_mlops.seed_code import package

OUTPUTS = {
    "team-a-artifacts": {"ArtifactsBucketName": "team-a-artifacts-bucket-1"},
    "team-a-core": {"SageMakerProductsUseRoleArn":
                    "arn:aws:iam::111122223333:role/service-role/AmazonSageMakerServiceCatalogProductsUseRole"},
}


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "secure-mlops.yaml"
    path.write_text(example_config().replace("name: ds-team-dev", "name: team-a"))
    loaded = load_config(path)
    assert loaded.name == "team-a"
    return loaded


# ------------------------------------------------------------------ package.set_default / project_template
def test_set_default_replaces_or_inserts_and_refuses_unknown_parameters():
    text = package.PROJECT_TEMPLATES["model-deploy"].read_text()
    out = package.set_default(text, "SeedCodeKey", "team-a/0123/model-deploy.zip")  # has a default
    out = package.set_default(out, "ProjectRoleArn", 'arn:aws:iam::1:role/x "quoted"')  # has none
    params = parse(out)["Parameters"]
    assert params["SeedCodeKey"]["Default"] == "team-a/0123/model-deploy.zip"
    assert params["ProjectRoleArn"]["Default"] == 'arn:aws:iam::1:role/x "quoted"'
    assert params["ProjectRoleArn"]["Type"] == "String"
    # everything else as written
    assert parse(out)["Resources"] == parse(text)["Resources"]
    assert out.count("\n") == text.count("\n") + 1
    with pytest.raises(KeyError, match="NoSuchParameter"):
        package.set_default(text, "NoSuchParameter", "x")
    with pytest.raises(KeyError, match="Repository"):  # a resource, not a parameter
        package.set_default(text, "Repository", "x")


def test_project_template_points_at_the_environment_and_sets_every_launch_default():
    text = package.project_template("model-build-train", "team-a", {"SeedCodeBucket": "b", "ProjectRoleArn": "r"})
    params = parse(text)["Parameters"]
    assert params["EnvName"]["Default"] == "team-a"
    assert params["ModelPackageGroupName"]["Default"] == "/secure-mlops/team-a/model-package-group-name"
    assert params["SeedCodeBucket"]["Default"] == "b" and params["ProjectRoleArn"]["Default"] == "r"
    assert "ds-team-dev" not in text


# ------------------------------------------------------------------ the uploads of the env stack
def test_the_env_stack_uploads_each_seed_archive_and_project_template(cfg):
    env = next(s for s in plan_stacks(cfg) if s.part == "env")
    assert [u.file_name for u in env.uploads] == [u.file_name for u in project_uploads(cfg)]
    names = [(u.file_name, u.parameter, u.version_parameter) for u in env.uploads]
    assert names == [
        ("model-build-train.zip", None, None),
        ("model-build-train.yaml", "ModelBuildTrainTemplateUrl", "ModelBuildTrainTemplateVersion"),
        ("model-deploy.zip", None, None),
        ("model-deploy.yaml", "ModelDeployTemplateUrl", "ModelDeployTemplateVersion"),
    ]
    for up in env.uploads:
        assert up.bucket_output == ("team-a-artifacts", "ArtifactsBucketName") and up.prefix == "team-a"
        assert up.tags == (("servicecatalog:provisioning", "true"),)  # the launch role may read them
    declared = parse(env.template_path.read_text())["Parameters"]
    for product in PROJECT_PRODUCTS.values():
        assert f"{product}TemplateUrl" in declared and f"{product}TemplateVersion" in declared
        assert declared[f"{product}TemplateUrl"]["Default"] == ""  # env.yaml alone (e.g. as a product) offers none


def test_a_rendered_project_template_names_the_uploaded_seed_and_the_core_stacks_role(cfg):
    uploads = {u.file_name: u for u in project_uploads(cfg)}
    for name in PROJECT_PRODUCTS:
        seed = uploads[f"{name}.zip"].content(OUTPUTS)
        assert seed == package.seed_archive(name)
        text = uploads[f"{name}.yaml"].content(OUTPUTS)
        assert text == uploads[f"{name}.yaml"].content(OUTPUTS)  # deterministic: same key, same version
        params = parse(text.decode())["Parameters"]
        assert params["SeedCodeBucket"]["Default"] == "team-a-artifacts-bucket-1"
        # the key the deployer puts the seed archive under (content-addressed)
        assert params["SeedCodeKey"]["Default"] == content_key(seed, f"{name}.zip", "team-a")
        role = OUTPUTS["team-a-core"]["SageMakerProductsUseRoleArn"]
        assert params["ProjectRoleArn"]["Default"] == role
        if name == "model-deploy":
            assert params["CloudFormationRoleArn"]["Default"] == role
        # Studio passes only the project's name and id
        assert sorted(p for p, d in params.items() if "Default" not in d) == ["SageMakerProjectId", "SageMakerProjectName"]


def test_rendering_needs_the_earlier_stacks_outputs_and_a_preview_does_not(cfg):
    template = next(u for u in project_uploads(cfg) if u.file_name == "model-deploy.yaml")
    with pytest.raises(DeployError, match="output SageMakerProductsUseRoleArn of stack team-a-core"):
        template.content({"team-a-artifacts": OUTPUTS["team-a-artifacts"]})
    preview = parse(template.preview().decode())["Parameters"]
    assert preview["SeedCodeBucket"]["Default"] == "<output ArtifactsBucketName of stack team-a-artifacts>"


def test_a_plain_file_upload_is_the_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Resources: {}\n")
    up = Upload(path=path, bucket_output=("s", "o"))
    assert up.content({}) == up.preview() == path.read_bytes() and up.is_template and up.file_name == "t.yaml"


def test_the_version_changes_exactly_when_the_content_does():
    assert content_version(b"a") == content_version(b"a") != content_version(b"b")
    assert content_version(b"a").startswith("v-") and len(content_version(b"a")) == 14


@pytest.mark.parametrize("name", list(PROJECT_PRODUCTS))
def test_rendered_project_templates_pass_cfn_lint(cfg, tmp_path, name):
    from cfnlint.api import ManualArgs, lint_file

    path = tmp_path / f"{name}.yaml"
    path.write_bytes(next(u for u in project_uploads(cfg) if u.file_name == path.name).content(OUTPUTS))
    matches = lint_file(path, ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert not [m for m in matches if m.rule.id.startswith(("E", "W"))], [str(m) for m in matches]


# ------------------------------------------------------------------ the gate, as provision runs it
def test_the_environment_and_its_project_templates_pass_the_gate(cfg, tmp_path):
    """What provision gates: the stack templates and the product templates uploaded with them."""
    from secure_mlops.provision.gating import gate_templates

    path = tmp_path / "secure-mlops.yaml"
    path.write_text(example_config())
    specs = plan_stacks(load_config(path))
    outcome = gate_templates(specs, None, {s.name: dict(s.parameters) for s in specs}, path)
    assert outcome.ok and outcome.failures == 0 and outcome.tags == {}


def test_the_gate_judges_the_rendered_project_templates(tmp_path, monkeypatch):
    """A project template that breaks a control stops provision (so the products are really gated)."""
    from secure_mlops.provision.gating import gate_templates

    broken = tmp_path / "model-deploy.yaml"
    broken.write_text(package.PROJECT_TEMPLATES["model-deploy"].read_text().replace(
        "          Id: !Ref ArtifactKmsKeyArn\n          Type: KMS\n", "          Id: alias/aws/s3\n          Type: KMS\n"))
    monkeypatch.setitem(package.PROJECT_TEMPLATES, "model-deploy", broken)
    path = tmp_path / "secure-mlops.yaml"
    path.write_text(example_config())
    specs = plan_stacks(load_config(path))
    outcome = gate_templates(specs, "testing the override", {s.name: dict(s.parameters) for s in specs}, path)
    assert outcome.failures >= 1
    assert outcome.tags["ds-team-dev-env"]["secure-mlops:gate-overridden-controls"] == "ART-03"


# ------------------------------------------------------------------ earlier versions projects still use
class _Fake:
    """The few CloudFormation and Service Catalog reads earlier_versions makes."""

    def __init__(self, stacks: dict, artifacts: dict, provisioned: list):
        self.stacks, self.artifacts, self.provisioned = stacks, artifacts, provisioned

    def client(self, name):
        return self

    def describe_stacks(self, StackName):
        import botocore.exceptions

        if StackName not in self.stacks:
            raise botocore.exceptions.ClientError({"Error": {"Code": "ValidationError",
                                                             "Message": f"Stack with id {StackName} does not exist"}},
                                                  "DescribeStacks")
        return {"Stacks": [self.stacks[StackName]]}

    def list_provisioning_artifacts(self, ProductId):
        return {"ProvisioningArtifactDetails": [{"Id": i, "Name": n} for n, i in self.artifacts[ProductId].items()]}

    def search_provisioned_products(self, **kwargs):
        assert kwargs["Filters"]["SearchQuery"][0].startswith("productId:prod-")
        return {"ProvisionedProducts": self.provisioned}  # unfiltered: the caller must filter too


def _env_stack(declared: dict) -> dict:
    return {"StackStatus": "UPDATE_COMPLETE", "Parameters": [{"ParameterKey": k, "ParameterValue": v}
                                                             for k, v in declared.items()],
            "Outputs": [{"OutputKey": "ModelBuildTrainProductId", "OutputValue": "prod-b"},
                        {"OutputKey": "ModelDeployProductId", "OutputValue": "prod-d"}]}


def _deployed(cfg):
    return {"team-a-artifacts": {"StackStatus": "CREATE_COMPLETE", "Outputs": [
                {"OutputKey": "ArtifactsBucketName", "OutputValue": "team-a-artifacts-bucket-1"}]},
            "team-a-core": {"StackStatus": "CREATE_COMPLETE", "Outputs": [
                {"OutputKey": "SageMakerProductsUseRoleArn",
                 "OutputValue": OUTPUTS["team-a-core"]["SageMakerProductsUseRoleArn"]}]}}


def test_earlier_versions_keeps_only_versions_projects_use_and_not_the_new_one(cfg):
    from secure_mlops.provision.stacks import earlier_versions

    current = content_version(next(u for u in project_uploads(cfg) if u.file_name == "model-deploy.yaml")
                              .content(OUTPUTS))
    declared = {"ModelDeployTemplateVersion": "v-2", "ModelDeployTemplateUrl": "u2",
                "ModelDeployEarlierTemplateVersion1": "v-1", "ModelDeployEarlierTemplateUrl1": "u1",
                "ModelDeployEarlierTemplateVersion2": "none", "ModelDeployEarlierTemplateUrl2": ""}
    stacks = {**_deployed(cfg), "team-a-env": _env_stack(declared)}
    artifacts = {"prod-b": {}, "prod-d": {"v-1": "pa-1", "v-2": "pa-2", current: "pa-3"}}
    # projects on v-1 and on the new version: only v-1 is kept (the new one is the product's current version)
    used = [{"ProductId": "prod-d", "ProvisioningArtifactId": "pa-1", "Name": "SageMaker-a"},
            {"ProductId": "prod-d", "ProvisioningArtifactId": "pa-3", "Name": "SageMaker-b"},
            {"ProductId": "prod-x", "ProvisioningArtifactId": "pa-2", "Name": "another product's"}]
    got = earlier_versions(cfg, _Fake(stacks, artifacts, used))
    assert (got["ModelDeployEarlierTemplateVersion1"], got["ModelDeployEarlierTemplateUrl1"]) == ("v-1", "u1")
    assert (got["ModelDeployEarlierTemplateVersion2"], got["ModelDeployEarlierTemplateUrl2"]) == ("none", "")
    assert got["ModelBuildTrainEarlierTemplateUrl1"] == ""

    # no env stack yet: nothing to keep, every slot empty (the values plan_stacks gives)
    env = next(s for s in plan_stacks(cfg) if s.part == "env")
    assert earlier_versions(cfg, _Fake(_deployed(cfg), {}, [])) == {
        k: v for k, v in env.parameters.items() if "EarlierTemplate" in k}


def test_more_earlier_versions_in_use_than_the_environment_keeps_stops_before_any_change(cfg):
    from secure_mlops.provision.stacks import earlier_versions

    declared = {"ModelDeployTemplateVersion": "v-3", "ModelDeployTemplateUrl": "u3",
                "ModelDeployEarlierTemplateVersion1": "v-2", "ModelDeployEarlierTemplateUrl1": "u2",
                "ModelDeployEarlierTemplateVersion2": "v-1", "ModelDeployEarlierTemplateUrl2": "u1"}
    stacks = {**_deployed(cfg), "team-a-env": _env_stack(declared)}
    artifacts = {"prod-b": {}, "prod-d": {"v-1": "pa-1", "v-2": "pa-2", "v-3": "pa-3"}}
    used = [{"ProductId": "prod-d", "ProvisioningArtifactId": f"pa-{i}", "Name": f"SageMaker-p{i}"} for i in (1, 2, 3)]
    with pytest.raises(DeployError, match=r"projects use 3 earlier versions of the model-deploy project template "
                                          r"\(v-3: SageMaker-p3; v-2: SageMaker-p2; v-1: SageMaker-p1\).*at most 2"):
        earlier_versions(cfg, _Fake(stacks, artifacts, used))


def test_the_gate_sees_the_env_stacks_project_resources_as_provision_deploys_them(tmp_path):
    """The portfolio and its policies exist only when the template URLs are given (the deployer's
    uploads); the gate judges the env template with those parameters filled, so it sees them."""
    import dataclasses

    from secure_mlops.provision.gating import gate_templates

    path = tmp_path / "secure-mlops.yaml"
    path.write_text(example_config())
    specs = plan_stacks(load_config(path))
    env = specs[2]
    text = env.template_path.read_text()
    anchor = "          - Sid: LaunchTheTeamsProjectTemplates\n"
    assert text.count(anchor) == 1
    broken = tmp_path / "env.yaml"  # the project policy of the personas grows an Allow of * on *
    broken.write_text(text.replace(anchor, '          - {Sid: Everything, Effect: Allow, Action: "*", Resource: "*"}\n'
                                           + anchor))
    specs[2] = dataclasses.replace(env, template_path=broken)
    outcome = gate_templates(specs, "testing", {s.name: dict(s.parameters) for s in specs}, path)
    assert "IAM-03" in outcome.tags["ds-team-dev-env"]["secure-mlops:gate-overridden-controls"]
