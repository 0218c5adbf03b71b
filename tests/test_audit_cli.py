"""`secure-mlops audit` on the command line: input checks, exit codes, outputs, --stats."""

from __future__ import annotations

import json

import pytest
from helpers import cli

pytestmark = pytest.mark.usefixtures("wide_console")


def run(*args, env=None):
    r = cli("audit", *args, env=env)
    return r.code, r.stdout, r.err


def test_unknown_control_is_a_usage_error_before_any_call():
    code, _, err = run("--controls", "S3-01,NOPE-9")
    assert code == 2
    assert "--controls" in err and "NOPE-9" in err and "controls list" in err


def test_a_control_without_detective_mode_is_refused():
    from dataclasses import replace

    from secure_mlops.controls import Catalog, load_catalog
    from secure_mlops.errors import UserError

    real = load_catalog()
    controls = dict(real.controls)
    controls["S3-01"] = replace(controls["S3-01"], modes=("preventive",))
    catalog = Catalog(controls=controls, questions=real.questions)
    with pytest.raises(UserError, match="not detective controls: S3-01"):
        catalog.select("detective", "S3-01")
    assert [c.id for c in catalog.select("detective", "s3-02, S3-03")] == ["S3-02", "S3-03"]


def test_bad_accounts_file_names_file_and_field(tmp_path):
    bad = tmp_path / "accounts.yml"
    bad.write_text("accounts:\n  - account_id: '12345'\n    name: dev\n    role: arn:aws:iam::12345:role/x\n")
    code, _, err = run("--accounts", str(bad), "--region", "us-east-1")
    assert code == 2
    assert "accounts.yml" in err and "accounts/0/account_id" in err


def test_missing_configuration_is_a_usage_error(tmp_path):
    code, _, err = run("-c", str(tmp_path / "nope.yaml"))
    assert code == 2 and "nope.yaml" in err


def test_missing_region_with_credentials_is_exit_2(tmp_path):
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": None,
           "AWS_DEFAULT_REGION": None, "AWS_PROFILE": None, "AWS_ENDPOINT_URL": None,
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    code, _, err = run("--controls", "S3-01", env=env)
    assert code == 2 and "region" in err


@pytest.mark.emulator
def test_json_output_stats_and_exit_codes(aws, tmp_path):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="plain-bucket")  # SSE-S3 by default: S3-01 (high) fails
    out = tmp_path / "audit.json"
    code, stdout, err = run("--local", "--controls", "S3-01,S3-02", "--format", "json", "-o", str(out), "--stats")
    assert code == 1
    doc = json.loads(stdout)
    assert json.loads(out.read_text())["findings"] == doc["findings"]
    verdicts = {(f["control_id"], f["resource_id"]): f["status"] for f in doc["findings"]}
    assert verdicts == {("S3-01", "plain-bucket"): "FAIL", ("S3-02", "plain-bucket"): "PASS"}
    fail = next(f for f in doc["findings"] if f["status"] == "FAIL")
    assert fail["evidence"]["DefaultEncryption.SSEAlgorithm"] == "AES256"
    assert fail["resource_arn"] == "arn:aws:s3:::plain-bucket" and fail["account"] == "123456789012"
    assert "API calls" in err and "GetBucketEncryption" in err and "s3-01-bucket-default-encryption-kms" in err
    assert doc["stats"]["api_calls"]["s3:ListBuckets"] == 1
    # a threshold above the failure's severity: exit 0
    code, _, _ = run("--local", "--controls", "S3-01", "--fail-on", "critical")
    assert code == 0


@pytest.mark.emulator
def test_table_lists_failures(aws):
    aws.client("s3").create_bucket(Bucket="plain-bucket")
    code, stdout, _ = run("--local", "--controls", "S3-01")
    assert code == 1
    assert "S3-01" in stdout and "plain-bucket" in stdout and "FAIL" in stdout


@pytest.mark.emulator
def test_a_service_that_cannot_be_reached_is_error_and_the_audit_goes_on(aws, emulator):
    """SageMaker unreachable (its endpoint is a closed port): its controls are ERROR, never PASS;
    the other controls are still judged, and the run fails at any threshold."""
    from secure_mlops.provision.emulator.server import free_port

    aws.client("s3").create_bucket(Bucket="plain-bucket")  # new buckets block public access: S3-02 passes
    env = {"AWS_ENDPOINT_URL_SAGEMAKER": f"http://127.0.0.1:{free_port()}"}
    code, stdout, _ = run("--local", "--controls", "SM-NB-01,S3-02", "--format", "json", "--fail-on", "high",
                          env=env)
    doc = json.loads(stdout)
    by_control = {f["control_id"]: f for f in doc["findings"]}
    assert by_control["SM-NB-01"]["status"] == "ERROR"
    assert by_control["SM-NB-01"]["message"].startswith("not evaluated:")
    assert by_control["S3-02"]["status"] == "PASS"
    assert code == 1  # nothing FAILED, but a high control could not be evaluated


@pytest.mark.emulator
def test_configuration_gives_context_and_missing_ids_are_named(aws, config_file):
    code, stdout, _ = run("--local", "-c", str(config_file), "--controls", "S3-05,SM-EPC-02", "--format", "json")
    doc = json.loads(stdout)
    s305 = [f for f in doc["findings"] if f["control_id"] == "S3-05"]
    assert s305 and all(f["status"] == "ERROR" for f in s305)
    assert "does not publish /secure-mlops/" in s305[0]["message"] and "data-bucket" in s305[0]["message"]
    # the stage comes from the configuration: SM-EPC-02 applies only to prod, so nothing to report
    assert not [f for f in doc["findings"] if f["control_id"] == "SM-EPC-02"]
    assert code == 1


