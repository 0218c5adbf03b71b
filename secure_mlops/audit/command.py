"""``secure-mlops audit``: check the input, resolve the target, audit, print, exit code."""

from __future__ import annotations

from pathlib import Path


def run_audit_command(config_path: Path | None, local: bool, region: str | None, profile: str | None,
                      accounts_file: Path | None, control_ids: str | None, fmt: str, output: Path | None,
                      fail_on: str, stats: bool) -> int:
    from .. import console
    from ..controls import load_catalog
    from ..findings import dump_document, exit_code, make_document
    from ..target import check_config_region, resolve_and_print
    from .audit import run_audit
    from .runner import check_rules

    # everything about the input is checked before any AWS call
    controls = load_catalog().select("detective", control_ids)
    cfg = None
    if config_path is not None:
        from ..provision.config import load_config

        cfg = load_config(config_path)
    check_rules(controls)
    accounts = None
    if accounts_file is not None:
        from .accounts import load_accounts

        import os

        default_region = region or (cfg.region if cfg else None) or os.environ.get("AWS_REGION") \
            or os.environ.get("AWS_DEFAULT_REGION")
        accounts = load_accounts(accounts_file, default_region)

    if cfg is not None and accounts is None:
        region = check_config_region(cfg, region)  # the environment lives in its region
    target = resolve_and_print(local, region or (cfg.region if cfg else None), profile)
    result = run_audit(target, controls, cfg=cfg, accounts=accounts, console=console.err())

    doc = make_document(result.findings, "audit", target=result.target,
                        evaluated_controls=[c.id for c in result.controls])
    if stats:
        doc["stats"] = result.stats.to_dict()
    text = dump_document(doc)
    if output:
        console.write_file(output, text, f" ({len(result.findings)} findings)")
    if fmt == "json":
        console.write_stdout(text)
    else:
        render_table(result.findings, result.controls, console.out(), multi=bool(accounts))
    if stats:
        from .stats import render

        render(result.stats, console.err())
    return exit_code(result.findings, fail_on)


def render_table(findings, controls, out, multi: bool = False) -> None:
    """Per control: how many resources pass, fail, could not be evaluated; then every FAIL and ERROR."""
    from collections import Counter

    from rich.markup import escape
    from rich.table import Table

    from ..findings import Status, worst_first

    counts: dict[str, Counter] = {c.id: Counter() for c in controls}
    for f in findings:
        counts.setdefault(f.control_id, Counter())[f.status] += 1
    summary = Table(title=f"Audit: {_n(len(controls), 'detective control')}, {_n(len(findings), 'finding')}")
    for col in ("control", "severity", "pass", "fail", "error", "title"):
        summary.add_column(col, justify="right" if col in ("pass", "fail", "error") else "left")
    for c in controls:
        n = counts[c.id]
        summary.add_row(c.id, c.severity, str(n[Status.PASS]), _red(n[Status.FAIL]), _yellow(n[Status.ERROR]),
                        escape(c.title) + (" [dim](no resource to check)[/]" if not n else ""))
    out.print(summary)
    # evaluated, but nothing it applies to was found: not a pass (a report shows "no resource")
    nothing = [c.id for c in controls if not counts[c.id]]
    if nothing:
        out.print(f"Evaluated, no resource to check: {', '.join(nothing)} ({_n(len(nothing), 'control')}; "
                  "a report shows " + ("it" if len(nothing) == 1 else "them") + " as \"no resource\", not as passing).")
    bad = [f for f in worst_first(findings) if f.status in (Status.FAIL, Status.ERROR)]
    if not bad:
        out.print("No control failed, and every control was evaluated." if not nothing else
                  "No control failed, and none was left unevaluated; the controls above had no resource to check.")
        return
    table = Table(title=f"{_n(len(bad), 'finding')} that failed or could not be evaluated")
    for col in ("status", "control", "severity", "resource", *(["account/region"] if multi else []), "why"):
        table.add_column(col, overflow="fold")
    for f in bad:
        row = [f.status.value, f.control_id, f.severity, escape(f"{f.resource_type} {f.resource_id}")]
        if multi:
            row.append(f"{f.account}/{f.region}")
        row.append(escape(f.message))
        table.add_row(*row)
    out.print(table)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _red(n: int) -> str:
    return f"[bold red]{n}[/]" if n else "0"


def _yellow(n: int) -> str:
    return f"[bold yellow]{n}[/]" if n else "0"
