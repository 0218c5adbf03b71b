"""`report --format html`: one self-contained HTML file (jinja2; inline CSS and SVG, no script,
no external resource), readable offline. Drill-down uses <details> elements."""

from __future__ import annotations

import json
from pathlib import Path

from .build import Report
from .questions import CONTROL_STATES, QUESTION_STATES, SOURCE_LABEL, STATE_LABEL
from .terminal import where

TEMPLATES = Path(__file__).resolve().parent / "templates"
PASS_ROWS_PER_CONTROL = 50  # PASS findings listed per control; the rest are counted (all are in --format json)

COLORS = {
    "passing": "#2e7d32", "failing": "#c62828", "error": "#ef6c00", "not_evaluated": "#9e9e9e",
    "satisfied": "#2e7d32", "not_satisfied": "#c62828", "not_fully_answered": "#ef6c00",
    "PASS": "#2e7d32", "FAIL": "#c62828", "ERROR": "#ef6c00", "SUPPRESSED": "#6a1b9a",
}


def bar(counts: dict[str, int], order, width: int = 240) -> list[dict]:
    """Segments of a stacked bar: x offset and width per state, in `order`."""
    total = sum(counts.get(s, 0) for s in order)
    segments, x = [], 0.0
    for state in order:
        n = counts.get(state, 0)
        if not n or not total:
            continue
        w = width * n / total
        segments.append({"state": state, "label": STATE_LABEL.get(state, state), "count": n,
                         "x": round(x, 2), "w": round(w, 2), "color": COLORS[state]})
        x += w
    return segments


def _finding_view(f) -> dict:
    return {
        "status": f.status.value,
        "severity": f.severity,
        "source": SOURCE_LABEL[f.source.value],
        "where": where(f),
        "resource_type": f.resource_type,
        "message": f.message,
        "evidence": json.dumps(f.evidence, indent=2, sort_keys=True, default=str) if f.evidence else "",
        "suppression_reason": f.suppression_reason or "",
        "details": json.dumps(f.details, indent=2, sort_keys=True, default=str) if f.details else "",
    }


def context(report: Report) -> dict:
    from .. import __version__

    ev = report.evaluation
    areas = []
    for area, answers in ev.areas():
        ids = {r.control.id for a in answers for r in a.controls}
        counts = {s: sum(1 for i in ids if ev.controls[i].state == s) for s in CONTROL_STATES}
        qcounts = {s: sum(1 for a in answers if a.status == s) for s in QUESTION_STATES}
        areas.append({"name": area, "answers": answers, "controls": counts, "questions": qcounts,
                      "bar": bar(counts, CONTROL_STATES, 300), "qbar": bar(qcounts, QUESTION_STATES, 300)})
    controls = []
    for r in sorted(ev.controls.values(),
                    key=lambda r: (["failing", "error", "not_evaluated", "passing"].index(r.state), r.control.id)):
        shown, shown_pass, hidden_pass = [], 0, 0
        for f in r.findings:
            if f.status.value == "PASS":
                if shown_pass >= PASS_ROWS_PER_CONTROL:
                    hidden_pass += 1
                    continue
                shown_pass += 1
            shown.append(_finding_view(f))
        controls.append({"r": r, "findings": shown, "hidden_pass": hidden_pass,
                         "bar": bar(r.counts, ["PASS", "SUPPRESSED", "ERROR", "FAIL"], 160)})
    return {
        "report": report,
        "ev": ev,
        "version": __version__,
        "sources": " and ".join(SOURCE_LABEL[s] for s in ev.sources) or "no inputs",
        "areas": areas,
        "controls": controls,
        "qcounts": ev.question_counts(),
        "fcounts": report.status_counts(),
        "question_bar": bar(ev.question_counts(), QUESTION_STATES, 600),
        "other": [_finding_view(f) for f in ev.other_findings],
        "STATE_LABEL": STATE_LABEL,
        "COLORS": COLORS,
        "CONTROL_STATES": CONTROL_STATES,
        "SOURCE_LABEL": SOURCE_LABEL,
        "bar": bar,
        "worst_limit": 5,
        "pass_rows": PASS_ROWS_PER_CONTROL,
    }


def render(report: Report) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["where"] = where
    return env.get_template("report.html.j2").render(**context(report))
