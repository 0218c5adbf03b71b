"""The template gate: every preventive control's cfn-guard rule over a batch of templates.

``run_gate(paths)`` finds the templates (files and directories, YAML and JSON), loads them
with positions, resolves intrinsics, joins related resources (derive.py), writes the
resolved copies to a temporary directory, runs ONE ``cfn-guard validate`` over all rules
and all copies, and maps cfn-guard's report back to findings on the original files,
lines and columns. A file that does not parse is an ERROR finding; the rest of the batch
is still gated. Suppressions (``Metadata: secure-mlops: suppress: [{id, reason}]``) turn a
failure into SUPPRESSED and stay visible.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..controls import GUARD_DIR, Catalog, Control, load_catalog
from ..findings import Finding, Source, Status, exit_code
from . import pipeline
from .context import GateContext, from_config, from_mapping, from_parameters
from .derive import Batch, Doc, derive
from .resolve import Resolved, resolve
from .template import Loaded, TemplateParseError, load_json_text, load_template

TEMPLATE_ERROR = "TEMPLATE-ERROR"  # pseudo control of findings about a file rather than a control
SUPPRESS_KEY = "secure-mlops"
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".jsn")
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "cdk.out", ".aws-sam"}
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
class GateResult:
    findings: list[Finding]
    files: list[str]  # gated files (display paths)
    skipped: list[str] = field(default_factory=list)  # files found in directories that are not templates
    not_evaluated: list[NotEvaluated] = field(default_factory=list)
    evaluated_controls: list[str] = field(default_factory=list)
    contexts: dict[str, dict] = field(default_factory=dict)  # file -> context used
    cfn_guard: str | None = None
    duration_s: float = 0.0
    root: str | None = None  # paths are relative to this directory

    def exit_code(self, fail_on: str = "low") -> int:
        return exit_code(self.findings, fail_on)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for f in self.findings:
            out[f.status.value] += 1
        return out

    def document(self) -> dict:
        from ..findings import make_document

        target = {"files": self.files, "skipped": self.skipped,
                  "not_evaluated": [n.to_dict() for n in self.not_evaluated],
                  "contexts": self.contexts}
        if self.cfn_guard:
            target["cfn_guard"] = self.cfn_guard
        return make_document(self.findings, kind="gate", target=target,
                             evaluated_controls=self.evaluated_controls)


# ---------------------------------------------------------------------------- discovery
def discover(paths: Iterable[Path]) -> tuple[list[tuple[Path, bool]], list[Path]]:
    """[(file, named explicitly)], [missing paths]."""
    found: list[tuple[Path, bool]] = []
    missing: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_file():
            if p.resolve() not in seen:
                seen.add(p.resolve())
                found.append((p, True))
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if any(part in SKIP_DIRS for part in f.relative_to(p).parts[:-1]):
                    continue
                if f.is_file() and f.suffix.lower() in TEMPLATE_SUFFIXES and f.resolve() not in seen:
                    seen.add(f.resolve())
                    found.append((f, False))
        else:
            missing.append(p)
    return found, missing


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _parameters_for(parameters: dict | None, path: Path, display: str) -> dict[str, Any]:
    if not parameters:
        return {}
    out: dict[str, Any] = {}
    out.update(parameters.get("*", {}) or {})
    for key in (str(path), display, path.name, str(path.resolve())):
        if key in parameters and isinstance(parameters[key], dict):
            out.update(parameters[key])
    return out


# ---------------------------------------------------------------------------- the gate
def prepare(paths: Iterable[str | Path], *, parameters: dict[str, dict[str, Any]] | None = None,
            context: dict[str, Any] | GateContext | None = None, config: str | Path | None = None,
            root: str | Path | None = None) -> tuple[list[Doc], GateResult, dict[int, dict]]:
    """Load, resolve and derive every file: (documents, partial result with file errors, suppressions)."""
    from ..errors import UserError

    root_dir = Path(root or Path.cwd()).resolve()
    files, missing = discover([Path(p) for p in paths])
    if missing:
        raise UserError(f"{missing[0]}: no such file or directory", fix="pass template files or directories")
    base_ctx = GateContext()
    if config is not None:
        base_ctx = from_config(Path(config)).merged_over(base_ctx)
    if isinstance(context, GateContext):
        base_ctx = context.merged_over(base_ctx)
    elif context:
        base_ctx = from_mapping(context).merged_over(base_ctx)

    findings: list[Finding] = []
    result = GateResult(findings=findings, files=[], root=str(root_dir))
    docs: list[Doc] = []
    definitions: dict[str, Doc] = {}
    for path, explicit in files:
        display = _display(path, root_dir)
        try:
            loaded = load_template(path)
        except TemplateParseError as exc:
            result.files.append(display)
            findings.append(_file_error(display, exc.line, exc.column, exc.message))
            continue
        data = loaded.data
        if isinstance(data, dict) and isinstance(data.get("Resources"), dict):
            result.files.append(display)
            try:
                resolved = resolve(loaded, _parameters_for(parameters, path, display))
            except RecursionError:
                findings.append(_file_error(display, 1, 1, "the template nests intrinsics too deeply to resolve"))
                continue
            tctx = from_parameters(resolved.parameters, display)
            ctx = base_ctx.merged_over(tctx)
            doc = Doc(file=path, display=display, resolved=resolved, context=ctx)
            docs.append(doc)
            findings.extend(_transform_errors(doc))
        elif pipeline.is_definition(data):
            result.files.append(display)
            doc = _definition_doc(path, display, loaded, base_ctx)
            docs.append(doc)
            definitions[display] = doc
        elif explicit:
            result.files.append(display)
            findings.append(_file_error(display, 1, 1, "not a CloudFormation template (no Resources section) "
                                                      "and not a SageMaker pipeline definition (no Steps list)"))
        else:
            result.skipped.append(display)

    batch = Batch(docs)
    for doc in docs:
        derive(batch, doc, definitions)
        _pipeline_step_positions(doc)
        result.contexts[doc.display] = doc.context.to_dict()
    suppressions = {id(d): _take_suppressions(d) for d in docs}
    return docs, result, suppressions


def resolved_forms(paths: Iterable[str | Path], **kwargs) -> dict[str, dict]:
    """What the rules see, per file (``secure-mlops gate --print-resolved``)."""
    docs, _, _ = prepare(paths, **kwargs)
    return {d.display: d.resolved.data for d in docs}


def run_gate(paths: Iterable[str | Path], *, parameters: dict[str, dict[str, Any]] | None = None,
             context: dict[str, Any] | GateContext | None = None, config: str | Path | None = None,
             root: str | Path | None = None) -> GateResult:
    """Gate templates.

    parameters: {"*" or template path: {ParameterName: value}} (what CloudFormation would receive).
    context: environment context (see context.py), e.g. what ``provision`` knows from its configuration.
    config: an environment configuration file to take the context from.
    root: findings name files relative to this directory (default: the current directory).
    """
    from ..errors import UserError
    from .cfnguard import CfnGuardError, find_cfn_guard

    start = time.perf_counter()
    catalog = load_catalog()
    docs, result, suppressions = prepare(paths, parameters=parameters, context=context, config=config, root=root)
    findings = result.findings

    # a preventive control is evaluated only through its rule; without one it is not evaluated
    preventive = [c for c in catalog if c.has_mode("preventive") and c.guard_rule_path.exists()]
    result.evaluated_controls = [c.id for c in preventive]
    for c in catalog:
        if c.has_mode("preventive") and not c.guard_rule_path.exists():
            result.not_evaluated.append(NotEvaluated(c.id, "*", f"no guard rule {c.guard_rule_path.name}"))
    if docs:
        guard = find_cfn_guard()
        result.cfn_guard = f"{guard.path} ({guard.source})"
        rules = sorted(p for p in GUARD_DIR.glob("*.guard"))
        with tempfile.TemporaryDirectory(prefix="secure-mlops-gate-") as tmp:
            names: dict[str, Doc] = {}
            data_files = []
            for i, doc in enumerate(docs):
                out = Path(tmp) / f"{i:05d}.json"
                out.write_text(json.dumps(doc.resolved.data, default=str))
                names[str(out.resolve())] = doc
                names[str(out)] = doc
                data_files.append(out)
            try:
                report = guard.validate(rules, [Path(tmp)])
            except CfnGuardError as exc:
                raise UserError(str(exc), fix="check the cfn-guard installation (`secure-mlops gate --help`)") \
                    from None
        failures = _failures_by_doc(report, names)
        for doc in docs:
            findings.extend(_findings_for(doc, preventive, catalog, failures.get(id(doc), {}),
                                          suppressions[id(doc)], result))
    result.duration_s = time.perf_counter() - start
    return result


# ---------------------------------------------------------------------------- helpers
def _file_error(display: str, line: int, column: int, message: str) -> Finding:
    return Finding(control_id=TEMPLATE_ERROR, status=Status.ERROR, severity="critical", questions=[],
                   source=Source.TEMPLATE, resource_type="file", resource_id=display,
                   message=f"{message}; no control was evaluated on this file", file=display,
                   line=max(1, line), column=max(1, column))


def _transform_errors(doc: Doc) -> list[Finding]:
    """A macro other than SAM/LanguageExtensions rewrites the template at deployment: ERROR."""
    tpl = doc.resolved.loaded.data
    transforms = tpl.get("Transform")
    names = transforms if isinstance(transforms, list) else [transforms] if transforms else []
    out = []
    for t in names:
        name = t.get("Name") if isinstance(t, dict) else t
        if isinstance(name, str) and (name.startswith("AWS::Serverless") or name == "AWS::LanguageExtensions"):
            continue
        line, col = doc.resolved.loaded.position(("Transform",))
        finding = _file_error(doc.display, line, col, "")
        finding.message = (f"the template uses the macro {name!r}, which rewrites it at deployment, so the gate "
                           "checked the template as written; gate the processed template "
                           "(`aws cloudformation get-template --template-stage Processed`)")
        out.append(finding)
    return out


def _definition_doc(path: Path, display: str, loaded: Loaded, ctx: GateContext) -> Doc:
    """A standalone pipeline definition, wrapped as a template with one pipeline resource."""
    lid = re.sub(r"[^A-Za-z0-9]", "", path.stem) or "PipelineDefinition"
    data = {"Resources": {lid: {"Type": "AWS::SageMaker::Pipeline",
                                "Properties": {"PipelineDefinition": {"PipelineDefinitionBody": loaded.data}}}}}
    resolved = Resolved(loaded=loaded, data=data, positions={("Resources", lid): (1, 1)},
                        resource_types={lid: "AWS::SageMaker::Pipeline"})
    return Doc(file=path, display=display, resolved=resolved, context=ctx, kind="pipeline-definition")


def _pipeline_step_positions(doc: Doc) -> None:
    """Point step findings at the step in the definition (file, or `|` block in the template)."""
    for lid, res in doc.of_type("AWS::SageMaker::Pipeline"):
        steps = (res.get("Derived") or {}).get("Steps") or []
        if not steps:
            continue
        if doc.kind == "pipeline-definition":
            src: Loaded | None = doc.resolved.loaded
            offset = 0
        else:
            body_path = ("Resources", lid, "Properties", "PipelineDefinition", "PipelineDefinitionBody")
            body = (_props_of(doc.resolved.loaded.data, body_path))
            src, offset = None, 0
            start = doc.resolved.loaded.block_scalars.get(body_path)
            if isinstance(body, str) and start:
                try:
                    src = load_json_text(body, doc.file)
                    offset = start - 1
                except TemplateParseError:
                    src = None
        if src is None:
            continue
        for i, step in enumerate(steps):
            base = tuple(step.get("SourcePath") or ())

            def walk(v: Any, rel: tuple) -> None:
                line, col = src.position(base + rel)
                doc.resolved.positions[("Resources", lid, "Derived", "Steps", i) + rel] = (line + offset, col)
                if isinstance(v, dict):
                    for k, x in v.items():
                        walk(x, rel + (k,))
                elif isinstance(v, list):
                    for j, x in enumerate(v):
                        walk(x, rel + (j,))

            walk(step, ())


def _props_of(data: Any, path: tuple) -> Any:
    for p in path:
        if not isinstance(data, dict):
            return None
        data = data.get(p)
    return data


def _take_suppressions(doc: Doc) -> dict[str, list[dict]]:
    """Remove our suppression metadata from the resolved copy (the gate evaluates every
    resource and reports SUPPRESSED itself); returns logical id -> suppress entries."""
    out: dict[str, list[dict]] = {}
    for lid, res in doc.resources.items():
        if not isinstance(res, dict) or not isinstance(res.get("Metadata"), dict):
            continue
        meta = dict(res["Metadata"])
        ours = meta.pop(SUPPRESS_KEY, None)
        if ours is not None:
            entries = ours.get("suppress") if isinstance(ours, dict) else None
            out[lid] = entries if isinstance(entries, list) else [{"_invalid": ours}]
            res["Metadata"] = meta
    return out


# ---------------------------------------------------------------------------- report mapping
@dataclass
class _Failure:
    path: str
    message: str
    detail: str
    missing: bool  # the path is where a missing property was looked for


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
                                    msgs.get("error_message") or "", True))
            _walk_checks(value.get("checks"), out)
        elif isinstance(value, (dict, list)):
            _walk_checks(value, out)


def _first_path(node: Any) -> str | None:
    """The data path a check points at, whatever the shape of cfn-guard's check record."""
    if isinstance(node, dict):
        for key in ("from", "value", "traversed_to"):
            sub = node.get(key)
            if isinstance(sub, dict) and isinstance(sub.get("path"), str) and key != "value" or \
                    key == "value" and isinstance(sub, dict) and isinstance(sub.get("path"), str):
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
    missing = any(k in check for k in ("UnResolved", "Unresolved"))
    path = _first_path(check)
    out.append(_Failure(path or "", custom, detail or json.dumps(check)[:200], missing))


