"""Manage the embedded emulator process: up, status, env, reset, down.

The server runs in its own process (``serve.py``) on 127.0.0.1 and keeps its state as long
as it runs. Where it runs is recorded in ``<home>/emulator.json``; ``<home>`` is
``$SECURE_MLOPS_HOME`` or ``~/.cache/secure-mlops``.

Whether the recorded server runs is decided by its process, never by how fast it answers: a
server busy with a large deployment (or an audit of one) may not answer for many seconds, and
declaring it dead would start a second one and leak the first. The record is stale, and
removed, only when its process is gone or is not the emulator serving that port (a reused
pid). ``stop()`` stops the recorded process whether or not it answers, and reaps it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
DEFAULT_REGION = "us-east-1"
#: the account id moto answers with for the credentials above
ACCOUNT_ID = "123456789012"
START_TIMEOUT_S = 60.0
#: how long a liveness probe waits for an HTTP answer before it settles for a TCP connection
PROBE_TIMEOUT_S = 3.0


class EmulatorError(Exception):
    """The emulator could not be started or reached."""


def home() -> Path:
    path = Path(os.environ.get("SECURE_MLOPS_HOME") or Path.home() / ".cache" / "secure-mlops")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _state_file() -> Path:
    return home() / "emulator.json"


@dataclass
class Emulator:
    pid: int
    port: int
    host: str = "127.0.0.1"
    started_at: float = 0.0
    moto_version: str = ""
    log_file: str = ""

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self, region: str | None = None) -> dict[str, str]:
        """The standard AWS variables that point any AWS tool at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": region or DEFAULT_REGION,
        }

    def is_alive(self) -> bool:
        """Whether the recorded server still runs (busy or not)."""
        if not _pid_alive(self.pid):
            return False
        serving = _serves(self.pid, self.port)
        if serving is not None:  # the process table says it (Linux)
            return serving
        return _responds(self.endpoint)

    def reset(self) -> None:
        """Clear all state of the server (moto's reset API)."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still "exists": check /proc where available
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split()[2] != "Z"
        except (OSError, IndexError):
            return True
    return True


def _serves(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` is this package's emulator serving ``port``; None if unknowable here."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        args = cmdline.read_bytes().split(b"\0")
    except FileNotFoundError:
        return False if Path("/proc/self/cmdline").exists() else None
    except OSError:
        return None
    return b"secure_mlops.provision.emulator.serve" in args and str(port).encode() in args


def _reap(pid: int) -> None:
    """Collect the exit status of ``pid`` if it is a child of this process (no zombie left)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _responds(endpoint: str, accept_connection: bool = True) -> bool:
    """Whether the server answers; O(1) (``/moto-api/data.json`` serialises the whole state).

    A server too busy to answer within the timeout but still accepting connections on its
    port counts as running: declaring it dead would start a second one and leak the first.
    With ``accept_connection=False`` only moto's HTTP answer counts (any program accepts
    connections on its port).
    """
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/config", timeout=PROBE_TIMEOUT_S) as resp:
            return 200 <= resp.status < 300  # moto answers 201
    except (urllib.error.URLError, OSError, ValueError):
        pass
    if not accept_connection:
        return False
    parsed = urllib.parse.urlparse(endpoint)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether `port` can be listened on (as the server binds it: SO_REUSEADDR, so a port left in
    TIME_WAIT counts as free and one with a listener does not)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def current() -> Emulator | None:
    """The running emulator recorded in the state file, or None (stale state is removed)."""
    path = _state_file()
    if not path.exists():
        return None
    try:
        emu = Emulator(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if emu.is_alive():
        return emu
    path.unlink(missing_ok=True)
    return None


def start(port: int | None = None, host: str = "127.0.0.1") -> tuple[Emulator, bool]:
    """Start the emulator unless one is running. Returns (emulator, started_now)."""
    running = current()
    if running:
        return running, False
    import moto

    if port and not port_free(port, host):  # another program's listener would pass for the emulator
        raise EmulatorError(f"port {port} on {host} is in use by another process; choose another --port, "
                            "or leave --port out to use a free one")
    port = port or free_port(host)
    log_path = home() / "emulator.log"
    env = dict(os.environ)
    env.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    # the emulator must not inherit a pointer to itself or to AWS
    for var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        env.pop(var, None)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "secure_mlops.provision.emulator.serve", "--host", host, "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    emu = Emulator(pid=proc.pid, port=port, host=host, started_at=time.time(),
                   moto_version=moto.__version__, log_file=str(log_path))
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EmulatorError(
                f"the emulator exited with code {proc.returncode} while starting; see {log_path}"
            )
        if _responds(emu.endpoint, accept_connection=False):  # moto's answer, not just a listener
            _state_file().write_text(json.dumps(asdict(emu)))
            return emu, True
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    raise EmulatorError(f"the emulator did not answer on {emu.endpoint} within {START_TIMEOUT_S:.0f}s; see {log_path}")


def stop() -> Emulator | None:
    """Stop the running emulator (its state is lost). Returns what was stopped, or None.

    The recorded process is stopped even if it does not answer (a busy, hung or suspended
    server), and reaped; a process that is not the recorded emulator is never signalled.
    """
    path = _state_file()
    try:
        emu = Emulator(**json.loads(path.read_text())) if path.exists() else None
    except (ValueError, TypeError):
        emu = None
    if emu is None or not emu.is_alive():
        path.unlink(missing_ok=True)
        return None
    for sig in (signal.SIGTERM, signal.SIGCONT):  # SIGCONT: a suspended server must see the SIGTERM
        try:
            os.kill(emu.pid, sig)
        except ProcessLookupError:
            break
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _reap(emu.pid)
        if not _pid_alive(emu.pid):
            break
        time.sleep(0.1)
    else:
        try:
            os.kill(emu.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while _pid_alive(emu.pid) and time.monotonic() < deadline + 5:
            _reap(emu.pid)
            time.sleep(0.05)
    _reap(emu.pid)
    path.unlink(missing_ok=True)
    return emu
