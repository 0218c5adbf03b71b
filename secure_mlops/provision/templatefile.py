"""Read a CloudFormation template (JSON or YAML with short-form intrinsics) into plain data.

The deployer needs only the structure (parameters and their defaults, resources, deletion
policies, which parameters a resource refers to); short forms such as ``!Ref X`` become their
long forms (``{"Ref": "X"}``), ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from ..errors import UserError

#: CloudFormation's limit for a template passed inline (TemplateBody), in bytes
MAX_BODY_BYTES = 51_200


@functools.lru_cache(maxsize=1)
def _loader():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader, tag_suffix, node):
        name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag_suffix == "GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    Loader.add_multi_constructor("!", construct)
    return Loader


def parse(text: str, path: Path | str = "<template>") -> dict[str, Any]:
    import yaml

    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=_loader())  # noqa: S506
    except (ValueError, yaml.YAMLError) as exc:
        raise UserError(f"the template does not parse: {exc}", file=str(path),
                        fix="correct the template syntax (check it with `secure-mlops gate`)") from None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise UserError("the template has no Resources section", file=str(path), field="Resources",
                        fix="give the template at least one resource")
    return data


def load(path: Path) -> tuple[str, dict[str, Any]]:
    """(text, parsed template) of a template file."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise UserError(f"cannot read the template: {exc.strerror}", file=str(path)) from None
    return text, parse(text, path)


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name, decl in (template.get("Parameters") or {}).items():
        if isinstance(decl, dict) and "Default" in decl:
            default = decl["Default"]
            out[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
    return out


def referenced_parameters(template: dict[str, Any], logical_id: str) -> list[str]:
    """Template parameters a resource refers to with Ref (directly or inside other intrinsics)."""
    params = set((template.get("Parameters") or {}).keys())
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("Ref")
            if isinstance(ref, str) and ref in params and ref not in found:
                found.append(ref)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and "${" in node:
            for name in params:
                if "${" + name + "}" in node and name not in found:
                    found.append(name)

    walk((template.get("Resources") or {}).get(logical_id, {}).get("Properties", {}))
    return found
