"""The deployer's view of a CloudFormation template file (read by ``secure_mlops.cfn_template``).

The deployer needs only the structure (parameters and their defaults, resources, deletion
policies, which parameters a resource refers to); a template that does not parse is bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UserError

#: CloudFormation's limit for a template passed inline (TemplateBody), in bytes
MAX_BODY_BYTES = 51_200


def parse(text: str, path: Path | str = "<template>") -> dict[str, Any]:
    from ..cfn_template import NotATemplate, TemplateParseError, parse as parse_template

    try:
        return parse_template(text, path)
    except NotATemplate:
        raise UserError("the template has no Resources section", file=str(path), field="Resources",
                        fix="give the template at least one resource") from None
    except TemplateParseError as exc:
        raise UserError(f"the template does not parse: line {exc.line}, column {exc.column}: {exc.message}",
                        file=str(path), fix="correct the template syntax (check it with `secure-mlops gate`)") from None


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
