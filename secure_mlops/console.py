"""Terminal output: human messages and progress go to stderr, data to stdout."""

from __future__ import annotations

import functools
import sys
from pathlib import Path


@functools.lru_cache(maxsize=None)
def err() -> "rich.console.Console":  # noqa: F821
    from rich.console import Console

    return Console(stderr=True, highlight=False)


@functools.lru_cache(maxsize=None)
def out() -> "rich.console.Console":  # noqa: F821
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def announce(message: str) -> None:
    err().print(f"[bold cyan]»[/] {message}", markup=True)


def warn(message: str) -> None:
    err().print(f"[bold yellow]warning:[/] {message}", markup=True)


def error(message: str) -> None:
    from rich.markup import escape

    err().print(f"[bold red]error:[/] {escape(message)}", markup=True)


def print_target(target) -> None:
    """Every command that touches AWS prints where it acts before it does anything."""
    announce(f"Target: [bold]{target.describe()}[/]")


def write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def write_file(path: Path, text: str, note: str = "") -> None:
    """Write a document (creating its folder) and say so: ``Wrote PATH<note>``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    announce(f"Wrote {path}{note}")


def write_output(text: str, output: Path | None) -> None:
    """Data to the file `output`, or to stdout without one."""
    if output:
        write_file(output, text)
    else:
        write_stdout(text)
