"""`secure-mlops demo`: the whole flow on the embedded emulator, in one command.

1. write the example configuration to the output directory (or use the one given),
2. gate what provision gates (the stack templates and the rendered MLOps project templates,
   copied to templates/) and keep the findings (gate.json),
3. provision the environment (gate, change sets, SageMaker projects, read-back verification),
4. run a team's first-day workloads from inside the VPC, as Studio would (the seed pipeline, a
   notebook, processing and training jobs, a registered and approved model, a staging endpoint,
   a monitoring job definition: secure_mlops/seed_code/workloads.py), so that the controls about
   them have something to evaluate,
5. audit the live resources (audit.json),
6. answer the security questions (report.html, and a summary in the terminal).

It always acts on the emulator (never on AWS). A step that cannot run is said to be unavailable
or failed, and the demo ends with exit code 1; it never pretends a step ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass
class Step:
    name: str
    status: str = "not run"  # ok, failed, unavailable, not run
    detail: str = ""


def _run(step: Step, fn: Callable[[], tuple[bool, str]]) -> bool:
    """Run one step; a missing part of the tool makes it "unavailable", never "ok"."""
    from . import console

    console.err().rule(f"[bold]{step.name}[/]")
    try:
        ok, detail = fn()
    except ImportError as exc:
        # a part of the tool this step needs is not there (yet)
        step.status, step.detail = "unavailable", f"not available in this build: {exc}"
        console.warn(f"{step.name}: {step.detail}")
        return False
    except Exception as exc:  # noqa: BLE001 - one broken step must not hide the others' results
        step.status, step.detail = "failed", f"{type(exc).__name__}: {exc}"
        console.error(f"{step.name} failed: {step.detail}")
        return False
    step.status, step.detail = ("ok" if ok else "failed"), detail
    return ok


def run_demo(config_path: Path | None, out_dir: Path) -> int:
    from . import console
    from .provision.config import example_config, load_config
    from .target import resolve_and_print

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if config_path is None:
        config_path = out_dir / "secure-mlops.yaml"
        if config_path.exists():
            console.announce(f"Using the configuration in {config_path} (delete it to start from the example again).")
        else:
            config_path.write_text(example_config())
            console.announce(f"Wrote the example configuration to {config_path}.")
    cfg = load_config(config_path)  # bad input: UserError, exit 2, before any AWS call

    target = resolve_and_print(local=True, region=cfg.region)

    gate_json = out_dir / "gate.json"
    audit_json = out_dir / "audit.json"
    report_html = out_dir / "report.html"
    for stale in (gate_json, audit_json, report_html):  # never report an earlier run's results
        stale.unlink(missing_ok=True)
    steps = [Step("gate"), Step("provision and verify"), Step("first-day workloads"), Step("audit"),
             Step("report")]

    def gate() -> tuple[bool, str]:
        from .reports import render_gate

        result = gate_as_provision(cfg, config_path, out_dir / "templates")
        gate_json.write_text(render_gate(result, "json"))
        return (result.exit_code("info") == 0,
                f"{_counts(gate_json)} on {len(result.files)} templates (in {out_dir / 'templates'}) → {gate_json}")

    def provision() -> tuple[bool, str]:
        from .provision.deployer import provision_environment

        ok = provision_environment(cfg, target)
        return ok, "environment deployed and read back" if ok else "provision failed (see above)"

    def workloads() -> tuple[bool, str]:
        from .envcontext import load_context
        from .provision.emulator.network import inside_vpc
        from .seed_code.workloads import run_sample_workloads

        # act as a data scientist in Studio: from inside the VPC, through its S3 endpoint
        endpoint = load_context(target.session, cfg.name).get("s3-vpc-endpoint-id")
        done = run_sample_workloads(inside_vpc(target.session, endpoint), cfg.name, cfg.team)
        return True, ", ".join(done.created)

    def audit() -> tuple[bool, str]:
        from .audit import run_audit_command

        code = run_audit_command(config_path=config_path, local=True, region=cfg.region, profile=None,
                                 accounts_file=None, control_ids=None, fmt="table", output=audit_json,
                                 fail_on="low", stats=False)
        if code == 2 or not audit_json.exists():
            return False, "the audit could not run"
        return True, f"{_counts(audit_json)} → {audit_json}"

    def report() -> tuple[bool, str]:
        from .reports import run_report_command

        inputs = [p for p in (gate_json, audit_json) if p.exists()]
        code = run_report_command(findings_files=inputs, fmt="html", output=report_html, fail_on="low",
                                  to_security_hub=False, local=False, region=None, profile=None)
        if code == 2 or not report_html.exists():
            return False, "the report could not be written"
        run_report_command(findings_files=inputs, fmt="terminal", output=None, fail_on="low",
                           to_security_hub=False, local=False, region=None, profile=None)
        return True, f"questions answered → {report_html}"

    _run(steps[0], gate)
    if _run(steps[1], provision):
        _run(steps[2], workloads)  # the audit runs either way: it reports what exists
        _run(steps[3], audit)
    if gate_json.exists() or audit_json.exists():
        _run(steps[4], report)  # answers from what was evaluated; the rest shows as not evaluated

    _summary(steps, out_dir)
    return 0 if all(s.status == "ok" for s in steps) else 1


def gate_as_provision(cfg, config_path: Path, directory: Path):
    """Gate what `provision` gates (the stack templates and the rendered MLOps project templates,
    provision/gating.py), with the values the stacks receive on a fresh account and the
    configuration's context. The templates are copied to `directory` first, so that the findings
    name files the user can open, relative to the current directory."""
    from .guardrails.gate import run_gate
    from .provision.gating import gate_inputs
    from .provision.stacks import plan_stacks

    specs = plan_stacks(cfg)
    inputs = gate_inputs(specs, {s.name: {k: str(v) for k, v in s.parameters.items()} for s in specs},
                         Path(directory), copy=True)
    return run_gate(inputs.paths, parameters=inputs.parameters, config=config_path)


def _counts(findings_file: Path) -> str:
    """Counts by status of a findings document, e.g. "78 PASS, 1 FAIL"."""
    import json
    from collections import Counter

    counts = Counter(f.get("status") for f in json.loads(findings_file.read_text()).get("findings", []))
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1])) or "no findings"


def _summary(steps: list[Step], out_dir: Path) -> None:
    from rich.table import Table

    from . import console

    style = {"ok": "green", "failed": "bold red", "unavailable": "yellow", "not run": "dim"}
    table = Table(title="Demo", title_justify="left")
    table.add_column("step")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    for s in steps:
        table.add_row(s.name, f"[{style[s.status]}]{s.status}[/]", s.detail)
    console.err().print(table)
    written = [p for p in sorted(out_dir.iterdir()) if p.is_file()]
    if written:
        console.announce("Files in " + str(out_dir) + ": " + ", ".join(p.name for p in written))
    if (out_dir / "report.html").exists():
        console.announce(f"The report: {(out_dir / 'report.html').resolve()} (open it in a browser)")
    console.announce("The environment keeps running on the emulator: explore it with "
                     "`eval \"$(secure-mlops local env)\"` and the AWS CLI; stop it with `secure-mlops local down`.")
