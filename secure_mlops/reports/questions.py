"""Answer the thirteen security questions from merged findings.

How an answer is decided (docs/report.md repeats this for users):

* The **sources given** are the kinds of input: templates (a `gate` document) and live
  resources (an `audit` document). A control is *checked on* a source when it has the mode
  for it: preventive controls on templates, detective controls on live resources.
* Per control and source: **failing** if any finding FAILs; **error** if some findings ended
  in ERROR (and none failed), or it has no finding there while an input of that source could
  not be evaluated at all (an ERROR outside the catalogue); **not evaluated** if only ERROR
  findings, an input declares it not evaluated (the gate's `target.not_evaluated`: e.g.
  context missing for a file), or one input of that source did not run it (neither lists it in
  `evaluated_controls` nor has a finding for it); **no resource** (``not_applicable``) if every
  input of that source ran it and none found a resource it applies to (no finding at all);
  **passing** if it has PASS (or SUPPRESSED) findings and nothing else. SUPPRESSED findings
  are accepted exceptions: they do not fail the control, and they are counted and shown with
  their reason.
* Per control: failing if it fails on any source; else error if it errored on any; else not
  evaluated if any source it is checked on did not evaluate it, or no source it is checked on
  had a resource it applies to (or it is checked on none of the sources given); else passing.
  So a control passes only when it was evaluated and passed on at least one source with
  resources it applies to, and every other source it is checked on evaluated it too (passing,
  or no resource there: notebooks, jobs and models exist only at run time, never in templates).
* Per question: **not satisfied** if any of its controls fails (a known failure answers the
  question, even when other controls were not evaluated); else **not fully answered** if any
  control is in error or not evaluated; else **satisfied**.
* A finding whose control id is not in the catalogue is listed apart. If it is an ERROR (for
  instance a template that could not be parsed), every control checked on that source is
  in error: something on that source was not evaluated at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..controls import Catalog, Control, Question, load_catalog, severity_rank
from ..findings import Finding, Status, status_counts, worst_first
from .merge import Merged

CONTROL_STATES = ("passing", "failing", "error", "not_evaluated")
QUESTION_STATES = ("satisfied", "not_satisfied", "not_fully_answered")
MODE_OF_SOURCE = {"template": "preventive", "live": "detective"}
SOURCE_LABEL = {"template": "templates", "live": "live resources"}
KIND_OF_SOURCE = {"template": "gate", "live": "audit"}

STATE_LABEL = {
    "passing": "passing",
    "failing": "failing",
    "error": "error",
    "not_evaluated": "not evaluated",
    "not_checked": "not checked here",
    "not_applicable": "no resource",
    "satisfied": "satisfied",
    "not_satisfied": "not satisfied",
    "not_fully_answered": "not fully answered",
}


@dataclass
class SourceResult:
    """One control on one source (templates or live resources)."""

    source: str
    checked: bool  # the control has a check for this source (its mode), or findings on it
    state: str  # passing / failing / error / not_evaluated / not_checked
    reason: str
    counts: dict[str, int]

    def to_dict(self) -> dict:
        return {"source": self.source, "checked": self.checked, "state": self.state,
                "reason": self.reason, "counts": self.counts}


@dataclass
class ControlResult:
    control: Control
    state: str
    reason: str
    sources: dict[str, SourceResult]
    findings: list[Finding]  # worst first

    @property
    def counts(self) -> dict[str, int]:
        return status_counts(self.findings)

    @property
    def suppressed(self) -> int:
        return self.counts["SUPPRESSED"]

    def to_dict(self) -> dict:
        c = self.control
        return {
            "id": c.id,
            "title": c.title,
            "severity": c.severity,
            "modes": list(c.modes),
            "questions": list(c.questions),
            "state": self.state,
            "reason": self.reason,
            "counts": self.counts,
            "sources": {s: r.to_dict() for s, r in self.sources.items()},
            "pass_when": c.pass_when,
            "remediation": c.remediation,
        }


@dataclass
class Answer:
    question: Question
    status: str
    explanation: str
    controls: list[ControlResult]

    def with_state(self, state: str) -> list[ControlResult]:
        return [c for c in self.controls if c.state == state]

    @property
    def state_counts(self) -> dict[str, int]:
        c = Counter(r.state for r in self.controls)
        return {s: c.get(s, 0) for s in CONTROL_STATES}

    @property
    def suppressed(self) -> int:
        return sum(c.suppressed for c in self.controls)

    def worst(self, limit: int | None = None) -> list[Finding]:
        """FAIL and ERROR findings of its controls, worst first."""
        bad = [f for c in self.controls for f in c.findings if f.status in (Status.FAIL, Status.ERROR)]
        bad = worst_first(bad)
        return bad if limit is None else bad[:limit]

    def to_dict(self, worst_limit: int = 5) -> dict:
        q = self.question
        return {
            "id": q.id,
            "area": q.area,
            "text": q.text,
            "status": self.status,
            "explanation": self.explanation,
            "controls": {s: [c.control.id for c in self.with_state(s)] for s in CONTROL_STATES},
            "suppressed": self.suppressed,
            "worst_findings": [f.to_dict() for f in self.worst(worst_limit)],
        }


@dataclass
class Evaluation:
    answers: list[Answer]
    controls: dict[str, ControlResult]
    sources: tuple[str, ...]
    other_findings: list[Finding] = field(default_factory=list)  # control ids not in the catalogue
    catalog: Catalog | None = None  # the catalogue the answers were computed with

    def areas(self) -> list[tuple[str, list[Answer]]]:
        out: dict[str, list[Answer]] = {}
        for a in self.answers:
            out.setdefault(a.question.area, []).append(a)
        return list(out.items())

    def question_counts(self) -> dict[str, int]:
        c = Counter(a.status for a in self.answers)
        return {s: c.get(s, 0) for s in QUESTION_STATES}

    def control_counts(self) -> dict[str, int]:
        c = Counter(r.state for r in self.controls.values())
        return {s: c.get(s, 0) for s in CONTROL_STATES}


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _quote(message: str) -> str:
    for prefix in ("not evaluated: ", "Not evaluated: "):
        message = message.removeprefix(prefix)
    return message


def _source_result(control: Control, source: str, findings: list[Finding], evaluated_by: set[str],
                   not_run_in: list[str], declared: list[tuple[str, str]],
                   blanket_errors: list[Finding]) -> SourceResult:
    counts = status_counts(findings)
    checked = MODE_OF_SOURCE[source] in control.modes or bool(findings)
    label = SOURCE_LABEL[source]
    if not checked:
        return SourceResult(source, False, "not_checked",
                            f"{label}: not checked here (the control is not {MODE_OF_SOURCE[source]})", counts)
    n = len(findings)
    if counts["FAIL"]:
        return SourceResult(source, True, "failing", f"{label}: fails on {counts['FAIL']} of {_n(n, 'check')}", counts)
    ok = counts["PASS"] + counts["SUPPRESSED"]
    if counts["ERROR"] and ok:
        first = next(f for f in findings if f.status is Status.ERROR)
        return SourceResult(source, True, "error",
                            f"{label}: ERROR on {counts['ERROR']} of {_n(n, 'check')}, not evaluated "
                            f"({_quote(first.message)})", counts)
    if counts["ERROR"]:
        first = next(f for f in findings if f.status is Status.ERROR)
        return SourceResult(source, True, "not_evaluated",
                            f"{label}: could not be evaluated ({_quote(first.message)})", counts)
    if declared:
        where = "; ".join(f"{file if file != '*' else 'everywhere'}: {reason}" for file, reason in declared[:3])
        more = f" (and {len(declared) - 3} more)" if len(declared) > 3 else ""
        return SourceResult(source, True, "not_evaluated", f"{label}: not evaluated in {where}{more}", counts)
    if not_run_in:
        why = (f"not run in {', '.join(not_run_in)}" if ok or control.id in evaluated_by
               else f"not in the {KIND_OF_SOURCE[source]} findings given (not run)")
        return SourceResult(source, True, "not_evaluated", f"{label}: {why}", counts)
    if blanket_errors:
        first = blanket_errors[0]
        where = first.file or first.resource_id
        return SourceResult(source, True, "error",
                            f"{label}: {_n(len(blanket_errors), 'input')} could not be evaluated at all "
                            f"({where}: {_quote(first.message)})", counts)
    if not ok:
        if control.id in evaluated_by:  # every input of this source ran it, none found a resource
            return SourceResult(source, True, "not_applicable", f"{label}: evaluated, no resource it applies to",
                                counts)
        return SourceResult(source, True, "not_evaluated",
                            f"{label}: not in the {KIND_OF_SOURCE[source]} findings given (not run)", counts)
    extra = f", {counts['SUPPRESSED']} suppressed" if counts["SUPPRESSED"] else ""
    return SourceResult(source, True, "passing", f"{label}: {_n(ok, 'check')} pass{'es' if ok == 1 else ''}{extra}", counts)


def _combine(sources: dict[str, SourceResult]) -> str:
    """Failing, error, not evaluated on any source wins, in that order; a source with no resource
    the control applies to neither passes nor blocks it: at least one source must pass."""
    states = [r.state for r in sources.values() if r.checked]
    for state in ("failing", "error", "not_evaluated"):
        if state in states:
            return state
    return "passing" if "passing" in states else "not_evaluated"


def _control_result(control: Control, given: tuple[str, ...], findings: list[Finding],
                    evaluated_by: dict[str, set[str]], not_run_in: dict[str, list[str]],
                    declared: dict[str, list[tuple[str, str]]],
                    blanket: dict[str, list[Finding]]) -> ControlResult:
    per_source = {}
    for source in given:
        mine = [f for f in findings if f.source.value == source]
        per_source[source] = _source_result(control, source, mine, evaluated_by.get(source, set()),
                                            not_run_in.get(source, []), declared.get(source, []),
                                            blanket.get(source, []))
    state = _combine(per_source)
    if not any(r.checked for r in per_source.values()):
        wanted = [KIND_OF_SOURCE[s] for s, m in MODE_OF_SOURCE.items() if m in control.modes]
        reason = (f"no check for the inputs given (it is {', '.join(control.modes)}); "
                  f"give {' or '.join(wanted)} findings" if given else "no findings were given")
    else:
        reason = "; ".join(r.reason for r in per_source.values() if r.checked)
        if all(r.state == "not_applicable" for r in per_source.values() if r.checked):
            where = " or the ".join(SOURCE_LABEL[s] for s, r in per_source.items() if r.checked)
            reason = f"ran, but found no resource it applies to in the {where}: nothing was checked"
    return ControlResult(control, state, reason, per_source, worst_first(findings))


def _answer(question: Question, results: list[ControlResult], given: tuple[str, ...]) -> Answer:
    states = Counter(r.state for r in results)
    n = len(results)
    where = " and ".join(SOURCE_LABEL[s] for s in given) or "no inputs"
    if not results:
        return Answer(question, "not_fully_answered", "no control in the catalogue answers it", results)
    if states["failing"]:
        text = f"{states['failing']} of {n} controls fail"
        incomplete = states["error"] + states["not_evaluated"]
        if incomplete:
            text += f"; {incomplete} more could not be fully evaluated"
        return Answer(question, "not_satisfied", text, results)
    if states["error"] or states["not_evaluated"]:
        parts = []
        if states["error"]:
            parts.append(f"{states['error']} in error")
        if states["not_evaluated"]:
            parts.append(f"{states['not_evaluated']} not evaluated")
        return Answer(question, "not_fully_answered",
                      f"of {_n(n, 'control')}, {' and '.join(parts)}; none fails", results)
    suppressed = sum(r.suppressed for r in results)
    text = f"all {n} controls were evaluated and pass on the {where}"
    notes = [f"{_n(k, 'control')} had nothing to check in the {SOURCE_LABEL[s]}"
             for s in given if (k := sum(1 for r in results if r.sources[s].state == "not_applicable"))]
    if suppressed:
        notes.append(f"with {_n(suppressed, 'suppressed exception')}")
    if notes:
        text += f" ({'; '.join(notes)})"
    return Answer(question, "satisfied", text, results)


def evaluate(merged: Merged, catalog: Catalog | None = None) -> Evaluation:
    catalog = catalog or load_catalog()
    given = merged.sources
    by_control: dict[str, list[Finding]] = {}
    other: list[Finding] = []
    blanket: dict[str, list[Finding]] = {}
    for f in merged.findings:
        if f.control_id in catalog:
            by_control.setdefault(f.control_id, []).append(f)
        else:
            other.append(f)
            if f.status is Status.ERROR:
                blanket.setdefault(f.source.value, []).append(f)
    evaluated_by: dict[str, set[str]] = {}
    for doc in merged.inputs:
        evaluated_by.setdefault(doc.source, set()).update(doc.evaluated_controls)
    # an input that neither lists a control as evaluated nor has a finding for it did not run it
    reported = {(f.control_id, merged.origins[i]) for i, f in enumerate(merged.findings)}

    def not_run(control_id: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for i, doc in enumerate(merged.inputs):
            if control_id not in doc.evaluated_controls and (control_id, i) not in reported:
                out.setdefault(doc.source, []).append(doc.path)
        return out

    declared: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for doc in merged.inputs:
        for control_id, file, reason in doc.not_evaluated:
            declared.setdefault(control_id, {}).setdefault(doc.source, []).append((file, reason))

    results = {
        c.id: _control_result(c, given, by_control.get(c.id, []), evaluated_by, not_run(c.id),
                              declared.get(c.id, {}), blanket)
        for c in catalog
    }
    answers = []
    for q in catalog.questions.values():
        rs = sorted((results[c.id] for c in catalog.for_question(q.id)),
                    key=lambda r: (CONTROL_STATES.index(r.state) if r.state != "passing" else 9,
                                   -severity_rank(r.control.severity), r.control.id))
        answers.append(_answer(q, rs, given))
    return Evaluation(answers=answers, controls=results, sources=given, other_findings=worst_first(other),
                      catalog=catalog)
