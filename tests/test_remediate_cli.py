"""`secure-mlops remediate`: input checks, dry run and apply end to end, the findings document,
notifications, missing environment context, failed calls, findings of another account, and
planning finding by finding."""

from __future__ import annotations

import json

import pytest
from helpers import cli

from secure_mlops.controls import load_catalog
from secure_mlops.findings import Finding, Status, load_documents
from secure_mlops.remediations.context import RemediationContext
from secure_mlops.remediations.runner import remediate
from test_audit_estate import Builder, publish
from test_remediate_controls import ACCOUNT, Env, audit, mutating, recording

pytestmark = pytest.mark.usefixtures("wide_console")


def run(*args):
    r = cli("remediate", *args)
    return r.code, r.stdout, r.err


def write_doc(path, kind="audit", findings=()):
    from secure_mlops.findings import dump_document, make_document

    path.write_text(dump_document(make_document(list(findings), kind)))
    return path


# ------------------------------------------------------------------------------ input (exit 2, no AWS call)
def test_findings_or_audit_is_required(tmp_path):
    code, _, err = run()
    assert code == 2 and "--audit" in err and "FINDINGS" in err
    code, _, err = run(str(write_doc(tmp_path / "a.json")), "--audit")
    assert code == 2 and "not both" in err


def test_a_gate_document_is_refused_naming_file_and_field(tmp_path):
    code, _, err = run(str(write_doc(tmp_path / "gate.json", kind="gate")))
    assert code == 2 and "gate.json" in err and "field kind" in err and "secure-mlops audit" in err


def test_unreadable_findings_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = run(str(bad))
    assert code == 2 and "bad.json" in err and "line 1" in err
    code, _, err = run(str(tmp_path / "missing.json"))
    assert code == 2 and "no such file" in err


def test_controls_must_be_responsive(tmp_path):
    doc = str(write_doc(tmp_path / "a.json"))
    code, _, err = run(doc, "--controls", "IAM-01")
    assert code == 2 and "not responsive controls: IAM-01" in err and "--mode responsive" in err
    code, _, err = run(doc, "--controls", "S3-02,NOPE-1")
    assert code == 2 and "unknown control ids: NOPE-1" in err


def test_notify_must_be_a_topic_arn(tmp_path):
    code, _, err = run(str(write_doc(tmp_path / "a.json")), "--notify", "my-topic")
    assert code == 2 and "--notify" in err and "arn:aws:sns" in err


def test_print_policy_is_the_modules_policy():
    from secure_mlops.remediations.registry import least_privilege_policy

    code, out, _ = run("--print-policy")
    assert code == 0 and json.loads(out) == least_privilege_policy(load_catalog())


