"""Where commands act (secure_mlops/target.py): explicit AWS settings never fall back to the
emulator, credential failures are one message, regions botocore does not know are refused, and
--local / demo read nothing of the user's AWS configuration."""

from __future__ import annotations

import pytest
from helpers import cli

from secure_mlops.target import TargetError

pytestmark = pytest.mark.usefixtures("wide_console", "clean_env")

AWS_CONFIG = """\
[profile prod]
region = eu-central-1

[profile ssoexp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 111122223333
sso_role_name = Audit
region = eu-west-1

[profile cp]
credential_process = /bin/false
region = eu-west-1
"""


@pytest.fixture
def user_aws(tmp_path, monkeypatch):
    """A user's AWS configuration with profiles but no credentials anywhere (and no AWS_* set)."""
    import os

    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    config = tmp_path / "awsconfig"
    config.write_text(AWS_CONFIG)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no SSO token cache of the real user
    return config


def _no_emulator(monkeypatch):
    """Fail the test if anything tries to start the emulator."""
    from secure_mlops.provision.emulator import server

    def refuse(*a, **k):
        raise AssertionError("the emulator must not be started")

    monkeypatch.setattr(server, "start", refuse)


# ------------------------------------------------------------------------------ item 1: no silent fallback
@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_chosen_profile_without_credentials_is_an_error_not_the_emulator(user_aws, monkeypatch, how):
    _no_emulator(monkeypatch)
    args = ["--profile", "prod"] if how == "flag" else []
    if how == "env":
        monkeypatch.setenv("AWS_PROFILE", "prod")
    r = cli("audit", "--controls", "S3-01", *args)
    assert r.code == 2
    assert "AWS profile prod has no credentials" in r.err and "--local" in r.err
    assert "emulator instead" not in r.err and "Target:" not in r.err


def test_provision_plan_with_a_profile_without_credentials_is_an_error(user_aws, monkeypatch, config_file):
    _no_emulator(monkeypatch)
    r = cli("provision", "-c", config_file, "--profile", "prod", "--plan")
    assert r.code == 2 and "AWS profile prod has no credentials" in r.err


def test_a_credential_variable_without_credentials_is_an_error(user_aws, monkeypatch):
    _no_emulator(monkeypatch)
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci")  # web identity token missing
    with pytest.raises(TargetError, match="AWS_ROLE_ARN is set, but no AWS credentials could be loaded"):
        from secure_mlops.target import resolve

        resolve(region="eu-west-1")


def test_nothing_set_still_falls_back_to_the_emulator_and_says_so(user_aws, emulator, monkeypatch):
    from secure_mlops.target import resolve

    notices = []
    target = resolve(announce=notices.append)
    assert target.is_emulator and target.endpoint_url == emulator.endpoint
    assert any("No AWS credentials found: using the embedded emulator instead" in n for n in notices)


# ------------------------------------------------------------------------------ item 3: credential failures
def test_expired_sso_login_is_one_message_naming_the_fix(user_aws, monkeypatch):
    _no_emulator(monkeypatch)
    r = cli("audit", "--profile", "ssoexp", "--controls", "S3-01")
    assert r.code == 2
    assert "SSO session of AWS profile ssoexp has expired" in r.err
    assert "aws sso login --profile ssoexp" in r.err
    assert "Traceback" not in r.output


def test_failing_credential_process_is_one_message(user_aws, monkeypatch, config_file):
    _no_emulator(monkeypatch)
    r = cli("provision", "-c", config_file, "--profile", "cp", "--plan")
    assert r.code == 2
    assert "AWS profile cp: credentials could not be retrieved" in r.err and "credential_process" in r.err


# ------------------------------------------------------------------------------ item 2: a missing profile
@pytest.mark.parametrize("command", [
    ["audit", "--controls", "S3-01"],
    ["remediate", "--audit"],
    ["verify"],
    ["schedule", "status"],
])
def test_aws_profile_naming_a_missing_profile_is_one_message(user_aws, monkeypatch, config_file, command):
    _no_emulator(monkeypatch)
    monkeypatch.setenv("AWS_PROFILE", "missing")
    monkeypatch.chdir(config_file.parent)  # secure-mlops.yaml is the default -c
    r = cli(*command)
    assert r.code == 2, r.output
    assert "AWS profile 'missing' is not in" in r.err and "prod" in r.err  # the profiles that exist
    assert "Traceback" not in r.output


