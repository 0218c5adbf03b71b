"""The scheduled audit's Lambda function (``secure-mlops schedule deploy`` installs it).

Each run audits the account and region the function runs in, with every detective control
and the environment context the environments there publish in SSM (as ``secure-mlops audit``
without ``-c``), writes the findings document to S3 with SSE-KMS and, when configured, brings
Security Hub up to date:

- findings that FAIL or could not be evaluated (ERROR) are imported;
- findings imported earlier that now PASS are imported again as PASSED (Security Hub resolves them);
- findings imported earlier whose resource is gone are archived (RecordState ARCHIVED), but only
  when their control ran completely this time: a control that could not run leaves earlier
  findings as they are (fail closed).

A run that cannot write its findings, or cannot import them, ends in an error (the invocation
fails and Lambda's Errors metric counts it); the findings document is written first.

Configuration comes from environment variables set by ``schedule deploy`` (:class:`Settings`).
Importing this module is cheap; c7n and the rules load on a cold start's first run (about
0.5 s of it, measured in docs/schedule.md).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

BUCKET, PREFIX, KMS_KEY, SECURITY_HUB, ENVIRONMENT = (
    "SECURE_MLOPS_FINDINGS_BUCKET", "SECURE_MLOPS_FINDINGS_PREFIX", "SECURE_MLOPS_FINDINGS_KMS_KEY",
    "SECURE_MLOPS_TO_SECURITY_HUB", "SECURE_MLOPS_ENVIRONMENT")
DEFAULT_PREFIX = "secure-mlops/findings/"
GENERATOR_PREFIX = "secure-mlops/"


class ScheduledAuditError(Exception):
    """The run could not store or import its findings (the invocation fails)."""


@dataclass(frozen=True)
class Settings:
    bucket: str
    kms_key: str
    prefix: str = DEFAULT_PREFIX
    to_security_hub: bool = False
    environment: str = ""

    @classmethod
    def from_environ(cls, environ) -> "Settings":
        missing = [k for k in (BUCKET, KMS_KEY) if not environ.get(k)]
        if missing:
            raise ScheduledAuditError(f"the function lacks its settings {', '.join(missing)}; "
                                      "run `secure-mlops schedule deploy` again")
        return cls(bucket=environ[BUCKET], kms_key=environ[KMS_KEY], prefix=environ.get(PREFIX) or DEFAULT_PREFIX,
                   to_security_hub=environ.get(SECURITY_HUB, "false").lower() == "true",
                   environment=environ.get(ENVIRONMENT, ""))

    def to_environ(self) -> dict[str, str]:
        return {BUCKET: self.bucket, KMS_KEY: self.kms_key, PREFIX: self.prefix,
                SECURITY_HUB: "true" if self.to_security_hub else "false", ENVIRONMENT: self.environment}


def findings_prefix(prefix: str, account: str, region: str) -> str:
    """Where the runs of one account-region put their documents (keys sort by time)."""
    return f"{prefix}{account}/{region}/"


def findings_key(prefix: str, account: str, region: str, moment: datetime, request_id: str) -> str:
    return (findings_prefix(prefix, account, region)
            + moment.strftime("%Y/%m/%d/%Y%m%dT%H%M%SZ") + f"-{request_id}.json")


def handler(event: dict[str, Any] | None, context) -> dict[str, Any]:
    """Lambda entry point: an EventBridge scheduled event (or any event, to run on demand)."""
    import boto3

    _, _, _, region, account, *_ = context.invoked_function_arn.split(":")
    session = boto3.Session(region_name=region)
    summary = run(session, account, region, Settings.from_environ(os.environ),
                  function_arn=context.invoked_function_arn, request_id=context.aws_request_id,
                  trigger=_trigger(event))
    print(json.dumps(summary, sort_keys=True))  # one line in the function's log
    if summary.get("security_hub", {}).get("failures"):
        raise ScheduledAuditError(f"{len(summary['security_hub']['failures'])} findings could not be imported into "
                                  f"Security Hub (the findings are in {summary['findings_object']}): "
                                  f"{summary['security_hub']['failures'][0]}")
    return summary


def _trigger(event: dict[str, Any] | None) -> dict[str, Any]:
    event = event or {}
    if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
        return {"type": "schedule", "rule": (event.get("resources") or [None])[0], "time": event.get("time"),
                "event_id": event.get("id")}
    return {"type": "invoke"}


def run(session, account: str, region: str, settings: Settings, function_arn: str = "", request_id: str = "",
        trigger: dict[str, Any] | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Audit `account`/`region`, write the findings document, sync Security Hub; return a summary."""
    import botocore.exceptions

    from ..controls import load_catalog
    from ..findings import dump_document, make_document
    from .audit import audit_target_region
    from .stats import AuditStats

    now = now or datetime.now(timezone.utc)
    controls = load_catalog().with_mode("detective")
    stats = AuditStats()
    start = time.perf_counter()
    findings = audit_target_region(lambda: session, account, region, controls, None, stats)
    stats.wall_seconds = time.perf_counter() - start
    target = {"kind": "aws", "account": account, "region": region, "endpoint_url": os.environ.get("AWS_ENDPOINT_URL"),
              "scheduled": {"function_arn": function_arn, "request_id": request_id, "trigger": trigger or {},
                            "environment": settings.environment or None}}
    doc = make_document(findings, "audit", target=target, evaluated_controls=[c.id for c in controls])
    doc["stats"] = stats.to_dict()
    key = findings_key(settings.prefix, account, region, now, request_id or "manual")
    try:
        session.client("s3", region_name=region).put_object(
            Bucket=settings.bucket, Key=key, Body=dump_document(doc).encode(), ContentType="application/json",
            ServerSideEncryption="aws:kms", SSEKMSKeyId=settings.kms_key)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise ScheduledAuditError(f"the findings could not be written to s3://{settings.bucket}/{key}: {exc}") from exc
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.status.value] = counts.get(f.status.value, 0) + 1
    summary: dict[str, Any] = {"findings_object": f"s3://{settings.bucket}/{key}", "account": account,
                               "region": region, "counts": counts, "seconds": round(stats.wall_seconds, 1),
                               "api_calls": stats.total_calls}
    if settings.to_security_hub:
        from ..reports.asff import timestamp

        summary["security_hub"] = sync_security_hub(session, account, region, findings, {c.id for c in controls},
                                                    timestamp(doc["generated_at"]))
    return summary


