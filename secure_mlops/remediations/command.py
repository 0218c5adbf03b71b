"""``secure-mlops remediate``: check the input, resolve the target, plan or apply, print, exit code."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UserError

_TOPIC = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")


def run_remediate_command(findings_files: list[Path], run_audit_first: bool, apply: bool, control_ids: str | None,
                          environment: str | None, notify_topic: str | None, fmt: str, output: Path | None,
                          print_policy: bool, local: bool, region: str | None, profile: str | None) -> int:
    import json

    from .. import console
    from ..controls import load_catalog
    from ..findings import Status, dump_document, make_document
    from ..target import resolve_and_print
    from .context import RemediationContext
    from .registry import least_privilege_policy
    from .runner import APPLY, DRY_RUN, remediate

    catalog = load_catalog()
    if print_policy:
        console.write_stdout(json.dumps(least_privilege_policy(catalog), indent=2) + "\n")
        return 0
    # everything about the input is checked before any AWS call
    if bool(findings_files) == run_audit_first:
        raise UserError("give either FINDINGS files (written by `secure-mlops audit --format json -o FILE`) or "
                        "--audit, not both and not neither", field="FINDINGS / --audit",
                        fix="`secure-mlops remediate audit.json` or `secure-mlops remediate --audit`")
    controls = catalog.select("responsive", control_ids)
    if notify_topic and not _TOPIC.match(notify_topic):
        raise UserError(f"{notify_topic!r} is not an SNS topic ARN", field="--notify",
                        fix="pass arn:aws:sns:<region>:<account>:<topic name>")
    findings = _read_findings(findings_files) if findings_files else None
    if findings is None:
        from ..audit.runner import check_rules

        check_rules(controls)

    target = resolve_and_print(local, region, profile)
    if findings is not None:  # after the target line: every message follows it
        _note_ignored(findings, controls, console)
    if findings is None:
        from ..audit import run_audit

        console.announce(f"Auditing {len(controls)} responsive control(s) first")
        findings = run_audit(target, controls, console=console.err()).findings

    mode = APPLY if apply else DRY_RUN
    context = RemediationContext(session=target.session, account=target.account, region=target.region,
                                 environment=environment, notify_topic=notify_topic)
    console.announce("Applying remediations" if apply else
                     "Dry run: showing what would be done; nothing is changed (add --apply to do it)")
    out = console.out() if fmt == "table" else console.err()
    outcomes = remediate(findings, target, controls, context, apply=apply,
                         on_outcome=lambda o: print_outcome(o, mode, out))
    results = [o.to_finding(mode) for o in outcomes]
    doc = make_document(results, "remediate", target=target.to_dict(), evaluated_controls=[c.id for c in controls])
    doc["mode"] = mode
    text = dump_document(doc)
    if output:
        console.write_file(output, text, f" ({len(results)} findings)")
    if fmt == "json":
        console.write_stdout(text)
    console.announce(summary(outcomes, mode))
    return 1 if any(r.status in (Status.FAIL, Status.ERROR) for r in results) else 0


def _read_findings(paths: list[Path]):
    from ..findings import findings_of, load_documents

    docs = load_documents(paths)
    for doc in docs:
        if doc.get("kind") != "audit":
            raise UserError(f"is a {doc.get('kind')!r} findings document; remediate acts on live findings",
                            file=doc["_path"], field="kind",
                            fix="pass a document written by `secure-mlops audit --format json -o FILE`")
    return findings_of(docs)


def _note_ignored(findings, controls, console) -> None:
    from ..findings import Status

    wanted = {c.id for c in controls}
    others = sorted({f.control_id for f in findings if f.status is Status.FAIL and f.control_id not in wanted})
    if others:
        console.announce(f"Not handled here (no responsive mode, or not selected with --controls): FAIL findings of "
                         f"{', '.join(others)}")


def label(o, mode: str) -> tuple[str, str]:
    """A short word for an outcome, and its colour."""
    from ..findings import Status

    if o.status is Status.ERROR:
        return "ERROR", "bold yellow"
    if o.status is Status.PASS:
        return ("FIXED", "bold green") if o.steps and mode == "apply" else ("OK", "green")
    if o.skipped:
        return "SKIPPED", "bold yellow"
    if not o.steps:
        return "NO REMEDY", "bold red"
    if mode == "dry-run":
        return "PLAN", "bold cyan"
    return ("CONTAINED", "bold magenta") if any(s.contains_only for s in o.steps) else ("FAIL", "bold red")


def print_outcome(o, mode: str, out) -> None:
    from rich.markup import escape

    word, colour = label(o, mode)
    f = o.finding
    out.print(f"[{colour}]{word:<9}[/] {f.control_id} ({o.control.severity}) {escape(f.resource_type)} "
              f"[bold]{escape(f.resource_id)}[/]")
    out.print(f"          {escape(o.message)}")
    done = len(o.applied)
    for i, call in enumerate(c for s in o.steps for c in s.calls):
        mark = ""
        if mode == "apply":
            mark = "✓ " if i < done else ("✗ " if o.failed_call and i == done else "- ")
        out.print(f"          {i + 1}. {mark}{escape(call.describe())}")


def summary(outcomes, mode: str) -> str:
    from collections import Counter

    counts = Counter(label(o, mode)[0] for o in outcomes)
    if not outcomes:
        return "No FAIL finding of a responsive control: nothing to do."
    parts = ", ".join(f"{n} {word.lower()}" for word, n in sorted(counts.items()))
    if mode == "dry-run":
        return f"Dry run, {len(outcomes)} finding(s): {parts}. Nothing was changed; run again with --apply to do it."
    return f"Applied, {len(outcomes)} finding(s): {parts}."
