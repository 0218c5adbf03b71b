"""`secure-mlops schedule deploy|status|remove` on the emulator: what deploy creates, that a second
deploy changes nothing, what status shows, that remove keeps the findings; and, on a provisioned
environment, that the role the core stack creates covers every call the audit makes."""

from __future__ import annotations

import base64
import json
import re
import types

import helpers
import pytest

pytestmark = [pytest.mark.emulator, pytest.mark.usefixtures("wide_console")]

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture(scope="module")
def lambda_archive():
    from secure_mlops.audit.lambda_archive import build_archive

    return build_archive()


@pytest.fixture
def one_archive(lambda_archive, monkeypatch):
    """Every deploy of a test gets the archive built once for the module (it is deterministic)."""
    from secure_mlops.audit import lambda_archive as module

    monkeypatch.setattr(module, "build_archive", lambda: lambda_archive)
    return lambda_archive


def cli(*args):
    r = helpers.cli(*args)
    return r.code, r.stdout + r.err


@pytest.fixture
def env(aws, config_file, one_archive):
    """What deploy reads of an environment: the core stack's detective-control role (core.yaml's own
    definition), the log bucket (SSE-KMS) named in SSM, the log key alias."""
    from secure_mlops.cfn_template import load_template
    from secure_mlops.provision.config import load_config
    from secure_mlops.provision.stacks import TEMPLATES_DIR

    cfg = load_config(config_file)
    core = load_template(TEMPLATES_DIR / "core.yaml").data
    role = {k: v for k, v in core["Resources"]["DetectiveControlRole"].items() if k != "Condition"}
    template = {"AWSTemplateFormatVersion": "2010-09-09",
                "Parameters": {k: core["Parameters"][k] for k in ("EnvName", "Team", "Stage")},
                "Resources": {"DetectiveControlRole": role},
                "Outputs": {"DetectiveControlRoleArn": {"Value": {"Fn::GetAtt": ["DetectiveControlRole", "Arn"]}}}}
    cf = aws.client("cloudformation")
    cf.create_stack(StackName=f"{cfg.name}-core", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_NAMED_IAM"],
                    Parameters=[{"ParameterKey": "EnvName", "ParameterValue": cfg.name},
                                {"ParameterKey": "Team", "ParameterValue": cfg.team},
                                {"ParameterKey": "Stage", "ParameterValue": cfg.stage}])
    cf.get_waiter("stack_create_complete").wait(StackName=f"{cfg.name}-core")
    role_arn = cf.describe_stacks(StackName=f"{cfg.name}-core")["Stacks"][0]["Outputs"][0]["OutputValue"]
    kms, s3 = aws.client("kms"), aws.client("s3")
    s3_key = kms.create_key(Description="s3")["KeyMetadata"]["Arn"]
    log_key = kms.create_key(Description="logs")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=f"alias/{cfg.name}-flow-logs", TargetKeyId=log_key)
    bucket = f"{cfg.name}-logs"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": s3_key}}]})
    aws.client("ssm").put_parameter(Name=f"/secure-mlops/{cfg.name}/log-bucket", Value=bucket, Type="String")
    return types.SimpleNamespace(cfg=cfg, path=str(config_file), role_arn=role_arn, bucket=bucket, s3_key=s3_key,
                                 log_key=log_key, session=aws, archive=one_archive)


def function_of(aws, name):
    return aws.client("lambda").get_function(FunctionName=name)