def _failures_by_doc(report: list[dict], names: dict[str, Doc]) -> dict[int, dict[str, list[_Failure]]]:
    """doc id -> rule name -> failures."""
    out: dict[int, dict[str, list[_Failure]]] = {}
    for entry in report:
        doc = names.get(entry.get("name", "")) or names.get(str(Path(entry.get("name", "")).resolve()))
        if doc is None:
            continue
        per_rule = out.setdefault(id(doc), {})
        reported = set(entry.get("compliant") or []) | set(entry.get("not_applicable") or [])
        per_rule.setdefault("__reported__", [])
        for nc in entry.get("not_compliant") or []:
            reported.add((nc.get("Rule") or {}).get("name", ""))
            rule = nc.get("Rule") or {}
            fails: list[_Failure] = []
            _walk_checks(rule.get("checks"), fails)
            per_rule.setdefault(rule.get("name", ""), []).extend(fails)
        per_rule["__reported__"] = [_Failure(name, "", "", False) for name in sorted(reported)]
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


def _scope_types(control: Control) -> tuple[str, ...]:
    return control.gate_scope or tuple(r for r in control.resources if r.startswith("AWS::"))


def _context_missing(control: Control, doc: Doc) -> str | None:
    gc = doc.resolved.data.get("GateContext", {})
    for need in control.gate_context:
        if need == "stage" and "Stage" not in gc:
            return ("the environment's stage is unknown: pass --config, or give the template a Stage "
                    "parameter (dev, staging or prod)")
        if need == "internet_free" and "InternetFree" not in gc:
            return ("whether the environment is internet-free is unknown: pass --config, or give the template "
                    "an InternetFree parameter (true/false)")
        if need == "environment" and not gc.get("SageMaker"):
            return "the template declares no SageMaker resource and no environment configuration was given"
    return None


