"""`report --to-security-hub`: BatchImportFindings in batches of 100, failures reported per finding."""

from __future__ import annotations

import json

import pytest
from helpers import cli

from secure_mlops.findings import Finding, make_document
from secure_mlops.provision.emulator.server import ACCOUNT_ID
from secure_mlops.reports.asff import finding_id, timestamp
from secure_mlops.reports.security_hub import import_findings

OTHER_ACCOUNT = "210987654321"

pytestmark = pytest.mark.usefixtures("wide_console")


def live(n: int, account: str = ACCOUNT_ID, status: str = "PASS", prefix: str = "bucket") -> list[Finding]:
    return [Finding(control_id="S3-01", status=status, severity="high", questions=["DATA-1", "DATA-2"],
                    source="live", resource_type="AWS::S3::Bucket", resource_id=f"{prefix}-{i}",
                    message="default encryption is aws:kms with a customer managed key",
                    resource_arn=f"arn:aws:s3:::{prefix}-{i}", account=account, region="us-east-1",
                    evidence={"SSEAlgorithm": "aws:kms"})
            for i in range(n)]


def all_findings(client) -> list[dict]:
    out, token = [], None
    while True:
        page = client.get_findings(**({"NextToken": token} if token else {}))
        out += page["Findings"]
        token = page.get("NextToken")
        if not token:
            return out


@pytest.mark.emulator
def test_import_sends_batches_of_100_and_counts_every_finding(aws):
    hub = aws.client("securityhub")
    hub.enable_security_hub()
    calls = []
    aws.events.register("provide-client-params.securityhub.BatchImportFindings",
                        lambda params, **_: calls.append(len(params["Findings"])))
    findings = live(250)
    stamp = timestamp("2026-11-20T09:05:00+00:00")
    result = import_findings(aws, [(f, stamp) for f in findings], ACCOUNT_ID, "us-east-1")
    assert calls == [100, 100, 50] and result.requests == 3
    assert (result.attempted, result.imported, result.failures) == (250, 250, [])
    stored = all_findings(hub)
    assert sorted(x["Id"] for x in stored) == sorted(finding_id(f) for f in findings)
    sample = next(x for x in stored if x["Id"] == finding_id(findings[0]))
    assert sample["Compliance"]["Status"] == "PASSED" and sample["AwsAccountId"] == ACCOUNT_ID
    assert sample["ProductArn"] == f"arn:aws:securityhub:us-east-1:{ACCOUNT_ID}:product/{ACCOUNT_ID}/default"

    # a later audit updates the same findings (stable ids) instead of adding new ones
    again = import_findings(aws, [(f, timestamp("2026-11-21T09:05:00+00:00")) for f in findings[:10]],
                            ACCOUNT_ID, "us-east-1")
    assert again.imported == 10 and len(all_findings(hub)) == 250


@pytest.mark.emulator
def test_cli_prints_target_first_imports_live_findings_and_reports_each_failure(aws, tmp_path):
    aws.client("securityhub").enable_security_hub()
    mine, theirs = live(3), live(2, account=OTHER_ACCOUNT, prefix="other")
    template = Finding(control_id="S3-01", status="PASS", severity="high", questions=["DATA-1"],
                       source="template", resource_type="AWS::S3::Bucket", resource_id="B", message="ok",
                       file="t.yaml", line=3)
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(make_document(mine + theirs, kind="audit")))
    gate = tmp_path / "gate.json"
    gate.write_text(json.dumps(make_document([template], kind="gate")))

    result = cli("report", gate, audit, "--format", "json", "-o", tmp_path / "r.json", "--to-security-hub", "--local",
                 catch_exceptions=True)
    err = result.stderr
    assert result.code == 1, err  # nothing failed, but two findings could not be imported
    assert err.index("Target: embedded emulator") < err.index("imported 3 of 5")
    assert "1 template findings are not imported" in err
    for f in theirs:
        assert f"not imported: {finding_id(f)}: OtherAccount" in err
    assert err.count("error: not imported:") == 2
    stored = all_findings(aws.client("securityhub"))
    assert sorted(x["Id"] for x in stored) == sorted(finding_id(f) for f in mine)

    # all findings of the target's account imported and none failing: exit 0
    audit.write_text(json.dumps(make_document(mine, kind="audit")))
    ok = cli("report", audit, "--to-security-hub", "--local", "-o", tmp_path / "r.txt", catch_exceptions=True)
    assert ok.code == 0, ok.stderr


def test_bad_input_stops_before_any_aws_call(tmp_path, monkeypatch):
    import secure_mlops.target as target

    monkeypatch.setattr(target, "resolve", lambda **_: pytest.fail("resolved a target for bad input"))
    no_account = Finding(control_id="S3-01", status="FAIL", severity="high", questions=["DATA-1"], source="live",
                         resource_type="AWS::S3::Bucket", resource_id="b", message="not encrypted")
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(make_document([no_account], kind="audit")))
    result = cli("report", path, "--to-security-hub", catch_exceptions=True)
    assert result.code == 2 and str(path) in result.stderr


