"""SageMaker pipeline definitions: read them and bring every job step into a checkable form.

A definition (``{"Version": ..., "Parameters": [...], "Steps": [...]}``) comes from
``AWS::SageMaker::Pipeline`` (``PipelineDefinition.PipelineDefinitionBody`` as an object or
a JSON string, or ``PipelineDefinitionS3Location`` when that file is among the gated files)
or from a standalone definition file. Steps nested in Condition steps are included.

Pipeline parameters (``{"Get": "Parameters.X"}``) are replaced by their ``DefaultValue``;
``Std:Join`` is evaluated; values only known at run time (``{"Get": "Steps...."}``,
``Execution`` properties, parameters without a default) become ``{"Unresolved": "<why>"}``.
"""

from __future__ import annotations

import json
from typing import Any

JOB_STEP_TYPES = ("Training", "Processing", "Transform", "Tuning", "RegisterModel")


def is_definition(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("Steps"), list) and "Resources" not in data


def parse_body(body: Any) -> tuple[dict | None, str | None]:
    if isinstance(body, dict) and "Unresolved" in body:
        return None, str(body["Unresolved"])
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as exc:
            return None, f"the pipeline definition is not JSON (line {exc.lineno}: {exc.msg})"
    if not is_definition(body):
        return None, "the pipeline definition has no Steps list"
    return body, None


def _defaults(defn: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in defn.get("Parameters") or []:
        if isinstance(p, dict) and "Name" in p:
            if "DefaultValue" in p:
                out[p["Name"]] = p["DefaultValue"]
            else:
                out[p["Name"]] = {"Unresolved": f"pipeline parameter {p['Name']} has no DefaultValue"}
    return out


def _resolve(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Get"} and isinstance(value["Get"], str):
            ref = value["Get"]
            if ref.startswith("Parameters."):
                name = ref.split(".", 1)[1]
                return params.get(name, {"Unresolved": f"pipeline parameter {name} is not declared"})
            return {"Unresolved": f"{ref} is known only when the pipeline runs"}
        if set(value) == {"Std:Join"} and isinstance(value["Std:Join"], dict):
            on = value["Std:Join"].get("On", "")
            parts = [_resolve(v, params) for v in value["Std:Join"].get("Values", [])]
            if all(isinstance(p, (str, int, float)) for p in parts):
                return str(on).join(str(p) for p in parts)
            return {"Unresolved": "Std:Join of values known only when the pipeline runs"}
        return {k: _resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params) for v in value]
    return value


def _flatten(steps: Any, path: tuple) -> list[tuple[tuple, dict]]:
    out = []
    for i, step in enumerate(steps or []):
        if not isinstance(step, dict):
            continue
        out.append((path + (i,), step))
        if step.get("Type") == "Condition" and isinstance(step.get("Arguments"), dict):
            for branch in ("IfSteps", "ElseSteps"):
                out += _flatten(step["Arguments"].get(branch), path + (i, "Arguments", branch))
    return out


def job_steps(defn: dict) -> list[dict]:
    """Every job step, with parameters resolved: [{Name, Type, Arguments, SourcePath}]."""
    params = _defaults(defn)
    out = []
    for src_path, step in _flatten(defn.get("Steps"), ("Steps",)):
        if step.get("Type") not in JOB_STEP_TYPES:
            continue
        out.append({
            "Name": step.get("Name"),
            "Type": step.get("Type"),
            "Arguments": _resolve(step.get("Arguments") or {}, params),
            "SourcePath": list(src_path),
        })
    return out
