"""Security Hub: importing and reading findings as AWS does.

moto accepts findings whether or not Security Hub is enabled, checks only that a finding has
resources, and ignores GetFindings filters. This extension:

- refuses ``BatchImportFindings`` and ``GetFindings`` in an account and region where Security
  Hub is not enabled (InvalidAccessException), and more than 100 findings per call;
- checks each finding (rejected in ``FailedFindings`` with ErrorCode InvalidInput, the others
  imported): the required ASFF fields (SchemaVersion, Id, ProductArn, GeneratorId,
  AwsAccountId, Types, CreatedAt, UpdatedAt, Severity.Label or Normalized, Title, Description,
  Resources), the account (the caller's), and the product ARN (the caller's default product
  in the call's region);
- adds what Security Hub adds on import (Region, ProductName, CompanyName, RecordState,
  Workflow status, ProcessedAt);
- applies ``GetFindings`` string filters (EQUALS, PREFIX, NOT_EQUALS, PREFIX_NOT_EQUALS,
  CONTAINS, NOT_CONTAINS) and ``SortCriteria`` on string fields; a filter the emulator does
  not implement (dates, numbers, maps) is refused rather than ignored.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ._support import override

REQUIRED = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt",
            "Title", "Description", "Resources")

#: GetFindings string filter -> how to read it from a finding
FIELDS = {
    "Id": lambda f: [f.get("Id")], "GeneratorId": lambda f: [f.get("GeneratorId")],
    "ProductArn": lambda f: [f.get("ProductArn")], "AwsAccountId": lambda f: [f.get("AwsAccountId")],
    "Title": lambda f: [f.get("Title")], "Description": lambda f: [f.get("Description")],
    "Region": lambda f: [f.get("Region")], "ProductName": lambda f: [f.get("ProductName")],
    "CompanyName": lambda f: [f.get("CompanyName")], "RecordState": lambda f: [f.get("RecordState")],
    "SeverityLabel": lambda f: [(f.get("Severity") or {}).get("Label")],
    "ComplianceStatus": lambda f: [(f.get("Compliance") or {}).get("Status")],
    "WorkflowStatus": lambda f: [(f.get("Workflow") or {}).get("Status")],
    "Type": lambda f: list(f.get("Types") or []),
    "ResourceType": lambda f: [r.get("Type") for r in f.get("Resources") or []],
    "ResourceId": lambda f: [r.get("Id") for r in f.get("Resources") or []],
    "ResourceRegion": lambda f: [r.get("Region") for r in f.get("Resources") or []],
}


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _not_subscribed(account_id: str) -> Exception:
    return _error("InvalidAccessException", f"Account {account_id} is not subscribed to AWS Security Hub")


def check_finding(finding: dict[str, Any], account_id: str, region: str) -> str | None:
    """Why Security Hub would refuse this finding, or None."""
    missing = [k for k in REQUIRED if not finding.get(k)]
    types = finding.get("Types") or (finding.get("FindingProviderFields") or {}).get("Types")
    if not types:
        missing.append("Types")
    severity = finding.get("Severity") or (finding.get("FindingProviderFields") or {}).get("Severity") or {}
    if "Label" not in severity and "Normalized" not in severity:
        missing.append("Severity.Label")
    if missing:
        return f"Finding is missing required field(s): {', '.join(missing)}"
    if finding["AwsAccountId"] != account_id:
        return f"AwsAccountId {finding['AwsAccountId']} is not the account of the caller ({account_id})"
    product = f"arn:aws:securityhub:{region}:{account_id}:product/{account_id}/default"
    if finding["ProductArn"] != product:
        return f"ProductArn {finding['ProductArn']} is not valid for this account and region (expected {product})"
    if not isinstance(finding["Resources"], list):
        return "Resources must be a list"
    if severity.get("Label") not in (None, "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"):
        return f"Invalid Severity.Label: {severity.get('Label')}"
    return None


def _matches(finding: dict[str, Any], name: str, conditions: list[dict[str, Any]]) -> bool:
    reader = FIELDS.get(name)
    if reader is None:
        raise _error("InvalidInputException",
                     f"The filter {name} is not supported by the embedded emulator (string filters only)")
    values = [str(v) for v in reader(finding) if v is not None]
    positive = [c for c in conditions if c.get("Comparison", "EQUALS") in ("EQUALS", "PREFIX", "CONTAINS")]
    negative = [c for c in conditions if c not in positive]

    def hit(c: dict[str, Any]) -> bool:
        value, op = str(c.get("Value", "")), c.get("Comparison", "EQUALS")
        if op in ("EQUALS", "NOT_EQUALS"):
            return value in values
        if op in ("PREFIX", "PREFIX_NOT_EQUALS"):
            return any(v.startswith(value) for v in values)
        if op in ("CONTAINS", "NOT_CONTAINS"):
            return any(value in v for v in values)
        raise _error("InvalidInputException", f"Invalid comparison {op} for filter {name}")

    if positive and not any(hit(c) for c in positive):
        return False
    return not any(hit(c) for c in negative)


def _install() -> None:
    from moto.securityhub.models import Finding, SecurityHubBackend

    @override(SecurityHubBackend)
    def batch_import_findings(self: Any, findings: list[dict[str, Any]]) -> tuple[int, int, list[dict[str, Any]]]:
        if not self.enabled:
            raise _not_subscribed(self.account_id)
        if not 1 <= len(findings) <= 100:
            raise _error("InvalidInputException", "Findings must contain between 1 and 100 findings")
        failed: list[dict[str, Any]] = []
        now = datetime.now(timezone.utc).isoformat()
        for data in findings:
            problem = check_finding(data, self.account_id, self.region_name)
            if problem:
                failed.append({"Id": data.get("Id", ""), "ErrorCode": "InvalidInput", "ErrorMessage": problem})
                continue
            record = {"Region": self.region_name, "ProductName": "Default", "CompanyName": "Personal",
                      "RecordState": "ACTIVE", "Workflow": {"Status": "NEW"}, "WorkflowState": "NEW",
                      **data, "ProcessedAt": now}
            existing = next((f for f in self.findings if f.id == data["Id"]), None)
            if existing is not None:
                existing.data.update(record)
            else:
                self.findings.append(Finding(data["Id"], record))
        return len(failed), len(findings) - len(failed), failed

    @override(SecurityHubBackend)
    def get_findings(self: Any, filters: dict[str, Any] | None = None, sort_criteria: list | None = None,
                     max_results: Any = None, next_token: Any = None) -> Any:
        if not self.enabled:
            raise _not_subscribed(self.account_id)
        saved = self.findings
        selected = [f for f in saved if all(_matches(f.data, n, c) for n, c in (filters or {}).items())]
        for criterion in reversed(sort_criteria or []):
            reader = FIELDS.get(criterion.get("Field", ""))
            if reader is None:
                raise _error("InvalidInputException", f"Sorting by {criterion.get('Field')} is not supported by the embedded emulator")
            selected.sort(key=lambda f: [str(v) for v in reader(f.data) if v is not None],
                          reverse=criterion.get("SortOrder") == "desc")
        self.findings = selected
        try:
            return get_findings.original(self, filters=None, sort_criteria=None, max_results=max_results,
                                         next_token=next_token)
        finally:
            self.findings = saved


def install() -> None:
    _install()