class StubSession:
    """A session whose Security Hub client answers from botocore's Stubber (for API errors the
    emulator cannot produce)."""

    def __init__(self, responses):
        import boto3
        from botocore.stub import Stubber

        self.client_obj = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y",
                                        region_name="us-east-1").client("securityhub")
        self.stubber = Stubber(self.client_obj)
        for kind, value in responses:
            if kind == "ok":
                self.stubber.add_response("batch_import_findings", value)
            else:
                self.stubber.add_client_error("batch_import_findings", service_error_code=kind,
                                              service_message=value, http_status_code=401)
        self.stubber.activate()

    def client(self, name, region_name=None):
        assert name == "securityhub"
        return self.client_obj


def test_an_account_level_error_fails_every_finding_and_stops_sending():
    msg = f"Account {ACCOUNT_ID} is not subscribed to AWS Security Hub"
    session = StubSession([("InvalidAccessException", msg)])
    findings = live(150)
    result = import_findings(session, [(f, timestamp(None)) for f in findings], ACCOUNT_ID, "us-east-1")
    assert result.requests == 1 and result.imported == 0 and not result.ok
    assert [x.finding_id for x in result.failures] == [finding_id(f) for f in findings]
    assert {x.code for x in result.failures} == {"InvalidAccessException"}
    assert msg in result.failures[0].message and "not sent after an earlier error" in result.failures[-1].message
    session.stubber.assert_no_pending_responses()


def test_findings_security_hub_rejects_are_reported_one_by_one():
    findings = live(2)
    rejected = finding_id(findings[1])
    session = StubSession([("ok", {"FailedCount": 1, "SuccessCount": 1, "FailedFindings": [
        {"Id": rejected, "ErrorCode": "InvalidInput", "ErrorMessage": "Finding size exceeded 240 KB"}]})])
    result = import_findings(session, [(f, timestamp(None)) for f in findings], ACCOUNT_ID, "us-east-1")
    assert result.imported == 1
    assert [(x.finding_id, x.code) for x in result.failures] == [(rejected, "InvalidInput")]


@pytest.mark.emulator
def test_security_hub_not_enabled_is_one_account_level_error_before_anything_is_written(aws, tmp_path):
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(make_document(live(150, status="FAIL"), kind="audit")))
    out = tmp_path / "report.json"
    result = cli("report", audit, "--format", "json", "-o", out, "--to-security-hub", "--local",
                 catch_exceptions=True)
    err = result.stderr
    assert result.code == 2, err
    assert err.count("error:") == 1 and "not imported:" not in err
    assert f"Security Hub is not enabled in account {ACCOUNT_ID}, region us-east-1" in err
    assert "aws securityhub enable-security-hub --region us-east-1" in err
    assert err.index("Target: embedded emulator") < err.index("error:")
    assert not out.exists()  # checked before the report is written: nothing done
    # once enabled, the same command imports everything
    aws.client("securityhub").enable_security_hub()
    ok = cli("report", audit, "--format", "json", "-o", out, "--to-security-hub", "--local", catch_exceptions=True)
    assert ok.code == 1 and "imported 150 of 150" in ok.stderr and out.exists(), ok.stderr  # 1: findings FAIL


class StubHubCheck:
    def __init__(self, code):
        import boto3
        from botocore.stub import Stubber

        self.client_obj = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y",
                                        region_name="us-east-1").client("securityhub")
        self.stubber = Stubber(self.client_obj)
        self.stubber.add_client_error("describe_hub", service_error_code=code, service_message=f"{code} message",
                                      http_status_code=403)
        self.stubber.activate()

    def client(self, name, region_name=None):
        return self.client_obj


@pytest.mark.parametrize("code, expected", [
    ("InvalidAccessException", "Security Hub is not enabled in account 123456789012, region us-east-1"),
    ("AccessDeniedException", "cannot check that Security Hub is enabled in account 123456789012, region us-east-1"),
])
def test_the_hub_check_names_the_cause_and_the_fix(code, expected):
    from secure_mlops.errors import UserError
    from secure_mlops.reports.security_hub import check_enabled

    with pytest.raises(UserError) as exc:
        check_enabled(StubHubCheck(code), ACCOUNT_ID, "us-east-1")
    text = str(exc.value)
    assert expected in text and f"{code}: {code} message" in text and "--to-security-hub" in text
    assert ("securityhub:DescribeHub" in text) == (code == "AccessDeniedException")


def test_an_account_level_error_during_the_import_is_printed_once():
    from secure_mlops.reports.security_hub import failure_lines

    msg = "User is not authorized to perform: securityhub:BatchImportFindings"
    session = StubSession([("AccessDeniedException", msg)])
    findings = live(250)
    rejected = StubSession([("ok", {"FailedCount": 1, "SuccessCount": 0, "FailedFindings": [
        {"Id": finding_id(findings[0]), "ErrorCode": "InvalidInput", "ErrorMessage": "bad"}]})])
    result = import_findings(session, [(f, timestamp(None)) for f in findings], ACCOUNT_ID, "us-east-1")
    assert len(result.failures) == 250
    assert failure_lines(result) == [f"250 findings: AccessDeniedException: {msg} (1 request sent, then stopped)"]
    one = import_findings(rejected, [(findings[0], timestamp(None))], ACCOUNT_ID, "us-east-1")
    assert failure_lines(one) == [f"{finding_id(findings[0])}: InvalidInput: bad"]