def test_validate_and_gate_do_not_read_aws_profile(user_aws, monkeypatch, config_file):
    from secure_mlops.provision.config import _region_known

    _region_known.cache_clear()  # the check must run under the broken profile
    monkeypatch.setenv("AWS_PROFILE", "missing")
    r = cli("validate", "-c", config_file)
    assert r.code == 0, r.output
    template = config_file.parent / "t.yaml"
    template.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    r = cli("gate", "-c", config_file, template)
    assert r.code == 0, r.output


def test_local_reads_nothing_of_the_users_aws_configuration(user_aws, monkeypatch):
    """With --local, a broken AWS_PROFILE has no effect: Cloud Custodian's import-time client and
    the emulator session must not read it, nor the config and credentials files."""
    import os

    from secure_mlops import target

    seen = {}

    def fake_emulator_target(region, reason, announce):
        seen.update({k: os.environ.get(k) for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")})
        import botocore.session

        botocore.session.Session().get_scoped_config()  # what aws_xray_sdk's import does: no ProfileNotFound
        raise TargetError("stop here")

    monkeypatch.setattr(target, "_emulator_target", fake_emulator_target)
    monkeypatch.setenv("AWS_PROFILE", "missing")
    r = cli("audit", "--local", "--controls", "S3-01")
    assert r.code == 2 and "stop here" in r.err  # got as far as the target, past the c7n import
    assert seen == {"AWS_PROFILE": None, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def test_local_with_an_explicit_profile_is_refused(user_aws, monkeypatch):
    _no_emulator(monkeypatch)
    r = cli("audit", "--local", "--profile", "prod", "--controls", "S3-01")
    assert r.code == 2 and "--local acts on the embedded emulator and --profile prod on AWS" in r.err


def test_report_without_security_hub_needs_no_profile(user_aws, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_PROFILE", "missing")
    r = cli("report", tmp_path / "nope.json")
    assert r.code == 2 and "nope.json" in r.err and "profile" not in r.err


# ------------------------------------------------------------------------------ item 6: regions
def test_regions_botocore_knows():
    from secure_mlops.target import check_region, known_regions, service_regions

    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= known_regions()
    assert "eu-west-1" in service_regions("api.sagemaker")
    assert check_region("eu-central-1") == "eu-central-1"


@pytest.mark.parametrize("how", ["aws", "emulator-flag", "emulator-env"])
def test_a_region_botocore_does_not_know_is_refused_before_any_call(user_aws, monkeypatch, how):
    import time

    _no_emulator(monkeypatch)
    if how == "aws":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
        monkeypatch.setenv("AWS_REGION", "eu-wset-1")
        args = []
    elif how == "emulator-flag":
        args = ["--local", "--region", "eu-wset-1"]
    else:
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-wset-1")
        args = ["--local"]
    start = time.monotonic()
    r = cli("audit", "--controls", "S3-01", *args)
    assert r.code == 2, r.output
    assert "'eu-wset-1' is not an AWS region" in r.err and "use eu-west-1" in r.err
    assert time.monotonic() - start < 5  # no wait for an endpoint that does not exist


def test_aws_region_is_honoured_on_aws(user_aws, monkeypatch):
    """botocore ignores AWS_REGION; the documented variable must not be dropped silently."""
    from secure_mlops import target

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    seen = {}

    class Refused(Exception):
        pass

    def client(self, name, **kwargs):
        seen["region"] = self.region_name
        raise Refused

    import boto3

    monkeypatch.setattr(boto3.Session, "client", client)
    with pytest.raises(Refused):
        target.resolve()
    assert seen["region"] == "eu-west-2"


def test_local_env_refuses_an_unknown_region():
    r = cli("local", "env", "--region", "eu-west-9")
    assert r.code == 2 and "'eu-west-9' is not an AWS region" in r.err


# ------------------------------------------------------------------------------ item 4: --region vs the configuration
@pytest.mark.parametrize("command", [
    ["provision", "--plan"], ["destroy", "-y"], ["verify"], ["verify", "--stack", "some-stack"],
    ["schedule", "status"], ["schedule", "deploy", "--plan"], ["schedule", "remove", "-y"], ["audit"],
])
def test_region_contradicting_the_configuration_is_refused(monkeypatch, config_file, command):
    _no_emulator(monkeypatch)
    r = cli(*command, "-c", config_file, "--region", "eu-west-1", "--local")
    assert r.code == 2, r.output
    assert "--region eu-west-1 differs from the configuration's region (us-east-1)" in r.err
    assert "field region" in r.err and str(config_file) in r.err and "Target:" not in r.err


def test_verify_stack_without_c_ignores_no_file_silently(tmp_path, monkeypatch):
    _no_emulator(monkeypatch)
    r = cli("verify", "--stack", "X", "-c", tmp_path / "nonexist.yaml", "--local")
    assert r.code == 2 and "nonexist.yaml" in r.err