def test_deploy_plan_creates_nothing_then_deploy_creates_everything_then_nothing_changes(env):
    aws, name = env.session, f"{env.cfg.name}-scheduled-audit"
    lam, events, logs = aws.client("lambda"), aws.client("events"), aws.client("logs")

    code, out = cli("schedule", "deploy", "--local", "-c", env.path, "--plan")
    assert code == 0, out
    assert out.count("create") >= 6 and "nothing was changed" in out
    assert f"sha256 {env.archive.sha256}" in out
    assert not lam.list_functions()["Functions"] and not events.list_rules()["Rules"]
    assert not logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]

    code, out = cli("schedule", "deploy", "--local", "-c", env.path)
    assert code == 0, out
    assert out.index("Target:") < out.index("Archive:")
    assert "warning" not in out  # core.yaml's role grants what the function needs and no more
    fn = function_of(aws, name)
    config = fn["Configuration"]
    assert config["Runtime"] == "python3.11" and config["Handler"] == "secure_mlops.audit.lambda_handler.handler"
    assert config["Role"] == env.role_arn and config["Timeout"] == 900 and config["MemorySize"] == 1024
    assert config["CodeSha256"] == env.archive.code_sha256
    assert base64.b64decode(config["CodeSha256"]).hex() == env.archive.sha256
    assert config["Environment"]["Variables"] == {
        "SECURE_MLOPS_FINDINGS_BUCKET": env.bucket, "SECURE_MLOPS_FINDINGS_KMS_KEY": env.s3_key,
        "SECURE_MLOPS_FINDINGS_PREFIX": "secure-mlops/findings/", "SECURE_MLOPS_TO_SECURITY_HUB": "false",
        "SECURE_MLOPS_ENVIRONMENT": env.cfg.name}
    assert {k: fn["Tags"].get(k) for k in ("team", "environment", "stage")} == \
        {"team": env.cfg.team, "environment": env.cfg.name, "stage": env.cfg.stage}
    assert lam.get_function_event_invoke_config(FunctionName=name)["MaximumRetryAttempts"] == 0
    rule = events.describe_rule(Name=name)
    assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
    assert events.list_targets_by_rule(Rule=name)["Targets"] == [
        {"Id": "secure-mlops-scheduled-audit", "Arn": config["FunctionArn"]}]
    statement, = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]
    group, = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    assert group["kmsKeyId"] == env.log_key and group["retentionInDays"] == env.cfg.network.flow_log_retention_days

    code, out = cli("schedule", "deploy", "--local", "-c", env.path)
    assert code == 0, out
    assert "No change" in out and f"code sha256 {env.archive.sha256}" in out
    assert not re.search(r"\b(create|update)\b", out.split("Archive:")[1].replace("Findings:", ""))
    again = function_of(aws, name)["Configuration"]
    assert again["CodeSha256"] == config["CodeSha256"] and again["LastModified"] == config["LastModified"]

    # one input changed: only that part is updated
    code, out = cli("schedule", "deploy", "--local", "-c", env.path, "--rate", "rate(12 hours)")
    assert code == 0, out
    assert re.search(r"schedule │ \S+ │ update", out) or "update: schedule" in out
    assert "update: function" not in out
    assert events.describe_rule(Name=name)["ScheduleExpression"] == "rate(12 hours)"
    assert function_of(aws, name)["Configuration"]["LastModified"] == config["LastModified"]


def test_a_new_archive_updates_only_the_code(env, monkeypatch):
    import dataclasses
    import io
    import zipfile

    from secure_mlops.audit import lambda_archive as module

    name = f"{env.cfg.name}-scheduled-audit"
    assert cli("schedule", "deploy", "--local", "-c", env.path)[0] == 0
    before = function_of(env.session, name)["Configuration"]
    buffer = io.BytesIO(env.archive.data)
    with zipfile.ZipFile(buffer, "a") as z:  # e.g. a new release of secure-mlops
        z.writestr("secure_mlops/NEWS.txt", "1.1")
    newer = dataclasses.replace(env.archive, data=buffer.getvalue())
    monkeypatch.setattr(module, "build_archive", lambda: newer)
    code, out = cli("schedule", "deploy", "--local", "-c", env.path)
    assert code == 0, out
    assert f"sha256 {env.archive.sha256} -> {newer.sha256}" in out and "update: function code" in out
    assert "update: function settings" not in out and "update: schedule" not in out
    after = function_of(env.session, name)["Configuration"]
    assert after["CodeSha256"] == newer.code_sha256 != before["CodeSha256"]
    assert after["Environment"] == before["Environment"]


def test_status_shows_the_last_findings_and_remove_keeps_them(env, tmp_path):
    from secure_mlops.audit import lambda_handler

    aws, name = env.session, f"{env.cfg.name}-scheduled-audit"
    code, out = cli("schedule", "status", "--local", "-c", env.path)
    assert code == 1 and "not deployed" in out

    assert cli("schedule", "deploy", "--local", "-c", env.path)[0] == 0
    code, out = cli("schedule", "status", "--local", "-c", env.path)
    assert code == 0, out
    assert "none yet" in out and "rate(1 day) (ENABLED)" in out and env.archive.sha256 in out

    # one run of the function, with the settings deploy gave it (the handler, in-process)
    variables = function_of(aws, name)["Configuration"]["Environment"]["Variables"]
    settings = lambda_handler.Settings.from_environ(variables)
    summary = lambda_handler.run(aws, ACCOUNT, REGION, settings, request_id="r1")
    key = summary["findings_object"].split("/", 3)[3]
    report_input = tmp_path / "last.json"
    code, out = cli("schedule", "status", "--local", "-c", env.path, "-o", str(report_input))
    assert code == 0, out
    assert key in out and "PASS" in out
    assert json.loads(report_input.read_text())["kind"] == "audit"
    code, out = cli("report", str(report_input))
    assert code in (0, 1), out  # read and answered (1: some control failed on this estate)

    code, out = cli("schedule", "remove", "--local", "-c", env.path, "--yes")
    assert code == 0, out
    assert "function " + name + ": removed" in out and "Kept: the findings" in out
    assert not aws.client("lambda").list_functions()["Functions"]
    assert not aws.client("events").list_rules()["Rules"]
    assert aws.client("s3").head_object(Bucket=env.bucket, Key=key)  # the findings stay
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    code, out = cli("schedule", "remove", "--local", "-c", env.path, "--yes")
    assert code == 0 and out.count(": absent") == 4
    assert cli("schedule", "status", "--local", "-c", env.path)[0] == 1


