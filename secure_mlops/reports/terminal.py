"""The terminal summary (rich): per question the answer, the control counts and the worst findings."""

from __future__ import annotations

import io

from .build import Report
from .questions import SOURCE_LABEL, STATE_LABEL

STYLE = {
    "satisfied": "bold green", "not_satisfied": "bold red", "not_fully_answered": "bold yellow",
    "passing": "green", "failing": "red", "error": "yellow", "not_evaluated": "dim", "not_applicable": "dim",
    "PASS": "green", "FAIL": "bold red", "ERROR": "yellow", "SUPPRESSED": "magenta",
}
WORST_PER_QUESTION = 3


def where(finding) -> str:
    """Where a finding is: file:line (logical id) for templates, ARN (account/region) for live."""
    if finding.source.value == "template":
        loc = finding.file or "?"
        if finding.line:
            loc += f":{finding.line}"
        return f"{loc} ({finding.logical_id or finding.resource_id})"
    ident = finding.resource_arn or finding.resource_id
    scope = "/".join(x for x in (finding.account, finding.region) if x)
    return f"{ident} ({scope})" if scope else ident


def render(report: Report, console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    ev = report.evaluation
    sources = " and ".join(SOURCE_LABEL[s] for s in ev.sources) or "nothing"
    console.print(Text(f"Security questions, answered from {len(report.merged.inputs)} input(s) "
                       f"covering {sources}", style="bold"))
    for doc in report.merged.inputs:
        console.print(Text(f"  {doc.describe()}"))
    console.print(Text(
        "A question is satisfied only when every control that answers it was evaluated and passed "
        f"on the {sources} given (a source with no resource the control applies to counts neither for "
        "nor against it); a control in ERROR or not evaluated leaves it not fully answered.",
        style="dim"))

    table = Table(box=box.SIMPLE_HEAD, show_lines=False, expand=False, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("question", min_width=24, ratio=1)
    table.add_column("answer", no_wrap=True)
    for head in ("pass", "fail", "error", "n/e", "supp."):
        table.add_column(head, justify="right", no_wrap=True)
    for i, (area, answers) in enumerate(ev.areas()):
        if i:
            table.add_section()
        table.add_row("", Text(area, style="bold cyan"))
        for a in answers:
            n = a.state_counts
            table.add_row(a.question.id, a.question.text, Text(STATE_LABEL[a.status], style=STYLE[a.status]),
                          *[Text(str(n[s]), style=STYLE[s] if n[s] else "dim")
                            for s in ("passing", "failing", "error", "not_evaluated")],
                          Text(str(a.suppressed), style="magenta" if a.suppressed else "dim"))
    console.print(table)
    console.print(Text("Controls per question: pass(ing), fail(ing), error, n/e = not evaluated; "
                       "supp. = suppressed findings (accepted exceptions).", style="dim"))

    for a in ev.answers:
        if a.status == "satisfied":
            continue
        console.print()
        head = Text(f"{a.question.id} ", style="bold")
        head.append(STATE_LABEL[a.status], style=STYLE[a.status])
        head.append(f": {a.explanation}")
        console.print(head)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=2)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for state in ("failing", "error", "not_evaluated"):
            for c in a.with_state(state):
                detail = Text(f"{c.control.title} ({c.control.severity})")
                if state != "failing":
                    detail.append(f"\n{c.reason}", style="dim")
                grid.add_row("", Text(STATE_LABEL[state], style=STYLE[state]), c.control.id, detail)
        for f in a.worst(WORST_PER_QUESTION):
            grid.add_row("", Text(f"  {f.status.value}", style=STYLE[f.status.value]),
                         f"{f.control_id} {f.severity}", Text(f"{where(f)}\n{f.message}"))
        more = len(a.worst()) - WORST_PER_QUESTION
        if more > 0:
            grid.add_row("", "", "", Text(f"... and {more} more (see --format html or json)", style="dim"))
        console.print(grid)
    console.print()

    if ev.other_findings:
        console.print(Text(f"{len(ev.other_findings)} findings name controls that are not in the catalogue:",
                           style="bold yellow"))
        for f in ev.other_findings[:10]:
            console.print(Text(f"    {f.status.value:<6} {f.control_id} {where(f)}: {f.message}"))

    counts = report.status_counts()
    q = ev.question_counts()
    summary = Text("Questions: ", style="bold")
    summary.append(f"{q['satisfied']} satisfied", style=STYLE["satisfied"])
    summary.append(", ")
    summary.append(f"{q['not_satisfied']} not satisfied", style=STYLE["not_satisfied"])
    summary.append(", ")
    summary.append(f"{q['not_fully_answered']} not fully answered", style=STYLE["not_fully_answered"])
    summary.append(".  Findings: " + ", ".join(f"{counts[s]} {s}" for s in counts))
    if report.merged.duplicates:
        summary.append(f" ({report.merged.duplicates} duplicates dropped)")
    console.print(summary)
    bad = len(report.failing)
    if bad:
        console.print(Text(f"{bad} findings FAIL or ERROR at or above severity {report.fail_on}: exit code 1.",
                           style="bold red"))
    else:
        console.print(Text(f"Nothing fails at or above severity {report.fail_on}: exit code 0.",
                           style="bold green"))


def render_text(report: Report, width: int = 120) -> str:
    """The same summary as plain text (for -o FILE and snapshots)."""
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False, highlight=False,
                      emoji=False)
    render(report, console)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
