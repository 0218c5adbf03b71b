"""The emulator process: start, reuse, reset, env, stop."""

import subprocess
import sys

import pytest


@pytest.mark.emulator
def test_emulator_answers_and_resets(aws, emulator):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="reset-me")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["reset-me"]
    emulator.reset()
    assert s3.list_buckets()["Buckets"] == []


@pytest.mark.emulator
def test_start_reuses_running_server(emulator):
    from secure_mlops.provision.emulator import server

    again, started = server.start()
    assert not started and again.endpoint == emulator.endpoint


@pytest.mark.emulator
def test_local_env_prints_exports(emulator):
    out = subprocess.run([sys.executable, "-m", "secure_mlops.cli", "local", "env"],
                         capture_output=True, text=True, check=True).stdout
    lines = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    assert lines["AWS_ENDPOINT_URL"] == emulator.endpoint
    assert set(lines) == {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}


@pytest.fixture
def own_home(tmp_path, monkeypatch):
    """A SECURE_MLOPS_HOME of this test's own (the worker's emulator is not touched)."""
    monkeypatch.setenv("SECURE_MLOPS_HOME", str(tmp_path))
    return tmp_path


def _gone(pid: int) -> bool:
    """No such process, not even a zombie waiting to be reaped."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.emulator
def test_a_busy_server_is_running_and_stop_reaps_it(own_home, monkeypatch):
    """A server that answers nothing (suspended: the kernel still accepts its connections) is
    running, not dead: no second server is started, and stop() stops and reaps it."""
    import os
    import signal
    import urllib.request

    from secure_mlops.provision.emulator import server

    emu, started = server.start()
    assert started
    os.kill(emu.pid, signal.SIGSTOP)
    try:
        with pytest.raises(OSError):  # it does not answer ...
            urllib.request.urlopen(f"{emu.endpoint}/moto-api/config", timeout=0.5)
        assert server.current() == emu  # ... and is still the running server
        assert server.start() == (emu, False)  # no second server
        # where the process table cannot tell (no /proc), an accepted connection says it runs
        with monkeypatch.context() as m:
            m.setattr(server, "_serves", lambda pid, port: None)
            m.setattr(server, "PROBE_TIMEOUT_S", 0.5)
            assert server.current() == emu
    finally:
        stopped = server.stop()
    assert stopped == emu
    assert _gone(emu.pid)  # stopped and reaped
    assert not (own_home / "emulator.json").exists()
    assert server.current() is None and server.stop() is None


def test_stale_state_is_removed_and_a_reused_pid_is_never_signalled(own_home):
    import json
    import subprocess
    import sys

    from secure_mlops.provision.emulator import server

    state = own_home / "emulator.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state.write_text(json.dumps({"pid": dead.pid, "port": server.free_port()}))
    assert server.current() is None and not state.exists()  # the process is gone: stale

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # a live process that is not the emulator (the pid was reused): stale, and left alone
        state.write_text(json.dumps({"pid": other.pid, "port": server.free_port()}))
        assert server.current() is None and not state.exists()
        state.write_text(json.dumps({"pid": other.pid, "port": server.free_port()}))
        assert server.stop() is None and not state.exists()
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
