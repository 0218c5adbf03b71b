"""AWS Security Finding Format (ASFF) for live findings: `report --format asff` and Security Hub.

Only live findings become ASFF findings: Security Hub findings describe resources in an AWS
account, and template findings have none (SARIF is their format). The mapping:

| secure-mlops | ASFF |
| --- | --- |
| status PASS / FAIL / ERROR / SUPPRESSED | Compliance.Status PASSED / FAILED / NOT_AVAILABLE / FAILED (+ Workflow.Status SUPPRESSED) |
| severity | Severity.Label (INFORMATIONAL for PASS, as Security Hub's own controls do); the control's severity stays in Severity.Original |
| control id, title | GeneratorId `secure-mlops/<id>`, Title `<id> <title>` |
| questions | Compliance.RelatedRequirements `secure-mlops <question id>` |
| remediation text | Remediation.Recommendation.Text |
| resource ARN, account, region | Resources[0].Id / Region, AwsAccountId |
| evidence, suppression reason | ProductFields `secure-mlops/Evidence`, `secure-mlops/SuppressionReason` |

The finding Id is stable (account, region, control, resource), so importing a later audit
updates the same Security Hub finding instead of adding a new one.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from ..controls import Catalog, load_catalog
from ..findings import Finding, Status

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards/secure-mlops"
COMPLIANCE = {Status.PASS: "PASSED", Status.FAIL: "FAILED", Status.ERROR: "NOT_AVAILABLE",
              Status.SUPPRESSED: "FAILED"}
LABEL = {"info": "INFORMATIONAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "critical": "CRITICAL"}
# CloudFormation type -> ASFF resource type (Security Hub's resource type names); others are "Other"
RESOURCE_TYPES = {
    "AWS::S3::Bucket": "AwsS3Bucket",
    "AWS::S3::BucketPolicy": "AwsS3Bucket",
    "AWS::KMS::Key": "AwsKmsKey",
    "AWS::IAM::Role": "AwsIamRole",
    "AWS::IAM::ManagedPolicy": "AwsIamPolicy",
    "AWS::IAM::Policy": "AwsIamPolicy",
    "AWS::EC2::SecurityGroup": "AwsEc2SecurityGroup",
    "AWS::EC2::VPC": "AwsEc2Vpc",
    "AWS::EC2::Subnet": "AwsEc2Subnet",
    "AWS::CloudTrail::Trail": "AwsCloudTrailTrail",
    "AWS::SageMaker::NotebookInstance": "AwsSageMakerNotebookInstance",
    "AWS::ECR::Repository": "AwsEcrRepository",
    "AWS::Lambda::Function": "AwsLambdaFunction",
}
# lengths Security Hub accepts
MAX_ID, MAX_TITLE, MAX_DESCRIPTION, MAX_RECOMMENDATION, MAX_FIELD = 512, 256, 1024, 512, 2048


class AsffError(Exception):
    """A live finding lacks what ASFF requires (the account); names the input file."""


def timestamp(iso: str | None) -> str:
    """ASFF timestamps: RFC 3339 in UTC with milliseconds, e.g. 2026-11-20T09:05:00.000Z."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")) if iso else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def finding_id(f: Finding) -> str:
    ident = f"secure-mlops/{f.account}/{f.region}/{f.control_id}/{f.resource_arn or f.resource_id}"
    if len(ident) > MAX_ID:
        digest = hashlib.sha256(ident.encode()).hexdigest()
        ident = f"secure-mlops/{f.account}/{f.region}/{f.control_id}/sha256-{digest}"
    return ident


