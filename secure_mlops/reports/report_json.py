"""`report --format json`: the merged findings plus the question answers (schema: report.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from .build import Report

REPORT_SCHEMA_VERSION = 1


def to_dict(report: Report) -> dict[str, Any]:
    from .. import __version__

    ev = report.evaluation
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "kind": "report",
        "tool": {"name": "secure-mlops", "version": __version__},
        "generated_at": report.generated_at,
        "inputs": [doc.to_dict() for doc in report.merged.inputs],
        "sources": list(ev.sources),
        "fail_on": report.fail_on,
        "exit_code": report.exit_code,
        "summary": {
            "questions": ev.question_counts(),
            "controls": ev.control_counts(),
            "findings": report.status_counts(),
            "failing_at_threshold": len(report.failing),
            "duplicates_dropped": report.merged.duplicates,
        },
        "questions": [a.to_dict() for a in ev.answers],
        "controls": [r.to_dict() for r in ev.controls.values()],
        "other_findings": [f.to_dict() for f in ev.other_findings],
        "findings": [f.to_dict() for f in report.findings],
    }


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, default=str) + "\n"
