"""From cfn-guard's report to findings: which resource failed which control, where, and why.

cfn-guard reports failing clauses with data paths (/Resources/<id>/...). The gate maps each to
the resource, the original file, line and column, words the message (naming the pipeline step
or the endpoint service, and saying "cannot be verified" when the value was not known before
deployment), reports PASS for the resources the rule's scope rule named and that did not fail,
and applies suppressions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..controls import Catalog, Control
from ..findings import Finding, Source, Status
from .derive import Doc
from .rulesfile import SCOPE_SUFFIX

TEMPLATE_ERROR = "TEMPLATE-ERROR"  # pseudo control of findings about a file rather than a control
#: a rule's custom message that starts with this marks a check the template cannot decide (the
#: environment keeps the evidence elsewhere: an organization trail, a role brought from outside):
#: the resource is *not evaluated* for the control, neither PASS nor FAIL (other failures stay FAIL)
NOT_EVALUATED_PREFIX = "not evaluated: "
SUPPRESS_KEY = "secure-mlops"
#: registry-style suppressions the gate reads but does not honour (they carry no reason)
FOREIGN_SUPPRESSIONS = (("guard", "SuppressedRules"), ("cfn_nag", "rules_to_suppress"))


@dataclass
class NotEvaluated:
    control_id: str
    file: str
    reason: str

    def to_dict(self) -> dict:
        return {"control_id": self.control_id, "file": self.file, "reason": self.reason}


@dataclass
class _Failure:
    path: str
    message: str
    detail: str
    tpath: tuple = ()  # the path in the resolved data (set by findings_for)


def _walk_checks(node: Any, out: list[_Failure]) -> None:
    if isinstance(node, list):
        for x in node:
            _walk_checks(x, out)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "Clause" and isinstance(value, dict):
            for clause in value.values():
                _clause(clause, out)
        elif key == "Block" and isinstance(value, dict):
            unresolved = value.get("unresolved") or {}
            path = ((unresolved.get("traversed_to") or {}).get("path"))
            msgs = value.get("messages") or {}
            if path is not None:
                out.append(_Failure(path, (msgs.get("custom_message") or "").strip(),
                                    msgs.get("error_message") or ""))
            _walk_checks(value.get("checks"), out)
        elif isinstance(value, (dict, list)):
            _walk_checks(value, out)


def _first_path(node: Any) -> str | None:
    """The data path a check points at, whatever the shape of cfn-guard's check record."""
    if isinstance(node, dict):
        for key in ("from", "value", "traversed_to"):
            sub = node.get(key)
            if isinstance(sub, dict) and isinstance(sub.get("path"), str):
                return sub["path"]
        if isinstance(node.get("path"), str):
            return node["path"]
        for value in node.values():
            found = _first_path(value)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _first_path(value)
            if found is not None:
                return found
    return None


def _clause(clause: dict, out: list[_Failure]) -> None:
    msgs = clause.get("messages") or {}
    custom = (msgs.get("custom_message") or "").strip()
    detail = msgs.get("error_message") or ""
    check = clause.get("check") or {}
    path = _first_path(check)
    out.append(_Failure(path or "", custom, detail or json.dumps(check)[:200]))


def failures_by_doc(report: list[dict], names: dict[str, Doc]) -> dict[int, dict[str, list[_Failure]]]:
    """doc id -> rule name -> failures."""
    out: dict[int, dict[str, list[_Failure]]] = {}
    for entry in report:
        doc = names.get(entry.get("name", "")) or names.get(str(Path(entry.get("name", "")).resolve()))
        if doc is None:
            continue
        per_rule = out.setdefault(id(doc), {})
        reported = set(entry.get("compliant") or []) | set(entry.get("not_applicable") or [])
        for nc in entry.get("not_compliant") or []:
            reported.add((nc.get("Rule") or {}).get("name", ""))
            rule = nc.get("Rule") or {}
            fails: list[_Failure] = []
            _walk_checks(rule.get("checks"), fails)
            per_rule.setdefault(rule.get("name", ""), []).extend(fails)
        per_rule["__reported__"] = [_Failure(name, "", "") for name in sorted(reported)]
    return out


def _split_path(path: str) -> tuple:
    parts = [p for p in path.split("/") if p != ""]
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _to_tuple(doc: Doc, path: str) -> tuple:
    """Guard path -> data path (keys may contain '/', e.g. aws:ResourceTag/team)."""
    parts = _split_path(path)
    node: Any = doc.resolved.data
    out: list = []
    i = 0
    while i < len(parts):
        if isinstance(node, dict):
            for j in range(len(parts), i, -1):
                key = "/".join(str(p) for p in parts[i:j])
                if key in node:
                    out.append(key)
                    node = node[key]
                    i = j
                    break
            else:
                out.extend(parts[i:])
                break
        elif isinstance(node, list) and isinstance(parts[i], int) and parts[i] < len(node):
            out.append(parts[i])
            node = node[parts[i]]
            i += 1
        else:
            out.extend(parts[i:])
            break
    return tuple(out)