@pytest.mark.emulator
def test_accounts_file_audits_each_account(aws, tmp_path):
    """Two fake accounts reached with sts:AssumeRole: each has its own state."""
    from secure_mlops.audit.sessions import assume_role_session

    b = assume_role_session(aws, "arn:aws:iam::111111111111:role/x", "us-east-1")
    b.client("s3").create_bucket(Bucket="bucket-in-b")
    aws.client("s3").create_bucket(Bucket="bucket-in-a")
    accounts = tmp_path / "accounts.yml"
    accounts.write_text(
        "accounts:\n"
        "  - {account_id: '123456789012', name: a, role: 'arn:aws:iam::123456789012:role/audit', regions: [us-east-1]}\n"
        "  - {account_id: '111111111111', name: b, role: 'arn:aws:iam::111111111111:role/audit', regions: [us-east-1]}\n")
    code, stdout, _ = run("--local", "--accounts", str(accounts), "--controls", "S3-01", "--format", "json")
    doc = json.loads(stdout)
    seen = {(f["account"], f["resource_id"]) for f in doc["findings"]}
    assert seen == {("123456789012", "bucket-in-a"), ("111111111111", "bucket-in-b")}
    assert [a["account_id"] for a in doc["target"]["accounts"]] == ["123456789012", "111111111111"]
    assert code == 1


# ------------------------------------------------------------------------------ review items 5, 6, 14
@pytest.mark.emulator
def test_a_prod_endpoint_config_deployed_from_a_dev_environment_is_judged(aws, config_file):
    """Review item 5: the model-deploy project deploys a prod endpoint configuration (tagged
    stage=prod) from a dev environment; SM-EPC-02 judges it by its own tag."""
    sm = aws.client("sagemaker")
    sm.create_model(ModelName="abalone", ExecutionRoleArn="arn:aws:iam::123456789012:role/model",
                    PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/abalone:1"})
    for name, stage in (("abalone-prod-config", "prod"), ("abalone-staging-config", "staging")):
        sm.create_endpoint_config(EndpointConfigName=name, Tags=[{"Key": "stage", "Value": stage}],
                                  ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": "abalone",
                                                       "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    code, stdout, _ = run("--local", "-c", str(config_file), "--controls", "SM-EPC-02", "--format", "json")
    (f,) = json.loads(stdout)["findings"]  # the staging one is not a production endpoint: no finding
    assert (f["resource_id"], f["status"]) == ("abalone-prod-config", "FAIL")
    assert f["message"] == ("Endpoint configuration abalone-prod-config is tagged stage=prod but runs a "
                            "production variant on fewer than two instances.")
    assert code == 1


@pytest.mark.emulator
def test_controls_with_nothing_to_check_are_named_not_called_all_evaluated(aws):
    """Review item 6: an empty account-region passes no control; the summary says which found nothing."""
    aws.client("s3").create_bucket(Bucket="plain-bucket")
    code, stdout, _ = run("--local", "--controls", "S3-02,SM-NB-01,KMS-01")
    assert code == 0
    assert "Evaluated, no resource to check: KMS-01, SM-NB-01 (2 controls" in stdout
    assert "every control was evaluated" not in stdout
    assert "none was left unevaluated" in stdout
    code, stdout, _ = run("--local", "--controls", "S3-02")
    assert "Evaluated, no resource to check" not in stdout and "every control was evaluated" in stdout


ACCOUNT_FILES = {
    "role-not-an-arn": ('  - {account_id: "111111111111", name: x, role: notanarn, regions: [eu-west-1]}\n',
                        "field accounts/0/role: 'notanarn' is not an IAM role ARN"),
    "typo-key": ('  - {account_id: "111111111111", name: x, role: "arn:aws:iam::111111111111:role/a", '
                 'rgions: [eu-west-1]}\n', "field accounts/0/rgions: unknown key 'rgions'. Fix: did you mean 'regions'?"),
    "role-of-another-account": ('  - {account_id: "111111111111", role: "arn:aws:iam::222222222222:role/a"}\n',
                                "the role arn:aws:iam::222222222222:role/a is in account 222222222222, not in 111111111111"),
    "chain-with-a-bad-arn": ('  - {account_id: "111111111111", role: ["arn:aws:iam::222222222222:role/hop", "x"]}\n',
                             "field accounts/0/role/1: 'x' is not an IAM role ARN"),
    "region-typo": ('  - {account_id: "111111111111", role: "arn:aws:iam::111111111111:role/a", regions: [eu-wset-1]}\n',
                    "field accounts/0/regions/0: 'eu-wset-1' is not an AWS region"),
    "no-role-nor-profile": ('  - {account_id: "111111111111", name: x}\n',
                            "field accounts/0: needs role (an IAM role ARN to assume) or profile"),
    "yaml-error": ('  - account_id: "111111111111\n    name: [x\n',
                   "not valid YAML: while scanning a quoted scalar (line 2, column 17): found unexpected end of stream"),
}


@pytest.mark.parametrize("case", sorted(ACCOUNT_FILES))
def test_bad_accounts_files_are_refused_before_any_call(tmp_path, case):
    """Review item 14: each mistake named with its field, exit 2, no AWS call (no credentials needed)."""
    body, expected = ACCOUNT_FILES[case]
    path = tmp_path / "accounts.yml"
    path.write_text("accounts:\n" + body)
    code, _, err = run("--accounts", str(path), "--region", "us-east-1", "--controls", "S3-01")
    assert code == 2, err
    assert f"{path}" in err and expected in err, err
    assert "Traceback" not in err and "<unicode string>" not in err and len(err.strip().splitlines()) == 1
