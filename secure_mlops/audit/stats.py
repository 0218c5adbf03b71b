"""What an audit cost: API calls per service and operation, and time per policy.

Calls are counted with a botocore event hook (``before-send``: one per HTTP request sent,
retries and pages included) on every session the audit uses, so the figures are what the
target actually received.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class AuditStats:
    calls: Counter = field(default_factory=Counter)  # (service, operation) -> requests
    policy_seconds: dict[str, float] = field(default_factory=dict)  # "account/region/policy" -> s
    wall_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- the botocore hook ------------------------------------------------------------------
    def hook(self, event_name: str = "", **_kwargs) -> None:
        # event_name: before-send.<service-id>.<OperationName>
        parts = event_name.split(".")
        key = (parts[1], parts[2]) if len(parts) >= 3 else (event_name, "?")
        with self._lock:
            self.calls[key] += 1

    def attach(self, session) -> None:
        """Count every request sent through clients of this boto3 (or botocore) session."""
        core = getattr(session, "_session", session)
        core.register("before-send", self.hook, unique_id=f"secure-mlops-stats-{id(self)}")

    @contextmanager
    def timing(self, label: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            with self._lock:
                self.policy_seconds[label] = self.policy_seconds.get(label, 0.0) + elapsed

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def to_dict(self) -> dict:
        return {
            "wall_seconds": round(self.wall_seconds, 3),
            "api_calls_total": self.total_calls,
            "api_calls": {f"{s}:{o}": n for (s, o), n in sorted(self.calls.items())},
            "policy_seconds": {k: round(v, 3) for k, v in sorted(self.policy_seconds.items())},
        }


def render(stats: AuditStats, console) -> None:
    """Print the two tables of --stats (to the given rich console)."""
    from rich.table import Table

    calls = Table(title=f"API calls: {stats.total_calls} requests in {stats.wall_seconds:.1f}s")
    calls.add_column("service")
    calls.add_column("operation")
    calls.add_column("requests", justify="right")
    for (service, op), n in sorted(stats.calls.items(), key=lambda kv: (-kv[1], kv[0])):
        calls.add_row(service, op, str(n))
    console.print(calls)

    times = Table(title="Time per policy (includes waiting for a shared listing)")
    times.add_column("policy")
    times.add_column("seconds", justify="right")
    for label, secs in sorted(stats.policy_seconds.items(), key=lambda kv: -kv[1]):
        times.add_row(label, f"{secs:.2f}")
    console.print(times)