# ------------------------------------------------------------------------------ end to end
@pytest.mark.emulator
def test_dry_run_then_apply_end_to_end(aws, tmp_path):
    env = Env(aws)
    key = env.b.key()
    env.b.bucket("public-data", key, block=False)
    env.b.bucket("private-data", key)
    env.model("open-model", EnableNetworkIsolation=False, VpcConfig=None)
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name="security-findings")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    audit_file = tmp_path / "audit.json"
    code = cli("audit", "--local", "--controls", "S3-02,SM-MOD-01,SM-MOD-02", "-o", audit_file,
               catch_exceptions=True).code
    assert code == 1

    # dry run: the exact calls, nothing changed, exit 1 (something to do)
    code, out, err = run(str(audit_file), "--local", "--notify", topic)
    assert code == 1
    assert "Target: embedded emulator" in err and "nothing is changed" in err
    assert "PLAN" in out and "s3:PutPublicAccessBlock" in out and '"BlockPublicAcls": true' in out
    assert "sagemaker:AddTags" in out and "sns:Publish" in out
    assert "SM-MOD-02" in err  # FAIL findings of other controls are named, not handled
    assert aws.client("s3").get_public_access_block(Bucket="public-data")["PublicAccessBlockConfiguration"][
        "BlockPublicAcls"] is False
    assert not sqs.receive_message(QueueUrl=queue).get("Messages")

    # apply: the bucket is fixed, the model contained and notified once
    out_file = tmp_path / "remediate.json"
    code, out, err = run(str(audit_file), "--local", "--apply", "--notify", topic, "-o", str(out_file))
    assert code == 1  # the model remains non-compliant
    assert "FIXED" in out and "CONTAINED" in out
    (doc,) = load_documents([out_file])  # valid against the findings schema
    assert doc["kind"] == "remediate" and doc["mode"] == "apply" and doc["target"]["kind"] == "emulator"
    by_id = {f["resource_id"]: f for f in doc["findings"]}
    assert set(by_id) == {"public-data", "open-model"}
    bucket = by_id["public-data"]
    assert bucket["status"] == "PASS" and "the control now passes" in bucket["message"]
    assert bucket["evidence"]["before"]["PublicAccessBlock"]["BlockPublicAcls"] is False
    assert bucket["evidence"]["after"]["PublicAccessBlock"]["BlockPublicAcls"] is True
    assert bucket["evidence"]["applied"][0]["operation"] == "PutPublicAccessBlock"
    model = by_id["open-model"]
    assert model["status"] == "FAIL" and "contained, not fixed" in model["message"]
    assert model["details"]["audit_message"] == ("Model open-model runs without network isolation: "
                                                 "EnableNetworkIsolation is false.")
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages") or []
    assert len(messages) == 1
    note = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert note["control_id"] == "SM-MOD-01" and note["resource_id"] == "open-model"

    # again, auditing first: the bucket passes now, so only the model remains; no new notification
    code, out, err = run("--audit", "--local", "--apply", "--controls", "S3-02,SM-MOD-01", "--notify", topic,
                         "--format", "json")
    assert code == 1
    (finding,) = json.loads(out)["findings"]
    assert finding["resource_id"] == "open-model" and "already contained" in finding["message"]
    assert not sqs.receive_message(QueueUrl=queue).get("Messages")
    code, out, err = run("--audit", "--local", "--apply", "--controls", "S3-02")
    assert code == 0 and "nothing to do" in err


# ------------------------------------------------------------------------------ the runner's cases
def _finding(control_id, resource_id, resource_type, account=ACCOUNT, region="us-east-1", arn=None, **details):
    control = load_catalog().get(control_id)
    return Finding(control_id=control_id, status=Status.FAIL, severity=control.severity,
                   questions=list(control.questions), source="live", resource_type=resource_type,
                   resource_id=resource_id, message="fails", resource_arn=arn, account=account, region=region,
                   evidence={}, details=details)


def _run(target, findings, apply, **context):
    controls = [load_catalog().get(c) for c in sorted({f.control_id for f in findings})]
    return remediate(findings, target, controls, RemediationContext(target.session, target.account, target.region,
                                                                    **context), apply=apply)


@pytest.mark.emulator
def test_missing_environment_context_is_error_and_changes_nothing(local_target):
    b = Builder(local_target.session, ACCOUNT)
    b.bucket("plain", b.key(), encrypt=False)
    (o,) = _run(local_target, [_finding("S3-01", "plain", "AWS::S3::Bucket")], apply=True)
    assert o.status is Status.ERROR and "no environment publishes" in o.message and "--environment" in o.message
    assert o.steps == [] and o.applied == []
    enc = local_target.session.client("s3").get_bucket_encryption(Bucket="plain")
    assert enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"][
        "SSEAlgorithm"] == "AES256"
    publish(b, "env-a", {"data-bucket": "plain"})  # an environment without its S3 key
    (o,) = _run(local_target, [_finding("S3-01", "plain", "AWS::S3::Bucket")], apply=False)
    assert o.status is Status.ERROR and "/secure-mlops/env-a/s3-kms-key-arn" in o.message


