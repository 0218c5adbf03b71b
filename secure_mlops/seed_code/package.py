"""Package the seed code and the MLOps project templates for an environment.

- ``seed_archive(name)``: the zip a project's CodeCommit repository starts from
  (``model-build-train`` or ``model-deploy``), deterministic (fixed timestamps, sorted), so the
  same code gives the same bytes and an unchanged upload is recognised.
- ``project_template(name, env_name, defaults)``: a project template with its defaults pointed at
  one environment's SSM parameters (``/secure-mlops/<env>/...``) and, for the Service Catalog
  product an environment offers, the defaults a launch from Studio needs (``defaults``: the seed
  code's bucket and key, the project and CloudFormation roles), since Studio passes only
  ``SageMakerProjectName`` and ``SageMakerProjectId``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = {
    "model-build-train": HERE / "model_build_train",
    "model-deploy": HERE / "model_deploy",
}
PROJECT_TEMPLATES = {
    "model-build-train": HERE / "project_templates" / "model-build-train.yaml",
    "model-deploy": HERE / "project_templates" / "model-deploy.yaml",
}
#: files of the tool the build seed needs when it runs outside the package (vendored copies)
VENDORED = {
    "pipelines/envcontext.py": HERE.parent / "envcontext.py",
    "pipelines/sagemaker_images.py": HERE.parent / "sagemaker_images.py",
}
TEMPLATE_ENV = "ds-team-dev"  # the environment name the shipped templates default to
_EPOCH = (2020, 1, 1, 0, 0, 0)


def _files(name: str) -> dict[str, bytes]:
    root = SEEDS[name]
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir() or "__pycache__" in rel or rel == "__init__.py":
            continue
        files[rel] = path.read_bytes()
    if name == "model-build-train":
        for rel, src in VENDORED.items():
            files[rel] = src.read_bytes()
        for data in ("abalone.data", "LICENSE", "README.md"):
            files[f"data/abalone/{data}"] = (HERE / "data" / "abalone" / data).read_bytes()
    return files


def seed_archive(name: str) -> bytes:
    """The seed repository of project `name` as zip bytes."""
    if name not in SEEDS:
        raise KeyError(f"unknown seed code {name!r}; known: {', '.join(SEEDS)}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in sorted(_files(name).items()):
            info = zipfile.ZipInfo(rel, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def project_template(name: str, env_name: str, defaults: dict[str, str] | None = None) -> str:
    """Template text of project `name` with its defaults pointed at environment `env_name`.

    `defaults` ({parameter: value}) sets the Default of parameters the template declares (a
    KeyError names one it does not declare); the rest of the text is kept as written.
    """
    if name not in PROJECT_TEMPLATES:
        raise KeyError(f"unknown project template {name!r}; known: {', '.join(PROJECT_TEMPLATES)}")
    text = PROJECT_TEMPLATES[name].read_text()
    text = (text.replace(f"/secure-mlops/{TEMPLATE_ENV}/", f"/secure-mlops/{env_name}/")
                .replace(f"Default: {TEMPLATE_ENV}\n", f"Default: {env_name}\n"))
    for parameter, value in (defaults or {}).items():
        text = set_default(text, parameter, value)
    return text


_TOP_LEVEL = re.compile(r"^[A-Za-z]")


def set_default(text: str, parameter: str, value: str) -> str:
    """Set (or replace) the Default of `parameter` in a template's block-style Parameters section."""
    lines = text.splitlines(keepends=True)
    try:
        start = lines.index("Parameters:\n")
    except ValueError:
        raise KeyError(f"the template has no Parameters section (looking for {parameter})") from None
    head = next((i for i in range(start + 1, len(lines))
                 if _TOP_LEVEL.match(lines[i]) or lines[i] == f"  {parameter}:\n"), None)
    if head is None or lines[head] != f"  {parameter}:\n":
        raise KeyError(f"the template declares no parameter {parameter} (in block style)")
    end = head + 1
    while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
        end += 1
    block = lines[head + 1:end]
    entry = f"    Default: {json.dumps(value)}\n"  # a JSON string is a YAML double-quoted scalar
    at = next((i for i, line in enumerate(block) if line.startswith("    Default:")), None)
    if at is not None:
        block[at] = entry
    else:
        at = next((i for i, line in enumerate(block) if line.startswith("    Type:")), -1)
        block.insert(at + 1, entry)
    return "".join(lines[:head + 1] + block + lines[end:])
