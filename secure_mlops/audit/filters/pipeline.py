"""SM-PIPE-01: every Training, Processing, Transform and Tuning step of a pipeline definition
satisfies the job controls, judged by the job controls' own rules.

Each step's ``Arguments`` has the shape of the API request that starts the job
(CreateTrainingJob, CreateProcessingJob, ...), which for the attributes the job rules read is
the shape ``Describe*Job`` returns; so each step is judged as a job of that type by the
rules of ``controls``. Parameter references (``{"Get": "Parameters.X"}``) are replaced by
the parameter's default value; any other expression (a step property, a function) cannot be
known before the pipeline runs, so the value counts as missing: a key that cannot be
verified fails.
"""

from __future__ import annotations

from c7n.filters import Filter
from c7n.utils import type_schema

from ..resources.base import NOT_EVALUATED
from ..resources.sagemaker import Pipeline
from .iam import annotate
from .reuse import NotEvaluable, control_failures

#: step type -> (audit resource type, its id attribute, where the job request is in Arguments)
STEP_TYPES = {
    "Training": ("aws.audit-training-job", "TrainingJobArn", None),
    "Processing": ("aws.audit-processing-job", "ProcessingJobArn", None),
    "Transform": ("aws.audit-transform-job", "TransformJobArn", None),
    "Tuning": ("aws.audit-training-job", "TrainingJobArn", "TrainingJobDefinition"),
}


def walk_steps(steps: list | None):
    """Every step, including those nested in Condition steps."""
    for step in steps or []:
        yield step
        if step.get("Type") == "Condition":
            args = step.get("Arguments") or {}
            yield from walk_steps(args.get("IfSteps"))
            yield from walk_steps(args.get("ElseSteps"))


def resolve(value, defaults: dict, unresolved: list[str], path: str = ""):
    """Replace parameter references by their defaults; other expressions become None."""
    if isinstance(value, dict):
        if set(value) == {"Get"}:
            ref = value["Get"]
            if isinstance(ref, str) and ref.startswith("Parameters."):
                name = ref.split(".", 1)[1]
                if name in defaults and defaults[name] is not None:
                    return defaults[name]
            unresolved.append(f"{path}={ref}")
            return None
        if len(value) == 1 and next(iter(value)).startswith("Std:"):
            unresolved.append(f"{path}={next(iter(value))}")
            return None
        return {k: resolve(v, defaults, unresolved, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, defaults, unresolved, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


@Pipeline.filter_registry.register("steps-fail-controls")
class StepsFailControls(Filter):
    schema = type_schema("steps-fail-controls", required=["controls"],
                         controls={"type": "array", "items": {"type": "string"}})
    reads = ("Definition",)

    def process(self, resources, event=None):
        out = []
        for p in resources:
            definition = p.get("Definition") or {}
            defaults = {prm.get("Name"): prm.get("DefaultValue") for prm in definition.get("Parameters") or []}
            steps, problems = [], []
            by_type: dict[str, list[tuple[str, dict]]] = {}
            for step in walk_steps(definition.get("Steps")):
                kind = STEP_TYPES.get(step.get("Type"))
                if kind is None:
                    continue
                rtype, id_key, inner = kind
                unresolved: list[str] = []
                args = step.get("Arguments") or {}
                job = resolve(args.get(inner) if inner else args, defaults, unresolved) or {}
                job[id_key] = f"{p['PipelineArn']}/step/{step.get('Name')}"
                steps.append({"step": step.get("Name"), "type": step.get("Type"), "unresolved": unresolved})
                by_type.setdefault(rtype, []).append((step.get("Name"), job))
            try:
                for rtype, items in by_type.items():
                    verdicts = control_failures(self.manager, self.data["controls"], rtype, [j for _, j in items])
                    for (name, _), failed in zip(items, verdicts):
                        for s in steps:
                            if s["step"] == name:
                                s["fails"] = failed
                        if failed:
                            problems.append(f"step {name} fails {', '.join(failed)}")
            except NotEvaluable as exc:
                p[NOT_EVALUATED] = str(exc)
                continue
            if not steps and not definition:
                p[NOT_EVALUATED] = "the pipeline definition could not be read"
                continue
            annotate(p, {"steps": steps})
            if problems:
                annotate(p, reasons=problems)
                out.append(p)
        return out
