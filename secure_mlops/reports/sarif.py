"""SARIF 2.1.0 for template findings (gate) and live findings (report).

Template findings carry a physical location: the file (a URI relative to the repository
root, ``uriBaseId: %SRCROOT%``), line and column, so GitHub code scanning shows them on the
line. Live findings have no file: their location is logical, named by the resource ARN.
Every rule carries the control's title, pass condition and remediation from the catalogue,
and a ``security-severity`` so GitHub ranks the alerts. Suppressed findings are reported
with an ``inSource`` suppression and its justification (they stay visible).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from ..findings import Finding, Source, Status

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/secure-mlops/secure-mlops"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _rule(control_id: str, catalog, severity: str) -> dict[str, Any]:
    control = catalog.controls.get(control_id) if catalog is not None else None
    if control is None:
        text = {
            "TEMPLATE-ERROR": ("The file could not be gated",
                               "Fix the file so that it parses as a CloudFormation template or a SageMaker pipeline "
                               "definition, or fix the named metadata entry."),
        }.get(control_id, (control_id, control_id))
        return {
            "id": control_id, "name": control_id.replace("-", ""),
            "shortDescription": {"text": text[0]},
            "fullDescription": {"text": text[0]},
            "help": {"text": text[1], "markdown": text[1]},
            "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
            "properties": {"security-severity": SECURITY_SEVERITY.get(severity, "5.0"), "tags": ["security"]},
        }
    help_md = (f"**{control.title}**\n\nPasses when: {control.pass_when}\n\nFix: {control.remediation}"
               f"\n\nAnswers: {', '.join(control.questions) or '(no security question)'}. "
               f"Show the control with `secure-mlops controls show {control.id}`.")
    return {
        "id": control.id,
        "name": control.id.replace("-", ""),
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": f"{control.title}. Passes when: {control.pass_when}"},
        "help": {"text": f"Passes when: {control.pass_when}\nFix: {control.remediation}", "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[control.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[control.severity],
            "tags": ["security", *control.questions],
            "questions": list(control.questions),
            "modes": list(control.modes),
        },
    }


def _fingerprint(f: Finding) -> str:
    key = "|".join(str(x) for x in (f.control_id, f.file or "", f.logical_id or f.resource_arn or f.resource_id,
                                    f.source.value))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    kind = "pass" if f.status is Status.PASS else "fail"
    text = f.message
    if f.status is Status.ERROR:
        text = f"not evaluated: {f.message}"
    result: dict[str, Any] = {
        "ruleId": f.control_id,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": "none" if f.status is Status.PASS else LEVEL.get(f.severity, "warning"),
        "message": {"text": text},
        "partialFingerprints": {"secureMlopsFinding/v1": _fingerprint(f)},
        "properties": {"status": f.status.value, "severity": f.severity, "questions": list(f.questions),
                       "resourceType": f.resource_type},
    }
    location: dict[str, Any] = {}
    if f.source is Source.TEMPLATE and f.file:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(1, f.line or 1), "startColumn": max(1, f.column or 1)},
        }
        if f.logical_id:
            location["logicalLocations"] = [{"name": f.logical_id, "kind": "resource",
                                             "fullyQualifiedName": f"{f.file}/Resources/{f.logical_id}"}]
    else:
        name = f.resource_arn or f.resource_id
        location["logicalLocations"] = [{"name": f.resource_id, "fullyQualifiedName": name, "kind": "resource"}]
    result["locations"] = [location]
    if f.status is Status.SUPPRESSED:
        result["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                   "justification": f.suppression_reason or ""}]
    if f.details:
        result["properties"]["details"] = f.details
    if f.source is Source.LIVE:
        for key in ("resource_arn", "account", "region", "evidence"):
            value = getattr(f, key)
            if value is not None:
                result["properties"][key] = value
    return result


def render_sarif(findings: Iterable[Finding], *, catalog=None, root_uri: str | None = None,
                 include_passed: bool = False) -> str:
    """A SARIF 2.1.0 log with one run. `root_uri`: file:// URI of the directory files are relative to."""
    from .. import __version__

    if catalog is None:
        from ..controls import load_catalog

        catalog = load_catalog()
    findings = [f for f in findings if include_passed or f.status is not Status.PASS]
    rules: list[dict] = []
    index: dict[str, int] = {}
    results = []
    for f in findings:
        if f.control_id not in index:
            index[f.control_id] = len(rules)
            rules.append(_rule(f.control_id, catalog, f.severity))
        results.append(_result(f, index[f.control_id]))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "secure-mlops", "version": __version__, "semanticVersion": __version__,
                            "informationUri": INFO_URI, "rules": rules}},
        "results": results,
        "columnKind": "unicodeCodePoints",
        "invocations": [{"executionSuccessful": True}],
    }
    if root_uri:
        run["originalUriBaseIds"] = {"%SRCROOT%": {"uri": root_uri if root_uri.endswith("/") else root_uri + "/"}}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"