def test_deploy_refuses_an_environment_that_is_not_provisioned(aws, config_file, one_archive):
    code, out = cli("schedule", "deploy", "--local", "-c", str(config_file))
    assert code == 2
    assert "ds-team-dev-core" in out and "secure-mlops provision" in out


def test_deploy_refuses_a_findings_bucket_without_sse_kms(env):
    s3 = env.session.client("s3")
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_bucket_encryption(Bucket="plain-bucket", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    code, out = cli("schedule", "deploy", "--local", "-c", env.path, "--findings-bucket", "plain-bucket")
    assert code == 2 and "plain-bucket" in out and "SSE-KMS" in out
    assert not env.session.client("lambda").list_functions()["Functions"]


def test_security_hub_must_be_enabled_to_be_the_destination(env):
    code, out = cli("schedule", "deploy", "--local", "-c", env.path, "--to-security-hub")
    assert code == 2 and "Security Hub is not enabled" in out and "--to-security-hub" in out
    env.session.client("securityhub").enable_security_hub()
    code, out = cli("schedule", "deploy", "--local", "-c", env.path, "--to-security-hub")
    assert code == 0, out
    variables = function_of(env.session, f"{env.cfg.name}-scheduled-audit")["Configuration"]["Environment"]["Variables"]
    assert variables["SECURE_MLOPS_TO_SECURITY_HUB"] == "true"


def test_a_role_that_lacks_permissions_or_can_change_things_is_reported(env):
    from secure_mlops.audit.schedule import check_role

    iam = env.session.client("iam")
    iam.create_role(RoleName="too-much", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="too-much", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}]}))
    warnings = check_role(env.session, f"arn:aws:iam::{ACCOUNT}:role/too-much", to_security_hub=False)
    assert len(warnings) == 2
    assert "lacks" in warnings[0] and "iam:GetAccountAuthorizationDetails" in warnings[0]
    assert "s3:*" in warnings[1] and "kms:*" in warnings[1]
    assert check_role(env.session, env.role_arn, to_security_hub=True) == []


# ------------------------------------------------------------------------------ a provisioned environment
#: API operations whose IAM action has another name
IAM_ACTION = {"s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
              "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock", "s3:ListBuckets": "s3:ListAllMyBuckets"}


@pytest.mark.slow
def test_on_a_provisioned_environment_deploy_works_and_the_role_permits_every_call_of_the_audit(
        aws, emulator, tmp_path, one_archive):
    """`schedule deploy` on a provisioned environment (the real core stack, log bucket and log key);
    the role core.yaml creates, read back, permits every call a full audit made there; every
    service called has its botocore model in the archive."""
    import botocore.session

    from secure_mlops.audit.lambda_archive import BOTOCORE_SERVICES
    from secure_mlops.audit.schedule import check_statements, role_statements
    from secure_mlops.provision.config import example_config, load_config

    cfg_path = tmp_path / "secure-mlops.yaml"
    cfg_path.write_text(example_config())
    cfg = load_config(cfg_path)
    try:
        code, out = cli("provision", "--local", "-c", str(cfg_path))
        cf = aws.client("cloudformation")
        stacks = {s["StackName"]: s["StackStatus"] for s in cf.describe_stacks()["Stacks"]}
        if not str(stacks.get(f"{cfg.name}-env", "")).endswith("_COMPLETE") or "ROLLBACK" in stacks[f"{cfg.name}-env"]:
            pytest.xfail(f"the environment does not deploy on the emulator now: {out[-300:]}")
        code, out = cli("schedule", "deploy", "--local", "-c", str(cfg_path))
        assert code == 0 and "warning" not in out, out
        audit_json = tmp_path / "audit.json"
        cli("audit", "--local", "--stats", "-o", str(audit_json))
        calls = json.loads(audit_json.read_text())["stats"]["api_calls"]
        ids = {}
        core = botocore.session.get_session()
        for service in core.get_available_services():
            ids[core.get_service_model(service).service_id.hyphenize()] = service
        actions = set()
        for call in calls:
            service_id, op = call.split(":")
            service = ids[service_id]
            prefix = core.get_service_model(service).signing_name
            actions.add(IAM_ACTION.get(f"{prefix}:{op}", f"{prefix}:{op}"))
            assert service in BOTOCORE_SERVICES, call
        role_arn = cf.describe_stacks(StackName=f"{cfg.name}-core")["Stacks"][0]["Outputs"]
        role_arn = next(o["OutputValue"] for o in role_arn if o["OutputKey"] == "DetectiveControlRoleArn")
        assert check_statements(role_statements(aws, role_arn), actions).missing == []
        assert len(actions) > 30
    finally:
        emulator.reset()
