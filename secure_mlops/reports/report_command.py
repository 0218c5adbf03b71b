"""`secure-mlops report`: answer the security questions from gate and audit findings.

Order of work: read and validate every input (exit 2 on a bad file, before any AWS call);
with --to-security-hub, resolve and print the target and check once that Security Hub is
enabled there (exit 2 if not, before anything is written); render and write the chosen format;
then import the live findings. Exit code: 1 when a finding FAILs or is in ERROR at or above
--fail-on, or when a finding could not be imported; else 0.
"""

from __future__ import annotations

from pathlib import Path

FORMATS = ("terminal", "html", "json", "sarif", "asff")


def render(report, fmt: str, *, for_file: bool = False) -> str | None:
    """The report in `fmt`. For the terminal format without a file, print and return None."""
    if fmt == "terminal":
        from . import terminal

        if for_file:
            return terminal.render_text(report)
        from .. import console

        terminal.render(report, console.out())
        return None
    if fmt == "html":
        from . import html

        return html.render(report)
    if fmt == "json":
        from . import report_json

        return report_json.render(report)
    if fmt == "sarif":
        from .sarif import render_sarif

        # the gate's renderer: template findings at file/line, live ones at their ARN; PASS left out
        return render_sarif(report.findings, catalog=report.evaluation.catalog)
    if fmt == "asff":
        from . import asff

        return asff.render(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _security_hub_target(local: bool, region: str | None, profile: str | None):
    """Resolve and print the target, then check once that Security Hub is enabled (UserError if not)."""
    from ..target import resolve_and_print
    from .security_hub import check_enabled

    target = resolve_and_print(local, region, profile)
    check_enabled(target.session, target.account, target.region)
    return target


def _to_security_hub(report, live, target) -> bool:
    """Import `live` (asff.live_findings of the report) into the target; print every finding not imported."""
    from rich.progress import Progress

    from .. import console
    from .security_hub import failure_lines, import_findings

    skipped = sum(1 for f in report.findings if f.source.value == "template")
    if skipped:
        console.announce(f"{skipped} template findings are not imported: they describe templates, not "
                         "resources in an account (use --format sarif for code scanning).")
    if not live:
        console.warn("no live findings to import (give an audit findings file)")
        return True
    with Progress(console=console.err(), transient=True) as progress:
        task = progress.add_task("Importing into Security Hub", total=len(live))
        result = import_findings(target.session, live, target.account, target.region,
                                 progress=lambda n: progress.advance(task, n))
    for line in failure_lines(result):
        console.error(f"not imported: {line}")
    console.announce(
        f"Security Hub ({result.account}, {result.region}): imported {result.imported} of {len(live)} "
        f"findings in {result.requests} request(s); {len(result.failures)} not imported."
    )
    return result.ok


def run(findings_files, fmt: str, output: Path | None, fail_on: str, to_security_hub: bool,
        local: bool, region: str | None, profile: str | None) -> int:
    """The `report` command. Raises FindingsFileError / UserError for bad input (exit 2)."""
    from ..errors import UserError
    from .asff import AsffError
    from .build import build_report
    from .merge import load

    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}", field="--format", fix=f"choose one of {', '.join(FORMATS)}")
    if output is not None and any(Path(output).resolve() == Path(p).resolve() for p in findings_files):
        raise UserError(f"{output} is also an input; the report would overwrite it", field="--output",
                        fix="write the report to another file")
    merged = load(findings_files)
    report = build_report(merged, fail_on=fail_on)
    to_console = fmt == "terminal" and output is None  # printed with colours, once the checks are done
    live = []
    try:
        text = None if to_console else render(report, fmt, for_file=output is not None)
        if to_security_hub:
            from .asff import live_findings

            live = live_findings(report)  # validated before anything is written or sent
    except AsffError as exc:
        raise UserError(str(exc)) from None
    target = _security_hub_target(local, region, profile) if to_security_hub else None
    if to_console:
        render(report, fmt)
    else:
        from .. import console

        console.write_output(text, output)
    code = report.exit_code
    if target is not None and not _to_security_hub(report, live, target):
        code = max(code, 1)
    return code
