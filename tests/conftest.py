"""Shared fixtures: the embedded emulator (one per test worker) and sessions bound to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def sm_home(tmp_path_factory) -> Path:
    """An isolated SECURE_MLOPS_HOME for this test worker (emulator state, caches)."""
    home = tmp_path_factory.mktemp("secure-mlops-home")
    os.environ["SECURE_MLOPS_HOME"] = str(home)
    return home


@pytest.fixture(scope="session")
def emulator(sm_home):
    """The embedded emulator, started once per test worker with the project's extensions."""
    from secure_mlops.provision.emulator import server

    emu, _ = server.start()
    yield emu
    server.stop()


@pytest.fixture
def clean_env():
    """Restore os.environ after the test (targets point the process environment at the emulator)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def aws(emulator, clean_env):
    """A boto3 session bound to a freshly reset emulator (region us-east-1)."""
    from secure_mlops.target import emulator_session

    emulator.reset()
    return emulator_session(emulator.endpoint, "us-east-1")


@pytest.fixture
def local_target(aws, emulator):
    """A Target for the emulator, as the CLI builds it with --local."""
    from secure_mlops.provision.emulator import server
    from secure_mlops.target import Target

    return Target(kind="emulator", session=aws, region="us-east-1", account=server.ACCOUNT_ID,
                  endpoint_url=emulator.endpoint, reason="tests")


@pytest.fixture
def wide_console(monkeypatch):
    """Messages and tables on one line: rich wraps at 80 columns when it is not a terminal.

    Use it with ``pytestmark = pytest.mark.usefixtures("wide_console")`` in modules that match
    command output."""
    from secure_mlops import console

    monkeypatch.setenv("COLUMNS", "2000")
    console.err.cache_clear()
    console.out.cache_clear()
    yield
    console.err.cache_clear()
    console.out.cache_clear()


@pytest.fixture
def config_file(tmp_path) -> Path:
    """The example configuration (`secure-mlops init`) written to a temporary secure-mlops.yaml."""
    from secure_mlops.provision.config import example_config

    path = tmp_path / "secure-mlops.yaml"
    path.write_text(example_config())
    return path
