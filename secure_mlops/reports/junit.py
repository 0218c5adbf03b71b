"""JUnit XML for CI systems: one test suite per control, one test case per resource.

FAIL -> <failure>, ERROR (not evaluated) -> <error>, SUPPRESSED -> <skipped> with the reason,
PASS -> a passing test case.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable

from ..findings import Finding, Status


def render_junit(findings: Iterable[Finding], *, name: str = "secure-mlops gate", time_s: float = 0.0) -> str:
    findings = list(findings)
    suites: dict[str, list[Finding]] = {}
    for f in findings:
        suites.setdefault(f.control_id, []).append(f)
    root = ET.Element("testsuites", name=name, tests=str(len(findings)),
                      failures=str(sum(f.status is Status.FAIL for f in findings)),
                      errors=str(sum(f.status is Status.ERROR for f in findings)),
                      skipped=str(sum(f.status is Status.SUPPRESSED for f in findings)),
                      time=f"{time_s:.3f}")
    for control_id in sorted(suites):
        items = suites[control_id]
        suite = ET.SubElement(root, "testsuite", name=control_id, tests=str(len(items)),
                              failures=str(sum(f.status is Status.FAIL for f in items)),
                              errors=str(sum(f.status is Status.ERROR for f in items)),
                              skipped=str(sum(f.status is Status.SUPPRESSED for f in items)), time="0")
        for f in items:
            where = f"{f.file}:{f.line}" if f.file else (f.resource_arn or f.resource_id)
            case = ET.SubElement(suite, "testcase", name=f"{f.resource_id} ({where})",
                                 classname=f"{control_id}.{(f.file or f.resource_type).replace('.', '_')}",
                                 file=f.file or "", line=str(f.line or 0), time="0")
            text = f"{f.severity} {f.control_id} {f.resource_type} {f.resource_id}: {f.message}"
            if f.status is Status.FAIL:
                ET.SubElement(case, "failure", message=f.message, type=f.severity).text = text
            elif f.status is Status.ERROR:
                ET.SubElement(case, "error", message=f"not evaluated: {f.message}", type=f.severity).text = text
            elif f.status is Status.SUPPRESSED:
                ET.SubElement(case, "skipped", message=f"suppressed: {f.suppression_reason}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