@pytest.mark.emulator
def test_several_environments_need_the_owner_or_environment(local_target):
    b = Builder(local_target.session, ACCOUNT)
    key_a, key_b = b.key(), b.key()
    publish(b, "env-a", {"s3-kms-key-arn": key_a, "data-bucket": "a-data"})
    publish(b, "env-b", {"s3-kms-key-arn": key_b, "data-bucket": "b-data"})
    for name in ("a-data", "b-data", "shared"):
        b.bucket(name, key_a, encrypt=False)
    f = lambda name: _finding("S3-01", name, "AWS::S3::Bucket")  # noqa: E731
    (o,) = _run(local_target, [f("b-data")], apply=False)  # env-b publishes this bucket: its key
    assert key_b in json.dumps([c.params for s in o.steps for c in s.calls])
    (o,) = _run(local_target, [f("shared")], apply=False)  # no environment owns it: skipped
    assert o.status is Status.FAIL and o.skipped and o.steps == []
    assert "outside every environment (env-a, env-b)" in o.message and "--environment NAME" in o.message
    (o,) = _run(local_target, [f("shared")], apply=False, environment="env-a")
    assert o.status is Status.FAIL and key_a in json.dumps([c.params for s in o.steps for c in s.calls])
    # published by env-a, tagged by env-b: both claim it
    local_target.session.client("s3").put_bucket_tagging(
        Bucket="a-data", Tagging={"TagSet": [{"Key": "environment", "Value": "env-b"}]})
    (o,) = _run(local_target, [f("a-data")], apply=False)
    assert o.status is Status.ERROR and "several environments claim a-data (env-a, env-b)" in o.message
    (o,) = _run(local_target, [f("a-data")], apply=False, environment="env-b")
    assert key_b in json.dumps([c.params for s in o.steps for c in s.calls])


