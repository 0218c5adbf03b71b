#!/usr/bin/env python3
"""Gate the peer conformance suite plus the project's templates, run checkov on the same files in
the same run, and print both wall times and their ratio. A script, not a test.

checkov is not a dependency of this project: install it in a venv of its own, never in the
project's (it pins other versions of boto3 and friends):

    python3 -m venv /work/bench-venv && /work/bench-venv/bin/pip install checkov
    python benchmarks/gate_vs_checkov.py --checkov /work/bench-venv/bin/checkov

Both tools are run as a user runs them (a fresh process, all files at once, JSON output to a
file), REPEAT times each, alternating; the best and median wall times are printed. The target
is the gate at least 5 times faster than checkov on the same files.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = [ROOT / "tests" / "conformance", ROOT / "secure_mlops" / "provision" / "templates"]


def template_files(paths: list[Path]) -> list[Path]:
    """The files the gate gates (templates and pipeline definitions), so both tools see the same."""
    sys.path.insert(0, str(ROOT))
    from secure_mlops.guardrails.gate import prepare

    _, result, _ = prepare(paths, root=ROOT)
    return [ROOT / f for f in result.files]


def timed(cmd: list[str], ok_codes: tuple[int, ...]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok_codes:
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkov", default=shutil.which("checkov") or "/work/bench-venv/bin/checkov",
                    help="path of the checkov executable (default: on PATH, else /work/bench-venv/bin/checkov)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each tool (default 3)")
    ap.add_argument("paths", nargs="*", type=Path, default=DEFAULT_PATHS,
                    help="files or directories (default: tests/conformance and the project's templates)")
    args = ap.parse_args()
    if not Path(args.checkov).is_file():
        print(f"checkov not found at {args.checkov}. Install it in its own venv:\n"
              "  python3 -m venv /work/bench-venv && /work/bench-venv/bin/pip install checkov\n"
              "then pass --checkov /work/bench-venv/bin/checkov", file=sys.stderr)
        return 2
    files = template_files(args.paths)
    version = subprocess.run([args.checkov, "--version"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        gate_cmd = [sys.executable, "-m", "secure_mlops.cli", "gate", *map(str, files), "--format", "json",
                    "-o", f"{tmp}/gate.json"]
        checkov_cmd = [args.checkov, "--framework", "cloudformation", "--quiet", "--compact", "-o", "json",
                       "--output-file-path", tmp, "--skip-download", *[a for f in files for a in ("-f", str(f))]]
        # warm both (imports, page cache, the gate's one-time cfn-guard extraction)
        timed(gate_cmd, (0, 1))
        timed(checkov_cmd, (0, 1))
        gate_times, checkov_times = [], []
        for _ in range(args.repeat):
            gate_times.append(timed(gate_cmd, (0, 1)))
            checkov_times.append(timed(checkov_cmd, (0, 1)))
    g_best, c_best = min(gate_times), min(checkov_times)
    g_med, c_med = statistics.median(gate_times), statistics.median(checkov_times)
    print(f"files: {len(files)} (conformance suite + project templates)")
    print(f"secure-mlops gate: best {g_best:.2f} s, median {g_med:.2f} s  ({', '.join(f'{t:.2f}' for t in gate_times)})")
    print(f"checkov {version}: best {c_best:.2f} s, median {c_med:.2f} s  "
          f"({', '.join(f'{t:.2f}' for t in checkov_times)})")
    print(f"ratio checkov/gate: {c_best / g_best:.1f}x (best), {c_med / g_med:.1f}x (median); target >= 5x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
