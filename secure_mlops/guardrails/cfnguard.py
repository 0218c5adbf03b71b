"""The cfn-guard binary: find it, install it from the wheel that carries it, run it.

Order of preference:

1. ``$SECURE_MLOPS_CFN_GUARD`` (a path to a cfn-guard 3.x binary),
2. ``cfn-guard`` on ``PATH`` (a user's own installation),
3. the binary shipped inside the PyPI wheel ``cdklabs-cdk-validator-cfnguard==0.0.62``
   (installed by ``scripts/setup.sh`` with ``--no-deps``; the package is never imported),
   extracted once into ``$SECURE_MLOPS_HOME/bin`` (default ``~/.cache/secure-mlops/bin``)
   and checked against the sha256 recorded here.

The gate runs one ``cfn-guard validate`` process per batch (every rule, every file) and
always reads its output to the end (cfn-guard panics with exit 101 when its pipe closes).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

WHEEL = "cdklabs-cdk-validator-cfnguard"
WHEEL_VERSION = "0.0.62"
CFN_GUARD_VERSION = "3.1.1"
INSTALL_COMMAND = f"pip install --no-deps {WHEEL}=={WHEEL_VERSION}"
ENV_VAR = "SECURE_MLOPS_CFN_GUARD"
#: member of the wheel's jsii tarball -> sha256 of the executable
_MEMBERS = {
    ("Linux", "x86_64"): ("package/bin/ubuntu/x86_64/cfn-guard",
                          "9c7a820318676dc7372f6756ddfc7ca5f0c019299fb5505fda6dfd54718c58bd"),
    ("Linux", "aarch64"): ("package/bin/ubuntu/aarch64/cfn-guard",
                           "f596043df77b6e839759e90e3d08671b5384c6e07d4a9c34f6d0bfbc76148154"),
    ("Darwin", "x86_64"): ("package/bin/macos/x86_64/cfn-guard",
                           "3e8118e3c4cd98901b3a21b7037a40674023945349ad4661f1a7101f2d96c31f"),
    ("Darwin", "arm64"): ("package/bin/macos/aarch64/cfn-guard",
                          "89e97faaabb5431bc16d0487b5c8e67573e3f84e397b87985bfb02c2bdd4f46a"),
}
_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}

# exit codes of `cfn-guard validate` (see tooling-facts.md)
VALIDATE_OK = (0, 19)  # 0 all pass/skip, 19 some rule failed


class CfnGuardError(Exception):
    """cfn-guard could not run or gave output that could not be read."""


@dataclass(frozen=True)
class CfnGuard:
    path: Path
    source: str  # "env", "path" or "wheel"

    def run(self, args: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
        # communicate() reads stdout and stderr to the end, whatever the size
        return subprocess.run([str(self.path), *args], capture_output=True, text=True, timeout=timeout,
                              check=False)

    def validate(self, rules: list[Path], data: list[Path]) -> list[dict]:
        """One process for all rules and all data files; returns cfn-guard's structured JSON report."""
        args = ["validate", "-o", "json", "--structured", "-S", "none"]
        for r in rules:
            args += ["-r", str(r)]
        for d in data:
            args += ["-d", str(d)]
        proc = self.run(args)
        if "Parsing error" in (proc.stderr or "") or "Parser Error" in (proc.stderr or ""):
            # cfn-guard skips a rules file it cannot parse and still exits 0/19
            raise CfnGuardError(f"cfn-guard could not parse a rules file: {proc.stderr.strip()[:2000]}")
        if proc.returncode not in VALIDATE_OK:
            raise CfnGuardError(
                f"cfn-guard validate exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[:2000]}")
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise CfnGuardError(f"cfn-guard printed output that is not JSON ({exc}): {proc.stdout[:500]}") from None
        if not isinstance(report, list):
            raise CfnGuardError("cfn-guard printed an unexpected report (not a list)")
        return report

    def test(self, rules: Path, tests: Path) -> subprocess.CompletedProcess:
        return self.run(["test", "-r", str(rules), "-t", str(tests)])


def _home() -> Path:
    home = os.environ.get("SECURE_MLOPS_HOME")
    return Path(home) if home else Path.home() / ".cache" / "secure-mlops"


def _platform_key() -> tuple[str, str]:
    system = platform.system()
    machine = platform.machine().lower()
    machine = _ALIASES.get(machine, machine)
    if system == "Darwin" and machine == "aarch64":
        machine = "arm64"
    return system, machine


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _wheel_tarball() -> Path | None:
    from importlib import metadata

    try:
        dist = metadata.distribution(WHEEL)
    except metadata.PackageNotFoundError:
        return None
    for f in dist.files or ():
        if str(f).endswith(".jsii.tgz"):
            return Path(str(dist.locate_file(f)))
    return None


def extract_from_wheel(dest_dir: Path | None = None) -> Path:
    """Extract the binary for this platform from the installed wheel (once) and verify it."""
    key = _platform_key()
    if key not in _MEMBERS:
        raise UserError(f"no cfn-guard build for {key[0]} {key[1]} in {WHEEL}",
                        fix=f"install cfn-guard {CFN_GUARD_VERSION} yourself and set {ENV_VAR} to its path")
    member, digest = _MEMBERS[key]
    dest_dir = dest_dir or _home() / "bin"
    dest = dest_dir / f"cfn-guard-{CFN_GUARD_VERSION}"
    if dest.exists() and _sha256(dest) == digest:
        return dest
    tarball = _wheel_tarball()
    if tarball is None or not tarball.exists():
        raise UserError(
            "cfn-guard was not found (not on PATH, $SECURE_MLOPS_CFN_GUARD unset, and the "
            f"{WHEEL} wheel that carries it is not installed)",
            fix=f"run `{INSTALL_COMMAND}` (or scripts/setup.sh), or set {ENV_VAR} to a cfn-guard 3.x binary")
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(f".tmp{os.getpid()}")
    with tarfile.open(tarball, "r:gz") as tar:
        try:
            src = tar.extractfile(member)
        except KeyError:
            src = None
        if src is None:
            raise UserError(f"{tarball}: member {member} is missing",
                            fix=f"reinstall with `{INSTALL_COMMAND}`")
        with open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
    actual = _sha256(tmp)
    if actual != digest:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{tarball}: {member} has sha256 {actual}, expected {digest}",
                        fix=f"reinstall with `pip install --force-reinstall --no-deps {WHEEL}=={WHEEL_VERSION}`")
    tmp.chmod(0o755)
    os.replace(tmp, dest)
    return dest


def find_cfn_guard() -> CfnGuard:
    """The cfn-guard to use: $SECURE_MLOPS_CFN_GUARD, then PATH, then the wheel's binary."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise UserError(f"{ENV_VAR}={env} is not an executable file",
                            fix=f"point it at a cfn-guard 3.x binary, or unset it to use `{INSTALL_COMMAND}`")
        return CfnGuard(path, "env")
    on_path = shutil.which("cfn-guard")
    if on_path:
        return CfnGuard(Path(on_path), "path")
    return CfnGuard(extract_from_wheel(), "wheel")
