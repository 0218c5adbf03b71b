"""Security Hub on the emulator: import only when enabled, per-finding checks, filters."""

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.emulator

ACCOUNT = "123456789012"
PRODUCT = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"


def finding(fid, control="S3-01", label="HIGH", **extra):
    f = {"SchemaVersion": "2018-10-08", "Id": fid, "ProductArn": PRODUCT, "GeneratorId": f"secure-mlops/{control}",
         "AwsAccountId": ACCOUNT, "Types": ["Software and Configuration Checks"], "CreatedAt": "2026-01-01T00:00:00Z",
         "UpdatedAt": "2026-01-01T00:00:00Z", "Severity": {"Label": label}, "Title": f"{control} failed",
         "Description": "d", "Resources": [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::{fid}"}]}
    f.update(extra)
    return f


def test_import_needs_security_hub_enabled(aws):
    hub = aws.client("securityhub")
    with pytest.raises(ClientError) as exc:
        hub.batch_import_findings(Findings=[finding("a")])
    assert exc.value.response["Error"]["Code"] == "InvalidAccessException"
    with pytest.raises(ClientError):
        hub.get_findings()


def test_each_finding_is_checked_and_filters_apply(aws):
    hub = aws.client("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    result = hub.batch_import_findings(Findings=[
        finding("ok-1"), finding("ok-2", control="KMS-01", label="LOW"),
        finding("other-account", AwsAccountId="210987654321"),
        finding("wrong-region", ProductArn=PRODUCT.replace("us-east-1", "eu-west-1")),
        {k: v for k, v in finding("no-severity").items() if k != "Severity"},
    ])
    assert result["SuccessCount"] == 2 and result["FailedCount"] == 3
    assert {f["Id"]: f["ErrorCode"] for f in result["FailedFindings"]} == {
        "other-account": "InvalidInput", "wrong-region": "InvalidInput", "no-severity": "InvalidInput"}
    got = hub.get_findings(Filters={"GeneratorId": [{"Value": "secure-mlops/S3-01", "Comparison": "EQUALS"}]})["Findings"]
    assert [f["Id"] for f in got] == ["ok-1"]
    assert got[0]["Region"] == "us-east-1" and got[0]["Workflow"]["Status"] == "NEW" and got[0]["RecordState"] == "ACTIVE"
    assert [f["Id"] for f in hub.get_findings(Filters={"SeverityLabel": [{"Value": "LOW", "Comparison": "NOT_EQUALS"}]})["Findings"]] == ["ok-1"]
    both = hub.get_findings(Filters={"GeneratorId": [{"Value": "secure-mlops/", "Comparison": "PREFIX"}]},
                            SortCriteria=[{"Field": "Id", "SortOrder": "desc"}])["Findings"]
    assert [f["Id"] for f in both] == ["ok-2", "ok-1"]
    with pytest.raises(ClientError) as exc:
        hub.get_findings(Filters={"CreatedAt": [{"DateRange": {"Value": 1, "Unit": "DAYS"}}]})
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
