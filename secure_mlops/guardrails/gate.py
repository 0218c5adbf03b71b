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

from ..controls import load_catalog
from ..findings import Finding, Source, Status, exit_code, status_counts
from . import pipeline
from .context import GateContext, from_config, from_mapping, from_parameters
from .derive import Batch, Doc, derive
from .resolve import Resolved, resolve
from .rulesfile import write_rules_file
from ..cfn_template import Loaded, TemplateParseError, load_json_text, load_template
from .verdicts import SUPPRESS_KEY, TEMPLATE_ERROR, NotEvaluated, failures_by_doc, findings_for

TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".jsn")
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "cdk.out", ".aws-sam"}


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
        return status_counts(self.findings)

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
def discover(paths: Iterable[Path]) -> tuple[list[tuple[Path, Path | None]], list[Path]]:
    """[(file, the directory it was found in, or None when named explicitly)], [missing paths]."""
    found: list[tuple[Path, Path | None]] = []
    missing: list[Path] = []
    seen: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_file():
            if p.resolve() not in seen:
                seen.add(p.resolve())
                found.append((p, None))
        elif p.is_dir():
            for f in sorted(p.rglob("*")):
                if any(part in SKIP_DIRS for part in f.relative_to(p).parts[:-1]):
                    continue
                if f.is_file() and f.suffix.lower() in TEMPLATE_SUFFIXES and f.resolve() not in seen:
                    seen.add(f.resolve())
                    found.append((f, p))
        else:
            missing.append(p)
    return found, missing


#: what the gate takes for a template, for the message about a directory that holds none
WHAT_COUNTS = (f"a CloudFormation template is a YAML or JSON file ({', '.join('*' + x for x in TEMPLATE_SUFFIXES)}) "
               "with a Resources mapping, or a SageMaker pipeline definition with a Steps list; "
               f"{', '.join(sorted(d for d in SKIP_DIRS if d != '__pycache__'))} are not searched")


def _no_template_error(directory: Path, skipped: list[str]):
    from ..errors import UserError

    seen = f"; found only other files: {', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''}" \
        if skipped else ""
    return UserError(f"no CloudFormation template found under {directory} ({WHAT_COUNTS}){seen}",
                     fix="pass the files or directories that hold your templates")


def _display(path: Path, root: Path) -> str:
    """The path relative to root (the current directory); a file outside it keeps the path it was given."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


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
            root: str | Path | None = None, skip_other_files: bool = False,
            ) -> tuple[list[Doc], GateResult, dict[int, dict]]:
    """Load, resolve and derive every file: (documents, partial result with file errors, suppressions)."""
    from ..errors import UserError

    root_dir = Path(root or Path.cwd()).resolve()
    paths = [Path(p) for p in paths]
    files, missing = discover(paths)
    if missing:
        raise UserError(f"{missing[0]}: no such file or directory", fix="pass template files or directories")
    base_ctx = GateContext()
    planned: dict[str, dict[str, Any]] = {}
    if config is not None:
        from ..provision.config import load_config
        from ..provision.gating import planned_parameters

        cfg = load_config(Path(config))
        base_ctx = from_config(cfg).merged_over(base_ctx)
        # the tool's own stack templates get the values provisioning this configuration gives them
        planned = planned_parameters(cfg)
    if isinstance(context, GateContext):
        base_ctx = context.merged_over(base_ctx)
    elif context:
        base_ctx = from_mapping(context).merged_over(base_ctx)

    findings: list[Finding] = []
    result = GateResult(findings=findings, files=[], root=str(root_dir))
    docs: list[Doc] = []
    definitions: dict[str, Doc] = {}
    for path, directory in files:
        explicit = directory is None
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
            given = {**planned.get(str(path.resolve()), {}), **_parameters_for(parameters, path, display)}
            try:
                resolved = resolve(loaded, given, environment=base_ctx.name)
            except RecursionError:
                findings.append(_file_error(display, 1, 1, "the template nests intrinsics too deeply to resolve"))
                continue
            ctx = base_ctx.merged_over(from_parameters(resolved.parameters, display))
            # the stage given for the template (-p Stage/StageName, provision) is the stage of the stack
            # being deployed (an endpoint of a dev environment's project deployed to prod): it wins over
            # the configuration's; a parameter's default does not
            stage = from_parameters({k: v for k, v in resolved.parameters.items() if k in given}, display)
            if stage.stage is not None:
                ctx = GateContext(stage=stage.stage, sources={"stage": stage.sources["stage"]}).merged_over(ctx)
            doc = Doc(file=path, display=display, resolved=resolved, context=ctx)
            docs.append(doc)
            findings.extend(_transform_errors(doc))
        elif pipeline.is_definition(data):
            result.files.append(display)
            doc = _definition_doc(path, display, loaded, base_ctx)
            docs.append(doc)
            definitions[display] = doc
        elif explicit and not skip_other_files:
            result.files.append(display)
            findings.append(_file_error(display, 1, 1, "not a CloudFormation template (no Resources section) "
                                                      "and not a SageMaker pipeline definition (no Steps list)"))
        else:
            result.skipped.append(display)
    # a directory without any template is an input error: a renamed template folder must not turn the gate green
    gated_files = set(result.files)
    gated = [f.resolve() for f, _ in files if _display(f, root_dir) in gated_files]
    for p in paths:
        if p.is_dir() and not any(f.is_relative_to(p.resolve()) for f in gated):
            raise _no_template_error(p, [_display(f, root_dir) for f, d in files if d == p])

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
             root: str | Path | None = None, skip_other_files: bool = False) -> GateResult:
    """Gate templates.

    parameters: {"*" or template path: {ParameterName: value}} (what CloudFormation would receive).
    context: environment context (see context.py), e.g. what ``provision`` knows from its configuration.
    config: an environment configuration file to take the context from.
    root: findings name files relative to this directory (default: the current directory).
    skip_other_files: a named file that is neither a template nor a pipeline definition is
      skipped (listed in result.skipped) instead of being an ERROR (for pre-commit hooks).
    """
    from ..errors import UserError
    from .cfnguard import CfnGuardError, find_cfn_guard

    start = time.perf_counter()
    catalog = load_catalog()
    docs, result, suppressions = prepare(paths, parameters=parameters, context=context, config=config, root=root,
                                         skip_other_files=skip_other_files)
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
        with tempfile.TemporaryDirectory(prefix="secure-mlops-gate-") as tmp:
            rules = [write_rules_file([c.guard_rule_path for c in preventive], Path(tmp) / "rules.guard")]
            data_dir = Path(tmp) / "data"
            data_dir.mkdir()
            names: dict[str, Doc] = {}
            for i, doc in enumerate(docs):
                out = data_dir / f"{i:05d}.json"
                out.write_text(json.dumps(doc.resolved.data, default=str))
                names[str(out.resolve())] = doc
                names[str(out)] = doc
            try:
                report = guard.validate(rules, [data_dir])
            except CfnGuardError as exc:
                raise UserError(str(exc), fix="check the cfn-guard installation (`secure-mlops gate --help`)") \
                    from None
        failures = failures_by_doc(report, names)
        for doc in docs:
            findings.extend(findings_for(doc, preventive, catalog, failures.get(id(doc), {}),
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


