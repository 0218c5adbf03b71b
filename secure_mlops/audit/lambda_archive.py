"""The deployment archive of the scheduled audit's Lambda function (``secure-mlops schedule deploy``).

The archive holds what ``secure_mlops.audit.lambda_handler`` needs and nothing else: the audit
(``secure_mlops/audit``), the catalogue (``guardrails/controls/*.yaml``, ``questions.yaml``), the
rule files (``rules/*.yml``), the finding model and the Security Hub import; then Cloud
Custodian and its run-time requirements as installed here (c7n's own dependency walk,
``c7n.mu.generate_requirements``), boto3 and botocore included, so the function runs the
versions the CLI was tested with rather than whatever the Lambda runtime ships.

- **Deterministic.** Files are added in sorted order with c7n's archive helper
  (``c7n.mu.PythonPackageArchive``: fixed timestamps and permissions); bytecode is
  unchecked-hash ``.pyc`` (PEP 552: no timestamps), compiled in a fresh interpreter with a
  fixed hash seed (see :func:`build_archive`). Same installation, same bytes, same sha256,
  so a second deploy can see that the code did not change.
- **Bytecode included.** Lambda's ``/var/task`` is read-only: without ``__pycache__`` in the
  archive every cold start compiles every module it imports from source.
- **Small.** botocore's service models are limited to the services the function calls
  (:data:`BOTOCORE_SERVICES`); packages c7n needs only for its own command line are left out
  (:data:`NOT_BUNDLED`).
- **Runs where it is built for.** Compiled modules (rpds, PyYAML's C loader) are the installed
  manylinux wheels: the archive is for the CPython version and CPU of this machine, and is
  refused when that cannot run on Lambda.
"""

from __future__ import annotations

import base64
import hashlib
import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError

HANDLER = "secure_mlops.audit.lambda_handler.handler"
#: distributions the function imports (with their requirements, as pip installed them)
DISTRIBUTIONS = ("c7n", "pyyaml", "jsonschema")
#: requirements of c7n the function never imports
NOT_BUNDLED = {
    "argcomplete": "c7n's command line completion",
    "cryptography": "not imported by the c7n resource types the audit uses",
    "tabulate": "c7n's report output",
}
#: botocore service models bundled: the services the audit and the handler call
BOTOCORE_SERVICES = (
    "cloudtrail", "codeartifact", "codecommit", "codepipeline", "ec2", "ecr", "iam", "kms", "logs",
    "resourcegroupstaggingapi", "s3", "sagemaker", "securityhub", "ssm", "sts",
)
#: files of the secure_mlops package the function needs (globs relative to the package)
PROJECT_FILES = (
    "__init__.py", "controls.py", "envcontext.py", "errors.py", "findings.py", "sagemaker_images.py",
    "audit/**/*.py", "audit/*.json",
    "guardrails/control.schema.json", "guardrails/questions.yaml", "guardrails/controls/*.yaml",
    "reports/__init__.py", "reports/asff.py", "reports/security_hub.py",
    "rules/*.yml",
)
#: Lambda's Python runtimes run Amazon Linux 2023 (glibc 2.34) or 2 (glibc 2.26): wheels up to 2.26 run on both
MAX_GLIBC = (2, 26)
ARCHITECTURES = {"x86_64": "x86_64", "aarch64": "arm64"}
#: what Lambda accepts as a direct upload (larger archives must go through S3)
MAX_DIRECT_UPLOAD = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024


