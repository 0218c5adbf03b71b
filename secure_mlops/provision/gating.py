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


def gate_templates(specs: list[Any], override: str | None, parameters: dict[str, dict[str, str]] | None = None,
                   config: Path | None = None) -> GateOutcome:
    """Run the template gate on every template about to be deployed (stack and product templates).

    `parameters` ({stack name: {parameter: value}}) are the values the stacks will receive, so
    the gate judges the templates as they will be deployed; `config` gives it the environment's
    context. Any FAIL or ERROR stops the deployment unless `override` (a reason) is given; the
    override is printed and recorded as tags on the stacks whose templates failed.
    """
    from .. import console as ui
    from ..findings import failing
    from ..guardrails.gate import run_gate
    import tempfile

    from .uploads import as_upload, content_version

    owner: dict[Path, str] = {}
    values: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="secure-mlops-gate-") as rendered:
        for spec in specs:
            owner.setdefault(Path(spec.template_path).resolve(), spec.name)
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
                path = Path(up.path)
                if up.render is not None:  # rendered at deploy time: judge its preview
                    path = Path(rendered) / spec.name / up.file_name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(up.preview())
                owner.setdefault(path.resolve(), spec.name)
            if given:
                values[str(Path(spec.template_path).resolve())] = given
        paths = list(owner)
        result = run_gate(paths, parameters=values or None, config=config)
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
        name: {GATE_OVERRIDE_TAG: tag_value(override) or "no reason given",
               GATE_OVERRIDE_CONTROLS_TAG: tag_value(" ".join(sorted(ids)))}
        for name, ids in by_stack.items()
    }
    ui.warn(f"deploying despite {len(bad)} gate failure(s) because --allow-gate-failures was given: "
            f"{override!r}. Recorded as stack tags {GATE_OVERRIDE_TAG} / {GATE_OVERRIDE_CONTROLS_TAG} on "
            f"{', '.join(sorted(tags))} (CloudFormation copies stack tags to the stacks' resources).")
    return GateOutcome(ok=True, tags=tags, failures=len(bad))
