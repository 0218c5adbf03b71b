"""One finding model for every source: templates (gate) and live resources (audit, remediate).

A findings document is what `gate --format json` and `audit --format json` write and what
`report` reads::

    {
      "schema_version": 1,
      "tool": {"name": "secure-mlops", "version": "..."},
      "generated_at": "2026-11-26T06:00:00+00:00",
      "kind": "gate" | "audit",
      "target": {...},            # where the findings come from (files, or account/region/endpoint)
      "evaluated_controls": [...], # control ids that were run (so a report can count coverage)
      "findings": [ {finding}, ... ]
    }

See ``reports/findings.schema.json`` for the exact shape.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Iterable

from .controls import severity_rank

SCHEMA_VERSION = 1


class Status(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"  # could not be evaluated: never counts as compliant
    SUPPRESSED = "SUPPRESSED"  # failed, but suppressed with a recorded reason; stays visible

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


class Source(str, Enum):
    TEMPLATE = "template"
    LIVE = "live"

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.value


@dataclass
class Finding:
    control_id: str
    status: Status
    severity: str
    questions: list[str]
    source: Source
    resource_type: str
    resource_id: str
    message: str
    # template findings
    file: str | None = None
    line: int | None = None
    column: int | None = None
    logical_id: str | None = None
    # live findings
    resource_arn: str | None = None
    account: str | None = None
    region: str | None = None
    evidence: dict[str, Any] | None = None
    # suppressed findings
    suppression_reason: str | None = None
    # free-form extras (e.g. pipeline step name, policy name)
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.source = Source(self.source)
        self.questions = list(self.questions)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        d["source"] = self.source.value
        # drop empty optional fields to keep documents readable; required fields stay
        for key in ("file", "line", "column", "logical_id", "resource_arn", "account", "region",
                    "evidence", "suppression_reason"):
            if d[key] is None:
                del d[key]
        if not d["details"]:
            del d["details"]
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def status_counts(findings: Iterable[Finding]) -> dict[str, int]:
    """How many findings have each status, every status listed (PASS, FAIL, ERROR, SUPPRESSED)."""
    counts = {s.value: 0 for s in Status}
    for f in findings:
        counts[f.status.value] += 1
    return counts


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Sort: FAIL and ERROR first, then by severity (highest first), then by control id."""
    order = {Status.FAIL: 0, Status.ERROR: 1, Status.SUPPRESSED: 2, Status.PASS: 3}
    return sorted(
        findings,
        key=lambda f: (order[f.status], -severity_rank(f.severity), f.control_id, f.resource_id),
    )


def failing(findings: Iterable[Finding], fail_on: str) -> list[Finding]:
    """Findings that make a run fail at threshold `fail_on`: FAIL or ERROR at or above it.

    ERROR counts: a control that could not be evaluated is never treated as compliant.
    """
    threshold = severity_rank(fail_on)
    return [
        f for f in findings
        if f.status in (Status.FAIL, Status.ERROR) and severity_rank(f.severity) >= threshold
    ]


def exit_code(findings: Iterable[Finding], fail_on: str) -> int:
    """0: nothing failed at or above `fail_on`; 1: something did. (2 is for usage/input errors.)"""
    return 1 if failing(findings, fail_on) else 0


def make_document(
    findings: Iterable[Finding],
    kind: str,
    target: dict[str, Any] | None = None,
    evaluated_controls: Iterable[str] | None = None,
) -> dict[str, Any]:
    from . import __version__

    findings = list(findings)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "secure-mlops", "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "kind": kind,
        "target": target or {},
        "evaluated_controls": sorted(set(evaluated_controls or {f.control_id for f in findings})),
        "findings": [f.to_dict() for f in findings],
    }


def dump_document(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"


class FindingsFileError(Exception):
    """A findings file could not be read (names the file and the problem)."""


def load_documents(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Read findings documents written by `gate` or `audit`; validates their shape."""
    import jsonschema

    schema = json.loads((Path(__file__).parent / "reports" / "findings.schema.json").read_text())
    docs = []
    for path in paths:
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise FindingsFileError(f"{path}: no such file") from None
        except json.JSONDecodeError as exc:
            raise FindingsFileError(
                f"{path}: line {exc.lineno}: not JSON ({exc.msg}); pass a file written by "
                "`secure-mlops gate --format json` or `secure-mlops audit --format json`"
            ) from None
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.path) or "(top level)"
            raise FindingsFileError(f"{path}: field {where}: {e.message}")
        doc["_path"] = str(path)
        docs.append(doc)
    return docs


def findings_of(docs: Iterable[dict[str, Any]]) -> list[Finding]:
    return [Finding.from_dict(f) for doc in docs for f in doc["findings"]]