def _findings_for(doc: Doc, controls: list[Control], catalog: Catalog, failures: dict[str, list[_Failure]],
                  suppressions: dict[str, list[dict]], result: GateResult) -> list[Finding]:
    out: list[Finding] = []
    resources = doc.resources
    valid_supp: dict[str, dict[str, str]] = {}
    for lid, entries in suppressions.items():
        for entry in entries:
            cid = entry.get("id") if isinstance(entry, dict) else None
            reason = entry.get("reason") if isinstance(entry, dict) else None
            line, col = doc.resolved.loaded.position(("Resources", lid, "Metadata", SUPPRESS_KEY))
            rtype = str(resources.get(lid, {}).get("Type", ""))
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
                        in _scope_types(control)]
            if in_scope:
                result.not_evaluated.append(NotEvaluated(control.id, doc.display, missing_ctx))
            continue
        by_res: dict[str, list[_Failure]] = {}
        for f in rule_fails:
            tpath = _to_tuple(doc, f.path)
            lid = tpath[1] if len(tpath) >= 2 and tpath[0] == "Resources" else "(template)"
            f.path = "/".join(str(p) for p in tpath)
            by_res.setdefault(lid, []).append(f)
        scope = _scope_types(control)
        lids = [lid for lid, r in resources.items() if isinstance(r, dict) and r.get("Type") in scope]
        for lid in by_res:
            if lid not in lids:
                lids.append(lid)
        for lid in lids:
            res = resources.get(lid, {}) if lid != "(template)" else {}
            rtype = str(res.get("Type", "template"))
            fails = by_res.get(lid)
            if fails:
                message, line, col, details = _fail_message(doc, lid, fails)
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


