"""The scheduled audit's Lambda handler, run in-process against the emulator (invoking the real
function needs Docker), with a real EventBridge scheduled-event payload and a Lambda-like context.
Also: the deployment archive runs the same audit on its own, in an interpreter that sees only it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import types
import zipfile

import pytest

pytestmark = pytest.mark.emulator

ACCOUNT, REGION = "123456789012", "us-east-1"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:team-dev-scheduled-audit"
RULE_ARN = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/team-dev-scheduled-audit"
#: what EventBridge sends a function on a schedule (AWS Lambda developer guide, "scheduled events")
SCHEDULED_EVENT = {
    "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
    "source": "aws.events", "account": ACCOUNT, "time": "2026-11-26T06:00:00Z", "region": REGION,
    "resources": [RULE_ARN], "detail": {},
}


@pytest.fixture(scope="module")
def lambda_archive():
    from secure_mlops.audit.lambda_archive import build_archive

    return build_archive()


def context(request_id: str = "c0ffee00-1111-2222-3333-444455556666"):
    """What the Lambda runtime passes as `context` (the attributes the handler reads, and more)."""
    return types.SimpleNamespace(function_name="team-dev-scheduled-audit", function_version="$LATEST",
                                 invoked_function_arn=FUNCTION_ARN, memory_limit_in_mb=1024,
                                 aws_request_id=request_id, log_group_name="/aws/lambda/team-dev-scheduled-audit",
                                 log_stream_name="2026/11/26/[$LATEST]abc",
                                 get_remaining_time_in_millis=lambda: 900_000)


@pytest.fixture
def estate(aws, monkeypatch):
    """A findings bucket (SSE-KMS) and, for two controls, a non-compliant resource and its compliant twin."""
    from secure_mlops.audit.lambda_handler import Settings

    kms, s3 = aws.client("kms"), aws.client("s3")
    findings_key = kms.create_key(Description="findings")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=findings_key)
    s3.create_bucket(Bucket="team-dev-logs")
    s3.put_bucket_encryption(Bucket="team-dev-logs", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": findings_key}}]})
    rotating = kms.create_key(Description="compliant twin")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotating)
    not_rotating = kms.create_key(Description="non-compliant")["KeyMetadata"]["KeyId"]
    block_all = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
    s3.create_bucket(Bucket="team-dev-blocked")
    s3.put_public_access_block(Bucket="team-dev-blocked", PublicAccessBlockConfiguration=block_all)
    s3.create_bucket(Bucket="team-dev-open")  # new buckets block public access (as on AWS since 2023): unblock
    s3.put_public_access_block(Bucket="team-dev-open",
                               PublicAccessBlockConfiguration={k: False for k in block_all})
    settings = Settings(bucket="team-dev-logs", kms_key=findings_key, environment="team-dev")
    for key, value in settings.to_environ().items():
        monkeypatch.setenv(key, value)
    return types.SimpleNamespace(session=aws, s3=s3, kms=kms, findings_key=findings_key, rotating=rotating,
                                 not_rotating=not_rotating, settings=settings)


def documents(s3, bucket="team-dev-logs"):
    from secure_mlops.audit.lambda_handler import findings_prefix

    prefix = findings_prefix("secure-mlops/findings/", ACCOUNT, REGION)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))
    return keys, [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]


def verdict(doc, control, resource_id):
    found = [f["status"] for f in doc["findings"] if f["control_id"] == control and f["resource_id"] == resource_id]
    assert len(found) == 1, (control, resource_id, found)
    return found[0]


def test_a_scheduled_run_writes_the_findings_document_to_s3_with_sse_kms(estate, tmp_path):
    from secure_mlops.audit.lambda_handler import handler
    from secure_mlops.findings import load_documents

    summary = handler(SCHEDULED_EVENT, context())

    keys, docs = documents(estate.s3)
    assert len(keys) == 1
    key, doc = keys[0], docs[0]
    assert summary["findings_object"] == f"s3://team-dev-logs/{key}"
    assert key.startswith(f"secure-mlops/findings/{ACCOUNT}/{REGION}/") and key.endswith("-c0ffee00-1111-2222-3333-444455556666.json")
    head = estate.s3.head_object(Bucket="team-dev-logs", Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == estate.findings_key
    # the seeded pairs: one FAIL, its twin PASS
    assert verdict(doc, "KMS-01", estate.not_rotating) == "FAIL"
    assert verdict(doc, "KMS-01", estate.rotating) == "PASS"
    assert verdict(doc, "S3-02", "team-dev-open") == "FAIL"
    assert verdict(doc, "S3-02", "team-dev-blocked") == "PASS"
    # the account and region the function runs in, and what triggered it
    assert {f["account"] for f in doc["findings"]} == {ACCOUNT} and {f["region"] for f in doc["findings"]} == {REGION}
    assert doc["target"]["scheduled"]["trigger"] == {"type": "schedule", "rule": RULE_ARN,
                                                     "time": "2026-11-26T06:00:00Z", "event_id": SCHEDULED_EVENT["id"]}
    assert doc["target"]["scheduled"]["function_arn"] == FUNCTION_ARN
    # every detective control evaluated; the counts in the summary are the document's
    from secure_mlops.controls import load_catalog

    assert set(doc["evaluated_controls"]) == {c.id for c in load_catalog().with_mode("detective")}
    counts = {}
    for f in doc["findings"]:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    assert summary["counts"] == counts
    # `secure-mlops report` reads it as it is
    local = tmp_path / "audit.json"
    local.write_text(json.dumps(doc))
    assert load_documents([local])[0]["kind"] == "audit"


def test_a_run_that_cannot_store_its_findings_fails(estate, monkeypatch):
    from secure_mlops.audit.lambda_handler import ScheduledAuditError, handler

    monkeypatch.setenv("SECURE_MLOPS_FINDINGS_BUCKET", "team-dev-no-such-bucket")
    with pytest.raises(ScheduledAuditError, match="team-dev-no-such-bucket"):
        handler(SCHEDULED_EVENT, context())
    assert documents(estate.s3)[0] == []


def test_a_function_without_its_settings_fails(estate, monkeypatch):
    from secure_mlops.audit.lambda_handler import ScheduledAuditError, handler

    monkeypatch.delenv("SECURE_MLOPS_FINDINGS_BUCKET")
    with pytest.raises(ScheduledAuditError, match="SECURE_MLOPS_FINDINGS_BUCKET"):
        handler(SCHEDULED_EVENT, context())


def _hub(session, **filters):
    conditions = {k: [{"Value": v, "Comparison": "EQUALS"}] for k, v in filters.items()}
    return session.client("securityhub").get_findings(Filters=conditions)["Findings"]


def _hub_finding(session, control, resource_id):
    found = [f for f in _hub(session, GeneratorId=f"secure-mlops/{control}")
             if f["Resources"][0]["Id"].endswith(resource_id)]
    assert len(found) <= 1
    return found[0] if found else None


def test_security_hub_gets_failures_then_resolutions_then_archives(estate, monkeypatch):
    from secure_mlops.audit.lambda_handler import handler

    estate.session.client("securityhub").enable_security_hub()
    monkeypatch.setenv("SECURE_MLOPS_TO_SECURITY_HUB", "true")

    first = handler(SCHEDULED_EVENT, context("run-1"))
    hub = first["security_hub"]
    assert hub["failures"] == [] and hub["imported"] == first["counts"].get("FAIL", 0) + first["counts"].get("ERROR", 0)
    assert _hub_finding(estate.session, "KMS-01", estate.not_rotating)["Compliance"]["Status"] == "FAILED"
    assert _hub_finding(estate.session, "S3-02", "team-dev-open")["Compliance"]["Status"] == "FAILED"
    # only FAIL and ERROR findings are imported
    assert _hub_finding(estate.session, "KMS-01", estate.rotating) is None
    assert not _hub(estate.session, ComplianceStatus="PASSED")

    # the key is fixed, the open bucket is deleted
    estate.kms.enable_key_rotation(KeyId=estate.not_rotating)
    estate.s3.delete_bucket(Bucket="team-dev-open")
    second = handler(SCHEDULED_EVENT, context("run-2"))
    assert second["security_hub"]["resolved"] == 1 and second["security_hub"]["archived"] >= 1
    fixed = _hub_finding(estate.session, "KMS-01", estate.not_rotating)
    assert fixed["Compliance"]["Status"] == "PASSED" and fixed["RecordState"] == "ACTIVE"
    gone = _hub_finding(estate.session, "S3-02", "team-dev-open")
    assert gone["RecordState"] == "ARCHIVED" and gone["Compliance"]["Status"] == "FAILED"
    # both runs stored their documents
    assert len(documents(estate.s3)[0]) == 2


def test_findings_of_a_control_that_could_not_run_are_not_archived(estate):
    """Fail closed: no per-resource verdict because the policy failed is not 'the resource is gone'."""
    from secure_mlops.audit.lambda_handler import sync_security_hub
    from secure_mlops.findings import Finding
    from secure_mlops.reports.asff import timestamp

    estate.session.client("securityhub").enable_security_hub()
    common = dict(severity="high", questions=["DATA-1"], source="live", account=ACCOUNT, region=REGION)
    open_bucket = Finding(control_id="S3-02", status="FAIL", resource_type="AWS::S3::Bucket",
                          resource_id="team-dev-open", resource_arn="arn:aws:s3:::team-dev-open",
                          message="public access is not blocked", **common)
    first = sync_security_hub(estate.session, ACCOUNT, REGION, [open_bucket], {"S3-02"}, timestamp(None))
    assert first["imported"] == 1 and not first["failures"]
    could_not_run = Finding(control_id="S3-02", status="ERROR", resource_type="AWS::S3::Bucket",
                            resource_id=f"{ACCOUNT}/{REGION}", message="not evaluated: ListBuckets: AccessDenied",
                            **common)
    second = sync_security_hub(estate.session, ACCOUNT, REGION, [could_not_run], {"S3-02"}, timestamp(None))
    assert second["archived"] == 0
    assert _hub_finding(estate.session, "S3-02", "team-dev-open")["RecordState"] == "ACTIVE"
    # once the control runs and the bucket is not there, its finding (and the ERROR) are archived
    third = sync_security_hub(estate.session, ACCOUNT, REGION, [], {"S3-02"}, timestamp(None))
    assert third["archived"] == 2
    assert _hub_finding(estate.session, "S3-02", "team-dev-open")["RecordState"] == "ARCHIVED"
    assert not _hub(estate.session, RecordState="ACTIVE")


def test_a_run_that_cannot_import_into_security_hub_fails_after_storing_its_findings(estate, monkeypatch):
    from secure_mlops.audit.lambda_handler import ScheduledAuditError, handler

    monkeypatch.setenv("SECURE_MLOPS_TO_SECURITY_HUB", "true")  # Security Hub is not enabled
    with pytest.raises(ScheduledAuditError, match="Security Hub"):
        handler(SCHEDULED_EVENT, context())
    assert len(documents(estate.s3)[0]) == 1


@pytest.mark.slow
def test_the_archive_runs_the_same_audit_on_its_own(estate, emulator, tmp_path, lambda_archive):
    """Extracted as Lambda extracts it, run by an interpreter that sees nothing but the archive
    (no site-packages, no bytecode writes: /var/task is read-only): same verdicts as in-process."""
    from secure_mlops.audit.lambda_handler import handler

    in_process = handler(SCHEDULED_EVENT, context("inprocess"))
    task = tmp_path / "task"
    with zipfile.ZipFile(__import__("io").BytesIO(lambda_archive.data)) as z:
        z.extractall(task)
    script = (
        "import sys, time, types, json\n"
        f"sys.path.insert(0, {str(task)!r})\n"
        "t = time.perf_counter()\n"
        "import secure_mlops.audit.lambda_handler as h\n"
        "imported = time.perf_counter() - t\n"
        f"ctx = types.SimpleNamespace(invoked_function_arn={FUNCTION_ARN!r}, aws_request_id='archive')\n"
        "t = time.perf_counter()\n"
        f"summary = h.handler({SCHEDULED_EVENT!r}, ctx)\n"
        "outside = sorted({m.split('.')[0] for m, mod in sys.modules.items()\n"
        f"                  if (getattr(mod, '__file__', None) or '').startswith(sys.prefix) and 'site-packages' in mod.__file__}})\n"
        "print(json.dumps({'import_seconds': imported, 'run_seconds': time.perf_counter() - t, 'outside': outside,\n"
        "                  'summary': summary}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", script], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["outside"] == []  # nothing came from the venv
    assert result["summary"]["counts"] == in_process["counts"]
    keys, docs = documents(estate.s3)
    by_request = {k.rsplit("-", 1)[-1]: d for k, d in zip(keys, docs)}
    verdicts = [{(f["control_id"], f["resource_id"], f["status"]) for f in d["findings"]}
                for d in (by_request["inprocess.json"], by_request["archive.json"])]
    assert verdicts[0] == verdicts[1]
    print(f"\narchive: {lambda_archive.describe()}; cold import of the handler from the archive "
          f"{result['import_seconds']:.2f} s, first run {result['run_seconds']:.2f} s, "
          f"process {time.perf_counter() - start:.2f} s")
