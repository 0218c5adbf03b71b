"""Seed code of the model build project: preprocessing, metrics, the pipeline definition, and
running it on the emulator."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest

from secure_mlops.seed_code.model_build_train.pipelines import definition as pdef
from secure_mlops.seed_code.model_build_train.pipelines.abalone import evaluate, preprocess
from secure_mlops.seed_code.model_build_train.pipelines import run_pipeline

SAMPLE = run_pipeline.SAMPLE


def settings(**over):
    base = dict(region="us-east-1", team="team-a", role_arn="arn:aws:iam::123456789012:role/sm-exec",
                subnet_ids=("subnet-1", "subnet-2"), security_group_ids=("sg-1",),
                volume_kms_key="arn:aws:kms:us-east-1:123456789012:key/vol",
                output_kms_key="arn:aws:kms:us-east-1:123456789012:key/s3",
                data_bucket="data-bkt", model_bucket="model-bkt", model_package_group="team-models")
    base.update(over)
    return pdef.PipelineSettings(**base)


def test_sample_is_the_uci_file():
    assert hashlib.sha256(SAMPLE.read_bytes()).hexdigest() == \
        "de37cdcdcaaa50c309d514f248f7c2302a5f1f88c168905eba23fe2fbc78449f"


def test_preprocess_splits_and_encodes(tmp_path):
    counts = preprocess.run(SAMPLE, tmp_path, seed=7)
    assert counts == {"train": 2924, "validation": 627, "test": 626}
    rows = list(csv.reader(open(tmp_path / "train" / "train.csv")))
    assert len(rows) == 2924 and all(len(r) == 11 for r in rows)
    # target first and integral; one-hot sex sums to 1; measurements standardised on train
    assert all(float(r[0]).is_integer() and 1 <= float(r[0]) <= 29 for r in rows)
    assert all(sum(float(v) for v in r[1:4]) == 1.0 for r in rows)
    mean_length = sum(float(r[4]) for r in rows) / len(rows)
    assert abs(mean_length) < 1e-3
    # the same seed gives the same split
    again = tmp_path / "again"
    preprocess.run(SAMPLE, again, seed=7)
    assert (again / "test" / "test.csv").read_bytes() == (tmp_path / "test" / "test.csv").read_bytes()


def test_preprocess_rejects_malformed_rows(tmp_path):
    bad = tmp_path / "bad.data"
    bad.write_text("M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\nX,1,1,1,1,1,1,1,1\n")
    with pytest.raises(ValueError, match=r"bad.data:2: sex must be one of"):
        preprocess.read_rows(bad)
    bad.write_text("M,0.455,0.365\n")
    with pytest.raises(ValueError, match=r"bad.data:1: expected 9 columns"):
        preprocess.read_rows(bad)


def test_regression_metrics():
    m = evaluate.regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])["regression_metrics"]
    assert m["mse"]["value"] == pytest.approx(4 / 3)
    assert m["rmse"]["value"] == pytest.approx((4 / 3) ** 0.5)
    assert m["mae"]["value"] == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        evaluate.regression_metrics([], [])


def _job_steps(defn):
    out = []
    for step in defn["Steps"]:
        out.append(step)
        if step["Type"] == "Condition":
            out += step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"]
    return [s for s in out if s["Type"] in ("Training", "Processing", "Transform")]


def test_every_job_step_carries_the_job_controls():
    defn = pdef.build_definition(settings())
    params = {p["Name"]: p["DefaultValue"] for p in defn["Parameters"]}
    steps = _job_steps(defn)
    assert [s["Name"] for s in steps] == ["PreprocessAbaloneData", "TrainAbaloneModel", "EvaluateAbaloneModel"]
    for step in steps:
        a = step["Arguments"]
        if step["Type"] == "Training":
            vpc, iso, enc = a["VpcConfig"], a["EnableNetworkIsolation"], a["EnableInterContainerTrafficEncryption"]
            vol, out = a["ResourceConfig"]["VolumeKmsKeyId"], a["OutputDataConfig"]["KmsKeyId"]
        else:
            net = a["NetworkConfig"]
            vpc, iso, enc = net["VpcConfig"], net["EnableNetworkIsolation"], net["EnableInterContainerTrafficEncryption"]
            vol, out = a["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"], a["ProcessingOutputConfig"]["KmsKeyId"]
        assert vpc == {"Subnets": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}, step["Name"]
        assert iso is True and enc is True, step["Name"]
        assert params[vol["Get"].split(".")[1]].endswith("key/vol"), step["Name"]
        assert params[out["Get"].split(".")[1]].endswith("key/s3"), step["Name"]


def test_model_is_registered_unapproved_with_lineage():
    defn = pdef.build_definition(settings())
    cond = next(s for s in defn["Steps"] if s["Type"] == "Condition")
    reg = cond["Arguments"]["IfSteps"][0]["Arguments"]
    params = {p["Name"]: p["DefaultValue"] for p in defn["Parameters"]}
    assert params[reg["ModelApprovalStatus"]["Get"].split(".")[1]] == "PendingManualApproval"
    assert reg["ModelPackageGroupName"] == "team-models"
    assert reg["MetadataProperties"]["GeneratedBy"] == {"Get": "Execution.PipelineExecutionArn"}
    assert set(reg["CustomerMetadataProperties"]) >= {"training_data", "registered_by"}
    assert {"Key": "team", "Value": "team-a"} in reg["Tags"]
    assert reg["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"].endswith("evaluation.json")
    image = reg["InferenceSpecification"]["Containers"][0]["Image"]
    assert image.startswith("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:")


def test_settings_refuse_missing_controls():
    with pytest.raises(ValueError, match="volume_kms_key"):
        settings(volume_kms_key="")
    with pytest.raises(ValueError, match="subnet_ids"):
        settings(subnet_ids=())


@pytest.mark.emulator
def test_run_pipeline_on_the_emulator(aws):
    from secure_mlops.envcontext import parameter_name

    ssm, s3, kms = aws.client("ssm"), aws.client("s3"), aws.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    for b in ("env-data", "env-models"):
        s3.create_bucket(Bucket=b)
    values = {"team": "team-a", "private-subnet-ids": "subnet-a,subnet-b", "sagemaker-security-group-id": "sg-123",
              "volume-kms-key-arn": key, "s3-kms-key-arn": key, "data-bucket": "env-data",
              "model-bucket": "env-models", "model-package-group-name": "team-models",
              "sagemaker-execution-role-arn": "arn:aws:iam::123456789012:role/sm-exec"}
    for k, v in values.items():
        ssm.put_parameter(Name=parameter_name("ds-dev", k), Value=v,
                          Type="StringList" if "," in v else "String")
    s = run_pipeline.settings_from_environment(aws, "ds-dev", "abalone")
    assert s.subnet_ids == ("subnet-a", "subnet-b")
    run_pipeline.upload_inputs(aws, s)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="env-data")["Contents"]}
    assert keys == {"abalone/code/preprocess.py", "abalone/code/evaluate.py", "abalone/abalone.data"}
    arn = run_pipeline.upsert_pipeline(aws, "abalone-model-build", s)
    assert arn == run_pipeline.upsert_pipeline(aws, "abalone-model-build", s)  # update, not a second pipeline
    sm = aws.client("sagemaker")
    stored = json.loads(sm.describe_pipeline(PipelineName="abalone-model-build")["PipelineDefinition"])
    assert [st["Name"] for st in stored["Steps"]][:3] == ["PreprocessAbaloneData", "TrainAbaloneModel",
                                                          "EvaluateAbaloneModel"]
    desc = run_pipeline.start(aws, "abalone-model-build")
    assert desc["PipelineExecutionStatus"] in ("Executing", "Succeeded")


@pytest.mark.emulator
def test_run_pipeline_names_missing_parameters(aws):
    with pytest.raises(SystemExit, match="provision the environment"):
        run_pipeline.settings_from_environment(aws, "nope", "abalone")


# ------------------------------------------------------------------ model deploy seed
from secure_mlops.seed_code.model_deploy import build as deploy_build  # noqa: E402


@pytest.mark.emulator
def test_deploy_build_picks_the_newest_approved_package(aws):
    sm = aws.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="team-models")
    spec = {"Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"}],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
    with pytest.raises(deploy_build.NoApprovedModel, match="no Approved model package"):
        deploy_build.latest_approved_package(sm, "team-models")
    arns = []
    for status, project in (("Approved", "abalone"), ("PendingManualApproval", "abalone"), ("Approved", "other")):
        arns.append(sm.create_model_package(ModelPackageGroupName="team-models", InferenceSpecification=spec,
                                            ModelApprovalStatus=status,
                                            CustomerMetadataProperties={"pipeline": project})["ModelPackageArn"])
    assert deploy_build.latest_approved_package(sm, "team-models") == arns[2]
    assert deploy_build.latest_approved_package(sm, "team-models", "abalone") == arns[0]
    with pytest.raises(deploy_build.NoApprovedModel, match="registered by project 'nope'"):
        deploy_build.latest_approved_package(sm, "team-models", "nope")


def test_deploy_parameters_point_at_the_environment():
    params = {p["ParameterKey"]: p["ParameterValue"] for p in deploy_build.parameters(
        "ds-dev", "abalone", "prod", "arn:pkg/1", {"InstanceCount": 2})}
    assert params["ModelPackageArn"] == "arn:pkg/1" and params["InstanceCount"] == "2"
    assert params["VolumeKmsKeyArn"] == "/secure-mlops/ds-dev/volume-kms-key-arn"
    from secure_mlops.envcontext import PARAMETERS

    assert {v.rsplit("/", 1)[1] for k, v in params.items() if v.startswith("/secure-mlops/")} <= set(PARAMETERS)


def test_prod_runs_more_than_one_instance():
    cfg = json.loads((deploy_build.HERE / "prod-config.json").read_text())
    assert cfg["InstanceCount"] > 1


# ------------------------------------------------------------------ packaging
def test_seed_archives_are_deterministic_and_self_contained(tmp_path):
    import io
    import subprocess
    import sys
    import zipfile

    from secure_mlops.seed_code import package

    a = package.seed_archive("model-build-train")
    assert a == package.seed_archive("model-build-train")
    names = set(zipfile.ZipFile(io.BytesIO(a)).namelist())
    assert {"buildspec.yml", "pipelines/run_pipeline.py", "pipelines/definition.py", "pipelines/envcontext.py",
            "pipelines/sagemaker_images.py", "pipelines/abalone/preprocess.py", "data/abalone/abalone.data",
            "data/abalone/LICENSE"} <= names
    assert not any("__pycache__" in n for n in names)
    # the unpacked repository builds a definition without secure-mlops on the path
    zipfile.ZipFile(io.BytesIO(a)).extractall(tmp_path)
    code = ("import json;from pipelines.definition import PipelineSettings,build_definition;"
            "s=PipelineSettings(region='eu-west-1',team='t',role_arn='r',subnet_ids=('a',),security_group_ids=('b',),"
            "volume_kms_key='k',output_kms_key='k',data_bucket='d',model_bucket='m',model_package_group='g');"
            "print(json.dumps(build_definition(s))[:20])")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path), "PYTHONNOUSERSITE": "1"}
    out = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == '{"Version": "2020-12\n', out.stdout  # the definition's first 20 characters
    deploy = set(zipfile.ZipFile(io.BytesIO(package.seed_archive("model-deploy"))).namelist())
    assert {"build.py", "buildspec.yml", "endpoint-config-template.yaml", "prod-config.json"} <= deploy


def test_project_templates_point_at_the_environment():
    from secure_mlops.seed_code import package

    text = package.project_template("model-deploy", "risk-prod")
    assert "/secure-mlops/risk-prod/s3-kms-key-arn" in text and "ds-team-dev" not in text
    with pytest.raises(KeyError):
        package.project_template("nope", "x")


@pytest.mark.parametrize("template", [
    "project_templates/model-build-train.yaml",
    "project_templates/model-deploy.yaml",
    "model_deploy/endpoint-config-template.yaml",
])
def test_seed_templates_pass_cfn_lint(template):
    import subprocess
    import sys
    from pathlib import Path

    path = Path(pdef.__file__).resolve().parents[2] / template
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    out = subprocess.run([str(cfn_lint), "--format", "parseable", str(path)], capture_output=True, text=True)
    # exit code bits: 2 errors, 4 warnings, 8 informational; a non-template/parse problem is 1
    assert out.returncode & 3 == 0, out.stdout + out.stderr
