"""Output of `secure-mlops gate`: table (default), json, sarif, junit."""

from __future__ import annotations

from pathlib import Path

from ..findings import Status, dump_document, worst_first

STATUS_STYLE = {"FAIL": "bold red", "ERROR": "bold magenta", "SUPPRESSED": "yellow", "PASS": "green"}


def render(result, fmt: str, show_passed: bool = False) -> str:
    if fmt == "json":
        return dump_document(result.document())
    if fmt == "sarif":
        from .sarif import render_sarif

        root_uri = Path(result.root).as_uri() if result.root else None
        return render_sarif(worst_first(result.findings), root_uri=root_uri, include_passed=show_passed)
    if fmt == "junit":
        from .junit import render_junit

        return render_junit(result.findings, time_s=result.duration_s)
    if fmt == "table":
        import io

        from rich.console import Console

        buf = io.StringIO()
        print_table(result, Console(file=buf, width=160, color_system=None, soft_wrap=False),
                    show_passed=show_passed)
        return buf.getvalue()
    raise ValueError(f"unknown format {fmt!r}")


def print_table(result, console, show_passed: bool = False) -> None:
    """The terminal table: failures first, then a summary line."""
    from rich.markup import escape
    from rich.table import Table

    shown = [f for f in worst_first(result.findings) if show_passed or f.status is not Status.PASS]
    if shown:
        # fill a terminal; elsewhere (CI logs, files) each row on one line without padding to the width
        table = Table(show_lines=False, pad_edge=False, expand=console.is_terminal, box=None, header_style="bold")
        table.add_column("status", no_wrap=True)
        table.add_column("control", no_wrap=True)
        table.add_column("where", overflow="fold", ratio=2)
        table.add_column("message", overflow="fold", ratio=5)
        for f in shown:
            where = f"{f.file}:{f.line}:{f.column}" if f.file else (f.resource_arn or "")
            where += f"\n{f.logical_id or f.resource_id}"
            msg = f.message + (f" [suppressed: {f.suppression_reason}]" if f.suppression_reason else "")
            table.add_row(f"[{STATUS_STYLE[f.status.value]}]{f.status.value}[/]",
                          f"{f.control_id}\n{f.severity}", escape(where), escape(msg))
        console.print(table)
    counts = result.counts()
    summary = (f"{len(result.files)} file(s), {len(result.findings)} checks: {counts['FAIL']} failed, "
               f"{counts['ERROR']} not evaluated (error), {counts['SUPPRESSED']} suppressed, "
               f"{counts['PASS']} passed in {result.duration_s:.2f}s")
    console.print(summary)
    if result.not_evaluated:
        ids = sorted({n.control_id for n in result.not_evaluated})
        console.print(f"not evaluated on the templates (context unknown, or kept outside them): {', '.join(ids)} "
                      f"({escape(result.not_evaluated[0].reason)})")
    if result.skipped:
        console.print(f"skipped {len(result.skipped)} file(s) that are not templates")