def sync_security_hub(session, account: str, region: str, findings, evaluated: set[str],
                      created_at: str) -> dict[str, Any]:
    """Import FAIL/ERROR findings, resolve earlier ones that now pass, archive those whose resource is gone."""
    import botocore.exceptions

    from ..findings import Status
    from ..reports.asff import finding_id, product_arn
    from ..reports.security_hub import BATCH_SIZE, import_findings

    client = session.client("securityhub", region_name=region)
    result: dict[str, Any] = {"imported": 0, "resolved": 0, "archived": 0, "failures": []}
    try:
        open_before = _open_findings(client, product_arn(account, region))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        result["failures"].append(f"GetFindings: {exc}")
        return result
    current = {finding_id(f): f for f in findings}
    failing = [f for f in findings if f.status in (Status.FAIL, Status.ERROR)]
    # a policy that could not run leaves one ERROR for the account-region and no per-resource verdicts
    whole = f"{account}/{region}"
    not_run = {f.control_id for f in findings
               if f.status is Status.ERROR and (f.resource_id == whole or f.resource_id.startswith(whole + "/"))}
    resolved, archived = [], []
    for fid, earlier in open_before.items():
        now_f = current.get(fid)
        if now_f is not None:
            if now_f.status is Status.PASS:
                resolved.append(now_f)
            continue
        control = (earlier.get("ProductFields") or {}).get("secure-mlops/ControlId", "")
        if control in evaluated and control not in not_run:
            archived.append(_archived(earlier, created_at))
    imported = import_findings(session, [(f, created_at) for f in failing + resolved], account, region)
    failed_ids = {x.finding_id for x in imported.failures}
    result["imported"] = sum(1 for f in failing if finding_id(f) not in failed_ids)
    result["resolved"] = sum(1 for f in resolved if finding_id(f) not in failed_ids)
    result["failures"] += [f"{x.finding_id}: {x.code}: {x.message}" for x in imported.failures]
    for start in range(0, len(archived), BATCH_SIZE):
        batch = archived[start:start + BATCH_SIZE]
        try:
            response = client.batch_import_findings(Findings=batch)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            result["failures"] += [f"{a['Id']}: {exc}" for a in batch]
            continue
        result["archived"] += response.get("SuccessCount", 0)
        result["failures"] += [f"{x.get('Id')}: {x.get('ErrorCode')}: {x.get('ErrorMessage')}"
                               for x in response.get("FailedFindings", [])]
    return result


def _open_findings(client, product: str) -> dict[str, dict[str, Any]]:
    """Active findings of this tool in the account-region's default product that are not PASSED."""
    filters = {"ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
               "GeneratorId": [{"Value": GENERATOR_PREFIX, "Comparison": "PREFIX"}],
               "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
               "ComplianceStatus": [{"Value": "FAILED", "Comparison": "EQUALS"},
                                    {"Value": "NOT_AVAILABLE", "Comparison": "EQUALS"}]}
    out: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("get_findings").paginate(Filters=filters, PaginationConfig={"PageSize": 100}):
        for f in page.get("Findings", []):
            out[f["Id"]] = f
    return out


#: the fields this tool sets on import (ASFF), kept when a finding is archived
_OWN_FIELDS = ("SchemaVersion", "Id", "ProductArn", "ProductName", "CompanyName", "GeneratorId", "AwsAccountId",
               "Types", "CreatedAt", "Severity", "Title", "Description", "Resources", "Compliance",
               "FindingProviderFields", "Remediation")


def _archived(earlier: dict[str, Any], updated_at: str) -> dict[str, Any]:
    out = {k: earlier[k] for k in _OWN_FIELDS if k in earlier}
    out["ProductFields"] = {k: v for k, v in (earlier.get("ProductFields") or {}).items()
                            if k.startswith(GENERATOR_PREFIX)}
    out["UpdatedAt"] = updated_at
    out["RecordState"] = "ARCHIVED"
    return out