def scope_types(control: Control) -> tuple[str, ...]:
    return control.gate_scope or tuple(r for r in control.resources if r.startswith("AWS::"))


def _context_missing(control: Control, doc: Doc) -> str | None:
    gc = doc.resolved.data.get("GateContext", {})
    for need in control.gate_context:
        if need == "stage" and "Stage" not in gc:
            return ("the environment's stage is unknown: pass --config, or give the template a Stage (or "
                    "StageName) parameter (dev, staging or prod)")
        if need == "internet_free" and "InternetFree" not in gc:
            return ("whether the environment is internet-free is unknown: pass --config, or give the template "
                    "an InternetFree parameter (true/false)")
        if need == "environment" and not gc.get("SageMaker"):
            return "the template declares no SageMaker resource and no environment configuration was given"
    return None


def findings_for(doc: Doc, controls: list[Control], catalog: Catalog, failures: dict[str, list[_Failure]],
                  suppressions: dict[str, list[dict]], result: Any) -> list[Finding]:
    """Findings of every control on one document; appends to result.not_evaluated."""
    out: list[Finding] = []
    resources = doc.resources
    valid_supp: dict[str, dict[str, str]] = {}
    for lid, entries in suppressions.items():
        for entry in entries:
            cid = entry.get("id") if isinstance(entry, dict) else None
            reason = entry.get("reason") if isinstance(entry, dict) else None
            line, col = doc.resolved.loaded.position(("Resources", lid, "Metadata", SUPPRESS_KEY))
            rtype = str(resources.get(lid, {}).get("Type", ""))
            if isinstance(entry, dict) and set(entry) == {"_invalid"}:  # not `suppress: [...]`
                out.append(Finding(
                    control_id=TEMPLATE_ERROR, status=Status.ERROR, severity="high", questions=[],
                    source=Source.TEMPLATE, resource_type=rtype, resource_id=lid, logical_id=lid,
                    message=(f"Metadata.{SUPPRESS_KEY} is {json.dumps(entry['_invalid'], default=str)}, so it "
                             "suppresses nothing: write `suppress:` with a list of entries, each with `id:` and "
                             "`reason:`, e.g. `suppress: [{id: SM-NB-01, reason: <why>}]`"),
                    file=doc.display, line=line, column=col))
                continue
            if not isinstance(entry, dict):  # `- SM-NB-05`: an id without a reason, or not an entry at all
                known = isinstance(entry, str) and entry.strip() in catalog
                c = catalog.get(entry.strip()) if known else None
                out.append(Finding(
                    control_id=c.id if c else TEMPLATE_ERROR, status=Status.ERROR,
                    severity=c.severity if c else "high", questions=list(c.questions) if c else [],
                    source=Source.TEMPLATE, resource_type=rtype, resource_id=lid, logical_id=lid,
                    message=(f"Metadata.{SUPPRESS_KEY}.suppress entry {json.dumps(entry, default=str)} is not "
                             "honoured: each entry needs `id:` and `reason:`, e.g. "
                             f"`- {{id: {c.id if c else 'SM-NB-01'}, reason: <why>}}`"
                             + ("" if c else " (the id must be a known control id: `secure-mlops controls list`)")),
                    file=doc.display, line=line, column=col))
                continue
            if not isinstance(cid, str) or cid not in catalog:
                out.append(Finding(
                    control_id=TEMPLATE_ERROR, status=Status.ERROR, severity="high", questions=[],
                    source=Source.TEMPLATE, resource_type=rtype, resource_id=lid, logical_id=lid,
                    message=(f"Metadata.{SUPPRESS_KEY}.suppress entry {json.dumps(entry, default=str)} does not name "
                             "a known control id (`secure-mlops controls list`); it suppresses nothing"),
                    file=doc.display, line=line, column=col))
                continue
            if not isinstance(reason, str) or not reason.strip():
                c = catalog.get(cid)
                out.append(Finding(
                    control_id=cid, status=Status.ERROR, severity=c.severity, questions=list(c.questions),
                    source=Source.TEMPLATE, resource_type=rtype, resource_id=lid, logical_id=lid,
                    message=(f"suppression of {cid} has no reason, so it is not honoured; add "
                             f"`reason: <why>` to the entry in Metadata.{SUPPRESS_KEY}.suppress"),
                    file=doc.display, line=line, column=col))
                continue
            valid_supp.setdefault(lid, {})[cid] = reason.strip()

    reported = {f.path for f in failures.get("__reported__", [])}
    for control in controls:
        if control.guard_rule_name not in reported:
            # cfn-guard did not evaluate the rule at all: never a PASS
            line, col = (1, 1)
            out.append(Finding(
                control_id=control.id, status=Status.ERROR, severity=control.severity,
                questions=list(control.questions), source=Source.TEMPLATE, resource_type="file",
                resource_id=doc.display, file=doc.display, line=line, column=col,
                message=f"cfn-guard did not report rule {control.guard_rule_name} for this file"))
            continue
        rule_fails = failures.get(control.guard_rule_name, [])
        missing_ctx = _context_missing(control, doc)
        if missing_ctx and not rule_fails:
            in_scope = [lid for lid, r in resources.items() if isinstance(r, dict) and r.get("Type")
                        in scope_types(control)]
            if in_scope:
                result.not_evaluated.append(NotEvaluated(control.id, doc.display, missing_ctx))
            continue
        by_res: dict[str, list[_Failure]] = {}
        for f in rule_fails:
            f.tpath = _to_tuple(doc, f.path)
            lid = f.tpath[1] if len(f.tpath) >= 2 and f.tpath[0] == "Resources" else "(template)"
            by_res.setdefault(lid, []).append(f)
        # the resources the rule is about: those its scope rule named (see scope_rule)
        lids = []
        for f in failures.get(control.guard_rule_name + SCOPE_SUFFIX, []):
            tpath = _split_path(f.path)
            if len(tpath) >= 2 and tpath[0] == "Resources" and tpath[1] not in lids:
                lids.append(str(tpath[1]))
        for lid in by_res:
            if lid not in lids:
                lids.append(lid)
        for lid in lids:
            res = resources.get(lid, {}) if lid != "(template)" else {}
            rtype = str(res.get("Type", "template"))
            fails = by_res.get(lid)
            undecided = [f for f in fails or [] if f.message.startswith(NOT_EVALUATED_PREFIX)]
            fails = [f for f in fails or [] if not f.message.startswith(NOT_EVALUATED_PREFIX)]
            if undecided and not fails:
                for why in dict.fromkeys(_undecided_reason(doc, f) for f in undecided):
                    result.not_evaluated.append(NotEvaluated(control.id, doc.display, f"{lid}: {why}"))
                continue
            if fails:
                message, line, col, details = _fail_message(doc, lid, fails, control.title)
                status = Status.FAIL
                note = _foreign_suppression_note(doc, lid, control)
                if note:
                    message += f" ({note})"
            else:
                message = f"{control.title}: holds"
                line, col = doc.resolved.position(("Resources", lid)) if lid != "(template)" else (1, 1)
                details, status = {}, Status.PASS
            reason = valid_supp.get(lid, {}).get(control.id)
            finding = Finding(
                control_id=control.id, status=status, severity=control.severity, questions=list(control.questions),
                source=Source.TEMPLATE, resource_type=rtype, resource_id=lid, message=message,
                file=doc.display, line=line, column=col, logical_id=lid if lid != "(template)" else None,
                details=details)
            if reason is not None:
                if status is Status.FAIL:
                    finding.status = Status.SUPPRESSED
                    finding.suppression_reason = reason
                else:
                    finding.details["suppression"] = f"suppressed ({reason}) but the control holds"
            out.append(finding)
    return out


