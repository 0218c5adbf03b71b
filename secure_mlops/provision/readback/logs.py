"""Amazon CloudWatch Logs: log groups (KMS key, retention)."""

from __future__ import annotations

from . import reader


@reader("AWS::Logs::LogGroup")
def log_group(r):
    logs = r.client("logs")
    name = r.physical_id
    found = None
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        found = next((g for g in page["logGroups"] if g["logGroupName"] == name), None)
        if found:
            break
    if found is None:
        r.mismatch("(resource)", name, "not listed by logs:DescribeLogGroups", "missing")
        return
    r.attributes.update(Arn=found.get("arn"))
    r.compare("LogGroupName", found["logGroupName"])
    r.compare("KmsKeyId", found.get("kmsKeyId"), kind="kms")
    r.compare("RetentionInDays", found.get("retentionInDays"))
