"""Terminal output: human messages and progress go to stderr, data to stdout.

On a terminal rich wraps at the terminal's width. Outside one (a CI log, a file, a pipe) it
would wrap at 80 columns and split table cells (ARNs, paths, messages) across lines; there the
width is ``COLUMNS`` when set, else ``WIDTH_OUTSIDE_A_TERMINAL``, so a row stays on one line.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

#: the width of the output when it does not go to a terminal and COLUMNS is not set
WIDTH_OUTSIDE_A_TERMINAL = 1000


def width_for(stream) -> int | None:
    """The width rich should render at for `stream`; None lets rich measure it (a terminal, or COLUMNS)."""
    if os.environ.get("COLUMNS"):
        return None
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        tty = False
    return None if tty else WIDTH_OUTSIDE_A_TERMINAL


@functools.lru_cache(maxsize=None)
def err() -> "rich.console.Console":  # noqa: F821
    from rich.console import Console

    return Console(stderr=True, highlight=False, width=width_for(sys.stderr))


@functools.lru_cache(maxsize=None)
def out() -> "rich.console.Console":  # noqa: F821
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True, width=width_for(sys.stdout))


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


def check_writable(path: Path | None, option: str = "-o", directory: bool = False) -> Path | None:
    """Whether `path` (an output file, or with `directory` an output folder) can be written, checked
    before any work so that a long run does not end in a traceback. Creates nothing; raises
    UserError naming the option, the path and the fix."""
    import tempfile

    from .errors import UserError

    if path is None:
        return None
    fix = f"give {option} a path in an existing directory you can write to"
    kind = "folder" if directory else "file"
    if path.exists():
        if path.is_dir() != directory:
            raise UserError(f"{option} {path}: is {'not ' if directory else ''}a directory",
                            fix=f"give {option} a {kind} path")
        if not directory:
            try:
                open(path, "a").close()  # appends nothing: the file is unchanged
            except OSError as exc:
                raise UserError(f"{option} {path}: cannot be written ({exc.strerror})", fix=fix) from None
            return path
    ancestor = path.absolute() if path.exists() else path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UserError(f"{option} {path}: {ancestor} is not a directory", fix=fix)
    try:
        tempfile.TemporaryFile(dir=ancestor).close()
    except OSError as exc:
        raise UserError(f"{option} {path}: cannot be written in {ancestor} ({exc.strerror})", fix=fix) from None
    return path


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
