"""Load CloudFormation templates (YAML with short-form intrinsics, or JSON) into plain data.

``!Ref X`` becomes ``{"Ref": "X"}``, ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}``
and every other ``!Name`` becomes ``{"Fn::Name": value}``, as CloudFormation reads them.
"""

from __future__ import annotations

from typing import Any


def _loader():
    import yaml

    class CfnLoader(yaml.SafeLoader):
        pass

    def construct(loader, tag_suffix, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if tag_suffix == "Ref":
            return {"Ref": value}
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        if tag_suffix == "Condition":
            return {"Condition": value}
        return {f"Fn::{tag_suffix}": value}

    CfnLoader.add_multi_constructor("!", construct)
    # CloudFormation keeps timestamps and dates in templates as strings
    CfnLoader.yaml_implicit_resolvers = {
        key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return CfnLoader


def load_template(body: Any) -> dict:
    """Parse a template body (str in YAML or JSON, or an already parsed dict)."""
    if isinstance(body, dict):
        return body
    import yaml

    data = yaml.load(body, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise ValueError("not a CloudFormation template (no Resources mapping)")
    return data
