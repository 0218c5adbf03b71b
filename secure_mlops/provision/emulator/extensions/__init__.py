"""Extensions that make moto faithful for the resources this project deploys.

``load()`` is idempotent and must run in the process that serves requests (the emulator
server, or a test process using moto in-process) before the first request.
"""

from __future__ import annotations

_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
