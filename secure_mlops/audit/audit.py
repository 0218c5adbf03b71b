"""The audit as a plain function: a target (or an accounts file) in, findings and stats out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..controls import Control
from ..findings import Finding
from .stats import AuditStats


@dataclass
class AuditResult:
    findings: list[Finding]
    controls: list[Control]
    stats: AuditStats
    target: dict[str, Any] = field(default_factory=dict)


def audit_target_region(session_fn: Callable[[], Any], account: str, region: str, controls: list[Control], cfg,
                        stats: AuditStats, on_done=None) -> list[Finding]:
    """One account-region: get its session, learn its environments, run every policy."""
    from .context import load_audit_context
    from .resources.base import error_text
    from .runner import audit_account_region, not_evaluated_findings

    try:
        session = session_fn()
    except Exception as exc:  # noqa: BLE001 - e.g. the role cannot be assumed: ERROR, the others go on
        return not_evaluated_findings(controls, account, region, f"no session for the account ({error_text(exc)})")
    stats.attach(session)
    actx = load_audit_context(session, account, region, cfg)
    return audit_account_region(session, account, region, controls, actx, stats, on_done)


def run_audit(target, controls: list[Control], cfg=None, accounts=None, console=None) -> AuditResult:
    """Audit the target's account and region, or every account-region of an accounts file."""
    stats = AuditStats()
    start = time.perf_counter()
    if accounts:
        from .accounts import audit_accounts

        findings = audit_accounts(target.session, accounts, controls, cfg, stats, console=console)
        where = {"kind": target.kind, "endpoint_url": target.endpoint_url,
                 "accounts": [{"account_id": a.account_id, "name": a.name, "regions": list(a.regions)}
                              for a in accounts]}
    else:
        findings = _single(target, controls, cfg, stats, console)
        where = target.to_dict()
    stats.wall_seconds = time.perf_counter() - start
    return AuditResult(findings=findings, controls=controls, stats=stats, target=where)


def _single(target, controls, cfg, stats, console) -> list[Finding]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=True, disable=console is None)
    with progress:
        task = progress.add_task(f"{target.account} {target.region}", total=None)
        return audit_target_region(lambda: target.session, target.account, target.region, controls, cfg, stats,
                                   lambda done, total: progress.update(task, completed=done, total=total))
