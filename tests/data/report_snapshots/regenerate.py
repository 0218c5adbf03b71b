"""Regenerate the report's output snapshots from the fixture findings (never edit them by hand).

Run from anywhere: .venv/bin/python tests/data/report_snapshots/regenerate.py [FORMAT ...]
tests/test_report_formats.py renders the same reports and compares them with these files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
INPUTS = ["tests/data/findings/gate.json", "tests/data/findings/audit-dev.json",
          "tests/data/findings/audit-prod.json"]
GENERATED_AT = "2026-11-20T10:00:00+00:00"
SNAPSHOTS = {  # file name -> format
    "report.txt": "terminal",
    "report.html": "html",
    "report.json": "json",
    "report.sarif": "sarif",
    "report.asff.json": "asff",
}


def render_all(formats=None) -> dict[str, str]:
    """Render every snapshot (inputs named relative to the project root, fixed report time)."""
    sys.path.insert(0, str(ROOT))
    from secure_mlops.reports.build import build_report
    from secure_mlops.reports.merge import load
    from secure_mlops.reports.report_command import render

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        report = build_report(load(INPUTS), fail_on="low", generated_at=GENERATED_AT)
        return {name: render(report, fmt, for_file=True) for name, fmt in SNAPSHOTS.items()
                if formats is None or fmt in formats}
    finally:
        os.chdir(cwd)


def main() -> None:
    formats = sys.argv[1:] or None
    for name, text in render_all(formats).items():
        (HERE / name).write_text(text)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