@pytest.mark.emulator
def test_an_environments_key_and_flow_log_destination_stay_inside_it(local_target, tmp_path):
    """Review item 22: without --environment, the only environment's S3 key is not given to a bucket
    outside it, nor its flow log destination to the default VPC: skipped, said why, nothing changed."""
    b = Builder(local_target.session, ACCOUNT)
    key = b.key()
    b.bucket(f"{ACCOUNT}-flow-logs", key)
    env_vpc = b.vpc("10.1.0.0/16")  # with its active flow log: the destination NET-01 would reuse
    publish(b, "ds-team-dev", {"s3-kms-key-arn": key, "data-bucket": "team-data", "vpc-id": env_vpc})
    b.bucket("drift-bucket", key, encrypt=False)
    b.bucket("team-data", key, encrypt=False)
    b.bucket("team-scratch", key, encrypt=False)  # not published, but tagged as the environment's
    s3 = local_target.session.client("s3")
    s3.put_bucket_tagging(Bucket="team-scratch", Tagging={"TagSet": [{"Key": "environment", "Value": "ds-team-dev"}]})
    default_vpc = local_target.session.client("ec2").describe_vpcs(
        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    findings = [_finding("S3-01", n, "AWS::S3::Bucket") for n in ("drift-bucket", "team-data", "team-scratch")]
    findings.append(_finding("NET-01", default_vpc, "AWS::EC2::VPC"))
    audit_file = write_doc(tmp_path / "audit.json", findings=findings)

    with recording(local_target.session) as calls:
        by_id = {o.finding.resource_id: o for o in _run(local_target, findings, apply=True)}
    skipped = [by_id["drift-bucket"], by_id[default_vpc]]
    assert all(o.skipped and o.status is Status.FAIL and o.steps == [] and o.applied == [] for o in skipped)
    assert by_id["drift-bucket"].message == (
        "skipped: drift-bucket is outside environment ds-team-dev: no value the environment publishes names it and "
        "it has no `environment` tag naming one, so no environment's S3 key is applied to it; to apply the S3 key "
        "of environment ds-team-dev anyway, pass --environment ds-team-dev")
    assert "flow log destination of environment ds-team-dev anyway" in by_id[default_vpc].message
    assert by_id["team-data"].status is Status.PASS and by_id["team-scratch"].status is Status.PASS  # its own
    assert [c for c in mutating(calls) if c[1] == "PutBucketEncryption"] == [("s3", "PutBucketEncryption")] * 2
    assert not [c for c in mutating(calls) if c[1] == "CreateFlowLogs"]
    rule = s3.get_bucket_encryption(Bucket="drift-bucket")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    # the command says SKIPPED; naming the environment explicitly applies its key
    code, out, _ = run(str(audit_file), "--local", "--controls", "S3-01,NET-01")
    assert code == 1 and "SKIPPED   S3-01" in out and "SKIPPED   NET-01" in out
    (o,) = _run(local_target, [findings[0]], apply=True, environment="ds-team-dev")
    assert o.status is Status.PASS and "the S3 key of environment ds-team-dev" in o.message


@pytest.mark.emulator
def test_a_failed_call_is_error_naming_the_call(local_target):
    b = Builder(local_target.session, ACCOUNT)
    b.bucket("data", b.key())
    publish(b, "env-a", {"log-bucket": "no-such-log-bucket", "data-bucket": "data"})
    (o,) = _run(local_target, [_finding("S3-06", "data", "AWS::S3::Bucket", environment="env-a")], apply=True)
    assert o.status is Status.ERROR and "InvalidTargetBucketForLogging" in o.message
    assert o.failed_call.startswith("s3:PutBucketLogging") and o.applied == []
    assert o.after == {"Logging": None}


@pytest.mark.emulator
def test_findings_of_another_account_or_region_are_not_touched(local_target):
    b = Builder(local_target.session, ACCOUNT)
    b.bucket("open", b.key(), block=False)
    with recording(local_target.session) as calls:
        outcomes = _run(local_target, [_finding("S3-02", "open", "AWS::S3::Bucket", account="111111111111"),
                                       _finding("S3-02", "open", "AWS::S3::Bucket", region="eu-west-1")], apply=True)
    assert calls == []
    assert [o.status for o in outcomes] == [Status.ERROR, Status.ERROR]
    assert "account 111111111111" in outcomes[0].message and "eu-west-1" in outcomes[1].message


@pytest.mark.emulator
def test_two_findings_on_one_notebook_stop_it_once(local_target):
    env = Env(local_target.session)
    env.notebook("nb", RootAccess="Enabled", InstanceMetadataServiceConfiguration={
        "MinimumInstanceMetadataServiceVersion": "1"})
    findings = {f.control_id: f for c in ("SM-NB-03", "SM-NB-05") for f in audit(local_target, c).values()}
    assert {c: f.status for c, f in findings.items()} == {"SM-NB-03": Status.FAIL, "SM-NB-05": Status.FAIL}
    with recording(local_target.session) as calls:
        outcomes = _run(local_target, list(findings.values()), apply=True)
    assert [o.status for o in outcomes] == [Status.PASS, Status.PASS]
    assert [c for c in mutating(calls) if c[1] == "StopNotebookInstance"] == [("sagemaker", "StopNotebookInstance")]
    nb = local_target.session.client("sagemaker").describe_notebook_instance(NotebookInstanceName="nb")
    assert nb["NotebookInstanceStatus"] == "Stopped" and nb["RootAccess"] == "Disabled"
    assert nb["InstanceMetadataServiceConfiguration"]["MinimumInstanceMetadataServiceVersion"] == "2"


@pytest.mark.emulator
def test_a_stale_finding_of_a_compliant_resource_is_nothing_to_do(local_target):
    b = Builder(local_target.session, ACCOUNT)
    b.bucket("fine", b.key())
    with recording(local_target.session) as calls:
        (dry,) = _run(local_target, [_finding("S3-02", "fine", "AWS::S3::Bucket")], apply=False)
        (done,) = _run(local_target, [_finding("S3-02", "fine", "AWS::S3::Bucket")], apply=True)
    assert mutating(calls) == []
    assert dry.status is Status.PASS and "nothing to do" in dry.message
    assert done.status is Status.PASS and done.steps == []
