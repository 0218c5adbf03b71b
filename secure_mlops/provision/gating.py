"""provision gates the templates it is about to deploy; an override is printed and recorded.

Every template a provision deploys (the stack templates and the Service Catalog product
templates uploaded with them) goes through ``guardrails.gate.run_gate`` with the parameter values
the stacks will receive and the configuration's context, before anything is deployed. A FAIL or
ERROR stops the deployment, unless the user gives a reason (``--allow-gate-failures REASON``):
it is then printed and recorded as stack tags on the stacks whose templates failed
(CloudFormation copies stack tags to the resources), until a deployment passes the gate again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GATE_OVERRIDE_TAG = "secure-mlops:gate-override"
GATE_OVERRIDE_CONTROLS_TAG = "secure-mlops:gate-overridden-controls"

_TAG_VALUE = re.compile(r"[^\w\s.:/=+\-@]", re.UNICODE)


def tag_value(text: str) -> str:
    """A string CloudFormation accepts as a tag value (allowed characters, at most 256)."""
    return _TAG_VALUE.sub(" ", text).strip()[:256]



@dataclass
class GateOutcome:
    ok: bool
    #: stack name -> tags recording an override (empty when nothing was overridden)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    failures: int = 0


@dataclass
class GateInputs:
    paths: list[Path]  # every template to gate (resolved paths, in deployment order)
    parameters: dict[str, dict[str, str]]  # resolved stack template path -> the values the stack receives
    owner: dict[Path, str]  # resolved path -> the stack that deploys (or uploads) it


def gate_inputs(specs: list[Any], parameters: dict[str, dict[str, str]] | None, directory: Path | None,
                copy: bool = False) -> GateInputs:
    """What provision gates: each stack's template with the values the stack receives, and the
    templates uploaded with it (the MLOps project templates rendered as previews into `directory`;
    None: left out). `copy`: gate copies of the stack templates in `directory` instead of the installed
    files (the demo keeps what it gated beside its findings).
    """
    from .uploads import as_upload, content_version

    owner: dict[Path, str] = {}
    values: dict[str, dict[str, str]] = {}

    def place(source: Path) -> Path:
        if not copy or directory is None:
            return source.resolve()
        target = Path(directory) / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        return target.resolve()

    for spec in specs:
        template = place(Path(spec.template_path))
        owner.setdefault(template, spec.name)
        given = dict((parameters or {}).get(spec.name, {}))
        for up in getattr(spec, "uploads", None) or []:
            up = as_upload(up)
            # the parameters an upload fills: known only once it is uploaded, but never empty
            if up.parameter:
                given.setdefault(up.parameter, f"https://uploaded.invalid/{up.file_name}")
            if up.version_parameter:
                given.setdefault(up.version_parameter, content_version(up.file_name.encode()))
            if not up.is_template:
                continue
            if up.render is None:
                path = place(Path(up.path))
            elif directory is None:
                continue
            else:  # rendered at deploy time: judge its preview
                path = Path(directory) / spec.name / up.file_name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(up.preview())
                path = path.resolve()
            owner.setdefault(path, spec.name)
        if given:
            values[str(template)] = given
    return GateInputs(paths=list(owner), parameters=values, owner=owner)


def planned_parameters(cfg: Any) -> dict[str, dict[str, str]]:
    """{resolved stack template path: values} that provisioning `cfg` gives the tool's own stack
    templates on an account where nothing is deployed yet (`secure-mlops gate -c`)."""
    from .stacks import plan_stacks

    specs = plan_stacks(cfg)
    return gate_inputs(specs, {s.name: {k: str(v) for k, v in s.parameters.items()} for s in specs}, None).parameters


def gate_templates(specs: list[Any], override: str | None, parameters: dict[str, dict[str, str]] | None = None,
                   config: Path | None = None) -> GateOutcome:
    """Run the template gate on every template about to be deployed (stack and product templates).

    `parameters` ({stack name: {parameter: value}}) are the values the stacks will receive, so
    the gate judges the templates as they will be deployed; `config` gives it the environment's
    context. Any FAIL or ERROR stops the deployment unless `override` (a reason) is given; the
    override is printed and recorded as tags on the stacks whose templates failed. A blank
    `override` is refused (UserError) before anything is gated: an exception needs a reason.
    """
    from .. import console as ui
    from ..errors import UserError

    if override is not None and not tag_value(override):
        raise UserError(f"--allow-gate-failures needs a reason, not {override!r}",
                        fix="say why the failures are accepted, e.g. --allow-gate-failures \"TICKET-123: "
                            "accepted by the security team until the fix ships\" (it is recorded on the stacks)")
    from ..findings import failing
    from ..guardrails.gate import run_gate
    import tempfile

    with tempfile.TemporaryDirectory(prefix="secure-mlops-gate-") as rendered:
        inputs = gate_inputs(specs, parameters, Path(rendered))
        owner, paths = inputs.owner, inputs.paths
        result = run_gate(paths, parameters=inputs.parameters or None, config=config)
    bad = failing(result.findings, "info")
    missing = getattr(result, "not_evaluated", None) or []
    if missing:  # never presented as passed
        ui.warn(f"the gate could not evaluate {len(missing)} preventive control(s): "
                + "; ".join(f"{n.control_id} ({n.reason})" for n in missing[:10]))
    if not bad:
        ui.announce(f"Gate: {len(paths)} template(s) passed every preventive control"
                    f"{' that could be evaluated' if missing else ''} ({len(result.findings)} checks).")
        if override is not None:
            ui.announce("--allow-gate-failures was given but nothing failed: there is nothing to override "
                        "and nothing is recorded.")
        return GateOutcome(ok=True)

    from rich.table import Table

    table = Table(title=f"Gate: {len(bad)} failure(s) in the templates about to be deployed", title_justify="left")
    for col in ("control", "status", "severity", "where", "resource", "message"):
        table.add_column(col, overflow="fold")
    for f in bad:
        where = f"{Path(f.file).name}:{f.line}" if f.file else ""
        table.add_row(f.control_id, f.status.value, f.severity, where, f.logical_id or f.resource_id, f.message)
    ui.err().print(table)
    if override is None:
        ui.error(f"the gate found {len(bad)} failure(s); nothing was deployed. Fix the templates or the "
                 "configuration, or deploy anyway with --allow-gate-failures REASON (recorded on the stacks)")
        return GateOutcome(ok=False, failures=len(bad))

    by_stack: dict[str, set[str]] = {}
    for f in bad:
        stack = owner.get(Path(f.file).resolve()) if f.file else None
        for name in ([stack] if stack else [s.name for s in specs]):
            by_stack.setdefault(name, set()).add(f.control_id)
    tags = {
        name: {GATE_OVERRIDE_TAG: tag_value(override),
               GATE_OVERRIDE_CONTROLS_TAG: tag_value(" ".join(sorted(ids)))}
        for name, ids in by_stack.items()
    }
    ui.warn(f"deploying despite {len(bad)} gate failure(s) because --allow-gate-failures was given: "
            f"{override!r}. Recorded as stack tags {GATE_OVERRIDE_TAG} / {GATE_OVERRIDE_CONTROLS_TAG} on "
            f"{', '.join(sorted(tags))} (CloudFormation copies stack tags to the stacks' resources).")
    return GateOutcome(ok=True, tags=tags, failures=len(bad))