@dataclass
class Archive:
    data: bytes
    files: int
    uncompressed: int
    runtime: str
    architecture: str
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        """Hex sha256 of the archive (what the CLI shows)."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def code_sha256(self) -> str:
        """The same digest as Lambda reports it (``CodeSha256``: base64)."""
        return base64.b64encode(hashlib.sha256(self.data).digest()).decode()

    def describe(self) -> str:
        return (f"{self.files} files, {self.size / 1e6:.1f} MB ({self.uncompressed / 1e6:.1f} MB unzipped), "
                f"{self.runtime} {self.architecture}, sha256 {self.sha256}")


def lambda_platform() -> tuple[str, str]:
    """(runtime, architecture) of the Lambda function this interpreter can build an archive for."""
    if sys.platform != "linux" or platform.machine() not in ARCHITECTURES:
        raise UserError(f"the archive bundles compiled modules for this machine ({sys.platform} {platform.machine()}), "
                        "which AWS Lambda cannot run", field="schedule deploy",
                        fix="run `secure-mlops schedule deploy` on Linux x86_64 or aarch64 (e.g. in CI or CloudShell)")
    if sys.implementation.name != "cpython" or not (3, 10) <= sys.version_info[:2] <= (3, 13):
        raise UserError(f"Python {platform.python_version()} ({sys.implementation.name}) has no AWS Lambda runtime",
                        field="schedule deploy", fix="install secure-mlops with CPython 3.10 to 3.13 (3.11 is tested)")
    return f"python{sys.version_info[0]}.{sys.version_info[1]}", ARCHITECTURES[platform.machine()]


def build_archive() -> Archive:
    """Build the archive (a few seconds) in a fresh interpreter and check it fits Lambda's limits.

    A fresh interpreter because marshal's output depends on the state of the process that
    compiles: whether a shared object such as a one-character string has been interned there
    (seen: the same module compiled in a test session and in a new process differed).
    """
    import json
    import os
    import subprocess
    import tempfile

    runtime, arch = lambda_platform()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory(prefix="secure-mlops-lambda-") as tmp:
        out = Path(tmp) / "function.zip"
        proc = subprocess.run([sys.executable, "-m", __name__, str(out)], env=env, capture_output=True, text=True,
                              check=False)
        try:
            info = json.loads(proc.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise RuntimeError(f"building the Lambda archive failed: {proc.stderr.strip()[-2000:]}") from None
        if "error" in info:
            raise UserError(info["error"], field=info.get("field"), fix=info.get("fix"))
        archive = Archive(data=out.read_bytes(), files=info["files"], uncompressed=info["uncompressed"],
                          runtime=runtime, architecture=arch, versions=info["versions"])
    if archive.size > MAX_DIRECT_UPLOAD or archive.uncompressed > MAX_UNZIPPED:
        raise RuntimeError(f"the Lambda archive is too large ({archive.describe()}); Lambda takes "
                           f"{MAX_DIRECT_UPLOAD // 2**20} MB zipped / {MAX_UNZIPPED // 2**20} MB unzipped")
    return archive


def _write_archive(path: Path) -> dict:
    """In the fresh interpreter: write the archive to `path`, return what it holds."""
    import os
    from importlib import metadata

    from c7n.mu import PythonPackageArchive

    from .. import __version__

    names = _bundled_distributions()
    entries: dict[str, Path] = {}
    for name in names:
        entries.update(_distribution_files(name))
    entries.update(_project_files())
    contents: dict[str, bytes] = {}
    for dest in sorted(entries):
        data = entries[dest].read_bytes()
        contents[dest] = data
        if dest.endswith(".py"):
            pyc = _pyc(data, dest)
            if pyc is not None:
                contents[_cache_path(dest)] = pyc
    zipped = PythonPackageArchive()
    for dest in sorted(contents):
        zipped.add_contents(dest, contents[dest])
    zipped.close()
    Path(path).write_bytes(zipped.get_bytes())
    os.unlink(zipped.path)
    zipped.remove()  # c7n's finalizer would unlink it again
    return {"files": len(contents), "uncompressed": sum(len(v) for v in contents.values()),
            "versions": {"secure-mlops": __version__, **{n: metadata.version(n) for n in sorted(names)}}}


# ------------------------------------------------------------------------------ parts
def _bundled_distributions() -> list[str]:
    from c7n.mu import generate_requirements

    lines = generate_requirements(list(DISTRIBUTIONS), ignore=tuple(NOT_BUNDLED), include_self=True)
    return [line.split("==")[0] for line in lines.splitlines() if line.strip()]


def _glibc_ok(tags: list[str], arch: str) -> bool:
    """Whether a wheel's platform tags include one that runs on Lambda's Amazon Linux for `arch`."""
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    for tag in tags:
        for plat in tag.split("-")[-1].split("."):
            m = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", plat)
            if m and m.group(3) == arch and (int(m.group(1)), int(m.group(2))) <= MAX_GLIBC:
                return True
            name, _, parch = plat.partition("_")
            if name in legacy and parch == arch:
                return True
    return False


def _distribution_files(name: str) -> dict[str, Path]:
    """Archive path -> installed file, for one distribution (botocore's models pruned)."""
    from importlib import metadata

    dist = metadata.distribution(name)
    files: dict[str, Path] = {}
    compiled = False
    for rel in dist.files or ():
        text = str(rel).replace("\\", "/")
        parts = text.split("/")
        if text.startswith("..") or "__pycache__" in parts or text.endswith(".pyc"):
            continue
        if parts[0].endswith(".dist-info") and parts[-1] in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
            continue
        if parts[:2] == ["botocore", "data"] and len(parts) > 3 and parts[2] not in BOTOCORE_SERVICES:
            continue
        compiled = compiled or text.endswith(".so")
        files[text] = Path(rel.locate())
    if compiled:
        machine = platform.machine()
        tags = [v for k, v in _wheel_metadata(dist) if k == "Tag"]
        if not _glibc_ok(tags, machine):
            raise UserError(f"{name} {dist.version} is installed as a wheel for "
                            f"{', '.join(tags) or 'this machine only'}, which may not run on AWS Lambda",
                            field="schedule deploy",
                            fix=f"install a manylinux wheel for glibc <= {MAX_GLIBC[0]}.{MAX_GLIBC[1]} ({machine}): "
                                f"pip install --only-binary :all: --force-reinstall {name}=={dist.version}")
    return files


def _wheel_metadata(dist) -> list[tuple[str, str]]:
    text = dist.read_text("WHEEL") or ""
    return [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in text.splitlines()) if v]


def _project_files() -> dict[str, Path]:
    root = Path(__file__).resolve().parents[1]
    files: dict[str, Path] = {}
    for pattern in PROJECT_FILES:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                files["secure_mlops/" + path.relative_to(root).as_posix()] = path
    return files


def _pyc(source: bytes, dest: str) -> bytes | None:
    """Unchecked-hash bytecode of a module (PEP 552): valid whatever the file's timestamp."""
    import importlib.util
    import marshal
    import warnings

    try:
        with warnings.catch_warnings():  # e.g. invalid escapes: a warning filter set to "error" must not drop a .pyc
            warnings.simplefilter("ignore")
            code = compile(source, dest, "exec", dont_inherit=True, optimize=0)
    except (SyntaxError, ValueError):
        return None  # not importable on this Python anyway
    return (importlib.util.MAGIC_NUMBER + (0b01).to_bytes(4, "little") + importlib.util.source_hash(source)
            + marshal.dumps(code))


def _cache_path(dest: str) -> str:
    """Where the import system looks for the bytecode of `dest` (``dir/__pycache__/x.cpython-311.pyc``)."""
    import importlib.util

    return importlib.util.cache_from_source(dest)


if __name__ == "__main__":  # the fresh interpreter of build_archive()
    import json

    try:
        print(json.dumps(_write_archive(Path(sys.argv[1]))))
    except UserError as exc:
        print(json.dumps({"error": exc.message, "field": exc.field, "fix": exc.fix}))
