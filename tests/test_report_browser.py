"""The HTML report in a real browser: headless Chromium shows the thirteen questions, offline.

The screenshot is kept as a test artifact: tests/artifacts/report.png (git-ignored).
In CI (CI=true) a missing Chromium fails the test; elsewhere it skips it.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from secure_mlops.cli import main
from secure_mlops.controls import load_catalog

ROOT = Path(__file__).resolve().parents[1]
FINDINGS = ROOT / "tests" / "data" / "findings"
ARTIFACTS = ROOT / "tests" / "artifacts"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("headless Chromium is not installed; scripts/setup.sh installs it (apt-get install chromium)")
    pytest.skip("headless Chromium is not installed (apt-get install chromium)")


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.iterdir()))}"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}",
           # offline: any name lookup fails and any proxy-able request goes nowhere
           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.browser
def test_html_report_shows_the_thirteen_questions_in_headless_chromium(tmp_path):
    chromium()
    page = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", *(str(FINDINGS / n) for n in
                                                   ("gate.json", "audit-dev.json", "audit-prod.json")),
                                       "--format", "html", "-o", str(page)])
    assert result.exit_code == 1, result.output  # the fixtures hold failing findings
    url = page.as_uri()

    dom = run_chromium(tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert "<title>secure-mlops report: the security questions</title>" in html
    for q in load_catalog().questions.values():
        section = re.search(rf'<details[^>]*id="q-{re.escape(q.id)}"[^>]*>(.*?)</details>', html, re.S)
        assert section, f"question {q.id} is not in the rendered page"
        assert q.text in section.group(1)
        assert re.search(r'class="badge (satisfied|not_satisfied|not_fully_answered)"', section.group(1))
    assert len(re.findall(r"<svg", html)) >= 19  # charts: one per question, per area, overall

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    png = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", url)
    assert png.returncode == 0 and shot.exists(), png.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a rendered page, not a blank one


def test_a_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="not installed"):
        chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        chromium()