def _undecided_reason(doc: Doc, f: _Failure) -> str:
    """The rule's reason; `{value}` in it becomes the value the check is about (e.g. the role ARN)."""
    why = f.message[len(NOT_EVALUATED_PREFIX):]
    value = _props_of_path(doc.resolved.data, f.tpath) if f.tpath else None
    return why.replace("{value}", value if isinstance(value, str) else "(unknown)")


def _fail_message(doc: Doc, lid: str, fails: list[_Failure], title: str) -> tuple[str, int, int, dict]:
    data = doc.resolved.data
    messages: list[str] = []
    checks: list[str] = []
    unresolved: list[str] = []
    first = None
    for f in fails:
        tpath = f.tpath
        prefix = _prefix(data, tpath)
        msg = (prefix + _fill(f.message, data, lid, tpath)) if f.message else ""
        if f.detail:
            checks.append(f.detail.strip())
        why = doc.resolved.unresolved_at(tpath) if tpath else None
        if why is None:
            why = _unresolved_along(data, tpath)
        if why is None and f.message.startswith("cannot be verified: "):
            why = f.message[len("cannot be verified: "):]
            msg = ""
        if why is None and "Derived" in tpath:
            reasons = doc.derived_unresolved.get(lid)
            why = reasons[0] if reasons else None
        if why and why not in unresolved:
            unresolved.append(why)
        if msg and msg not in messages:
            messages.append(msg)
        pos = doc.resolved.position(tpath) if tpath else (1, 1)
        if first is None or pos < first:
            first = pos
    text = "; ".join(merge_lists(messages))
    if unresolved:
        text = f"cannot be verified: {unresolved[0]}" + (f" — {text}" if text else "")
    if not text:  # a check without a message (every rule's checks should have one: tests/test_guard_rules.py)
        text = f"{title} does not hold" + (f" (cfn-guard: {checks[0]})" if checks else "")
    line, col = first or (1, 1)
    details: dict[str, Any] = {"checks": checks[:20]}
    if unresolved:
        details["unresolved"] = unresolved
    return text, line, col, details