def _fail_message(doc: Doc, lid: str, fails: list[_Failure]) -> tuple[str, int, int, dict]:
    data = doc.resolved.data
    messages: list[str] = []
    checks: list[str] = []
    unresolved: list[str] = []
    first = None
    for f in fails:
        tpath = tuple(int(p) if p.isdigit() else p for p in f.path.split("/")) if f.path else ()
        prefix = _prefix(data, tpath)
        msg = (prefix + f.message) if f.message else ""
        if msg and msg not in messages:
            messages.append(msg)
        if f.detail:
            checks.append(f.detail.strip())
        why = doc.resolved.unresolved_at(tpath) if tpath else None
        if why is None and "Derived" in tpath:
            reasons = doc.derived_unresolved.get(lid)
            why = reasons[0] if reasons else None
        if why and why not in unresolved:
            unresolved.append(why)
        pos = doc.resolved.position(tpath) if tpath else (1, 1)
        if first is None or pos < first:
            first = pos
    text = "; ".join(messages) if messages else "the rule failed"
    if unresolved:
        text = f"cannot be verified: {unresolved[0]} — {text}"
    line, col = first or (1, 1)
    details: dict[str, Any] = {"checks": checks[:20]}
    if unresolved:
        details["unresolved"] = unresolved
    return text, line, col, details


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