def product_arn(account: str, region: str, partition: str = "aws") -> str:
    """The default (custom integration) product of an account: findings are imported through it."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def partition_of(arn: str | None) -> str:
    if arn and arn.startswith("arn:"):
        return arn.split(":")[1] or "aws"
    return "aws"


def to_asff(f: Finding, created_at: str, *, import_account: str | None = None,
            import_region: str | None = None, catalog: Catalog | None = None) -> dict[str, Any]:
    """One live finding as an ASFF finding.

    `import_account`/`import_region` name where it is imported (the product ARN); by default
    the finding's own account and region.
    """
    catalog = catalog or load_catalog()
    control = catalog.controls.get(f.control_id)
    title = control.title if control else f.control_id
    region = f.region or import_region
    partition = partition_of(f.resource_arn)
    label = "INFORMATIONAL" if f.status is Status.PASS else LABEL[f.severity]
    severity = {"Label": label, "Original": f.severity.upper()}
    description = f.message
    if f.status is Status.SUPPRESSED:
        description += f" (suppressed: {f.suppression_reason})"
    elif f.status is Status.ERROR:
        description = f"Not evaluated: {f.message}" if not f.message.lower().startswith("not evaluated") else f.message
    resource = {
        "Type": RESOURCE_TYPES.get(f.resource_type, "Other"),
        "Id": f.resource_arn or f.resource_id,
        "Partition": partition,
        "Region": region,
    }
    if resource["Type"] == "Other":
        resource["Details"] = {"Other": {"ResourceType": _clip(f.resource_type, MAX_FIELD)}}
    product_fields = {
        "secure-mlops/ControlId": f.control_id,
        "secure-mlops/Status": f.status.value,
        "secure-mlops/Questions": ",".join(control.questions if control else f.questions),
        "secure-mlops/ResourceType": f.resource_type,
    }
    if f.evidence is not None:
        product_fields["secure-mlops/Evidence"] = _clip(json.dumps(f.evidence, sort_keys=True, default=str),
                                                        MAX_FIELD)
    if f.suppression_reason:
        product_fields["secure-mlops/SuppressionReason"] = _clip(f.suppression_reason, MAX_FIELD)
    out: dict[str, Any] = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(f),
        "ProductArn": product_arn(import_account or f.account, import_region or region, partition),
        "ProductName": "secure-mlops",
        "CompanyName": "secure-mlops",
        "GeneratorId": f"secure-mlops/{f.control_id}",
        "AwsAccountId": f.account,
        "Types": [FINDING_TYPE],
        "CreatedAt": created_at,
        "UpdatedAt": created_at,
        "Severity": severity,
        "Title": _clip(f"{f.control_id} {title}", MAX_TITLE),
        "Description": _clip(description, MAX_DESCRIPTION),
        "Resources": [resource],
        "Compliance": {
            "Status": COMPLIANCE[f.status],
            "RelatedRequirements": [f"secure-mlops {q}" for q in (control.questions if control else f.questions)],
        },
        "FindingProviderFields": {"Severity": dict(severity), "Types": [FINDING_TYPE]},
        "ProductFields": product_fields,
        "RecordState": "ACTIVE",
        "Workflow": {"Status": "SUPPRESSED" if f.status is Status.SUPPRESSED else "NEW"},
    }
    if control:
        out["Remediation"] = {"Recommendation": {"Text": _clip(control.remediation, MAX_RECOMMENDATION)}}
    return out


def live_findings(report) -> list[tuple[Finding, str]]:
    """(finding, ASFF timestamp of the document it came from) for every live finding.

    Raises AsffError naming the file when a live finding has no account (ASFF requires one).
    """
    out = []
    for i, f in enumerate(report.findings):
        if f.source.value != "live":
            continue
        origin = report.merged.origin(i)
        if not f.account:
            raise AsffError(
                f"{origin.path}: field findings/{f.control_id} {f.resource_id}/account: a live finding needs "
                "the AWS account for ASFF; write the document with `secure-mlops audit` (it records "
                "the account) or add `account` to the finding or to the document's target"
            )
        out.append((f, timestamp(origin.generated_at or report.generated_at)))
    return out


def render(report) -> str:
    """`--format asff`: a JSON list of ASFF findings (what `aws securityhub batch-import-findings
    --findings file://FILE` takes, in batches of 100)."""
    catalog = report.evaluation.catalog or load_catalog()
    findings = [to_asff(f, ts, catalog=catalog) for f, ts in live_findings(report)]
    return json.dumps(findings, indent=2) + "\n"
