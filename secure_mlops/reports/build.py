"""The report every output format renders: merged findings, question answers, exit code."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone

from ..findings import Finding, exit_code, failing, status_counts
from .merge import Merged
from .questions import Evaluation, evaluate


def now_iso() -> str:
    """The report time (UTC); honours SOURCE_DATE_EPOCH for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return moment.isoformat(timespec="seconds")


@dataclass
class Report:
    merged: Merged
    evaluation: Evaluation
    fail_on: str
    generated_at: str

    @property
    def findings(self) -> list[Finding]:
        return self.merged.findings

    @property
    def failing(self) -> list[Finding]:
        """FAIL and ERROR findings at or above --fail-on: these make the exit code 1."""
        return failing(self.findings, self.fail_on)

    @property
    def exit_code(self) -> int:
        return exit_code(self.findings, self.fail_on)

    def status_counts(self) -> dict[str, int]:
        return status_counts(self.findings)


def build_report(merged: Merged, fail_on: str = "low", generated_at: str | None = None) -> Report:
    return Report(merged=merged, evaluation=evaluate(merged), fail_on=fail_on.lower(),
                  generated_at=generated_at or now_iso())