#: a list slot in a rule's message: messages that differ only in it are merged into one sentence
#: ("does not deny {and:A} when {or:K}" x 4 -> "does not deny A and B when K1 or K2")
_SLOT = re.compile(r"\{(and|or):([^{}]*)\}")


def _fill(message: str, data: Any, lid: str, tpath: tuple) -> str:
    """A rule's message with its placeholders filled in.

    ``{resource}``: the logical id; ``{statement}``: the policy statement the failing value is
    in (its ``Source``, e.g. "statement 2 of inline policy p"); ``{value}``: the failing value.
    """
    if "{resource}" in message:
        message = message.replace("{resource}", lid)
    if "{statement}" in message:
        source = None
        node = data
        for p in tpath:
            try:
                node = node[p]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(node, dict) and isinstance(node.get("Source"), str):
                source = node["Source"]
        message = message.replace("{statement}", source or "a statement")
    if "{value}" in message:
        value = _props_of_path(data, tpath)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        message = message.replace("{value}", value if isinstance(value, str) and value else "(unknown)")
    return message


def merge_lists(messages: list[str]) -> list[str]:
    """Merge messages that differ only in one ``{and:...}``/``{or:...}`` slot, slot by slot, and
    write the slots as lists ("A, B and C")."""
    items: list[tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]] = []
    for m in messages:
        pieces = _SLOT.split(m)
        items.append((tuple(pieces[0::3]), tuple((pieces[i], (pieces[i + 1],)) for i in range(1, len(pieces), 3))))
    for i in range(max((len(slots) for _, slots in items), default=0)):
        merged: dict[tuple, tuple] = {}
        for texts, slots in items:
            if len(slots) <= i:
                merged.setdefault((texts, slots), (texts, slots))
                continue
            key = (texts, slots[:i] + slots[i + 1:], slots[i][0])
            if key not in merged:
                merged[key] = (texts, slots)
                continue
            mtexts, mslots = merged[key]
            values = mslots[i][1] + tuple(v for v in slots[i][1] if v not in mslots[i][1])
            merged[key] = (mtexts, mslots[:i] + ((mslots[i][0], values),) + mslots[i + 1:])
        items = list(merged.values())
    out = []
    for texts, slots in items:
        text = texts[0]
        for (conj, values), after in zip(slots, texts[1:]):
            text += (values[0] if len(values) == 1 else f"{', '.join(values[:-1])} {conj} {values[-1]}") + after
        out.append(text)
    return out


def _unresolved_along(data: Any, tpath: tuple) -> str | None:
    """The reason of an {"Unresolved": ...} value at or above the failing path."""
    node = data
    for p in tpath:
        if isinstance(node, dict) and "Unresolved" in node:
            return str(node["Unresolved"])
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict) and "Unresolved" in node:
        return str(node["Unresolved"])
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and "Unresolved" in item:
                return str(item["Unresolved"])
    return None


def _prefix(data: Any, tpath: tuple) -> str:
    """'step TrainModel: ' / 'endpoint sts: ' for paths inside derived lists."""
    for i in range(len(tpath) - 1):
        if tpath[i] == "Steps" and i >= 1 and tpath[i - 1] == "Derived" and isinstance(tpath[i + 1], int):
            step = _props_of_path(data, tpath[:i + 2])
            if isinstance(step, dict):
                return f"step {step.get('Name')} ({step.get('Type')}): "
        if tpath[i] == "RequiredEndpoints" and isinstance(tpath[i + 1], int):
            req = _props_of_path(data, tpath[:i + 2])
            if isinstance(req, dict):
                return f"{req.get('Service')} endpoint: "
    return ""


def _props_of_path(data: Any, path: tuple) -> Any:
    for p in path:
        try:
            data = data[p]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _foreign_suppression_note(doc: Doc, lid: str, control: Control) -> str | None:
    meta = (doc.resolved.loaded.data.get("Resources", {}).get(lid) or {}).get("Metadata") \
        if isinstance(doc.resolved.loaded.data, dict) else None
    if not isinstance(meta, dict):
        return None
    for tool, key in FOREIGN_SUPPRESSIONS:
        block = meta.get(tool)
        if isinstance(block, dict) and block.get(key):
            return (f"Metadata.{tool}.{key} is not honoured: suppress with Metadata.{SUPPRESS_KEY}.suppress "
                    f"[{{id: {control.id}, reason: ...}}]")
    return None
