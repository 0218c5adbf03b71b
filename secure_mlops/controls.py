"""The control catalogue: one declaration per control, discovered by convention.

Each control is a YAML file ``guardrails/controls/<ID>.yaml`` validated against
``guardrails/control.schema.json``. Everything else finds its part of a control by id:

- preventive: ``guardrails/guard/<ID>.guard`` with tests in ``guardrails/guard/tests/<ID>_tests.yaml``
- detective:  ``rules/<ID>.yml`` (Cloud Custodian policies)
- responsive: ``remediations/<id_in_snake_case>.py``

Nothing else keeps a list of controls.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SEVERITIES = ("info", "low", "medium", "high", "critical")
MODES = ("preventive", "detective", "responsive")

PACKAGE_ROOT = Path(__file__).resolve().parent
GUARDRAILS_DIR = PACKAGE_ROOT / "guardrails"
CONTROLS_DIR = GUARDRAILS_DIR / "controls"
GUARD_DIR = GUARDRAILS_DIR / "guard"
RULES_DIR = PACKAGE_ROOT / "rules"
REMEDIATIONS_DIR = PACKAGE_ROOT / "remediations"


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when PyYAML has it (5x faster)


def severity_rank(severity: str) -> int:
    """Order severities: info < low < medium < high < critical."""
    return SEVERITIES.index(severity.lower())


@dataclass(frozen=True)
class Question:
    id: str
    area: str
    text: str


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    severity: str
    questions: tuple[str, ...]
    modes: tuple[str, ...]
    resources: tuple[str, ...]
    pass_when: str
    remediation: str
    responsive: str | None = None
    anchors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: template gate: resource types its rule reports on (default: the AWS:: types in `resources`)
    gate_scope: tuple[str, ...] = ()
    #: template gate: environment context the rule needs (stage, internet_free, environment)
    gate_context: tuple[str, ...] = ()

    # -- where the parts of this control live, by convention --------------------------
    @property
    def guard_rule_path(self) -> Path:
        return GUARD_DIR / f"{self.id}.guard"

    @property
    def guard_tests_path(self) -> Path:
        return GUARD_DIR / "tests" / f"{self.id}_tests.yaml"

    @property
    def policy_path(self) -> Path:
        return RULES_DIR / f"{self.id}.yml"

    @property
    def remediation_module(self) -> str:
        return f"secure_mlops.remediations.{self.id.lower().replace('-', '_')}"

    @property
    def guard_rule_name(self) -> str:
        """The rule name inside the .guard file: the id with '-' replaced by '_'."""
        return self.id.replace("-", "_")

    def has_mode(self, mode: str) -> bool:
        return mode in self.modes

    def to_dict(self) -> dict:
        d = {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "questions": list(self.questions),
            "modes": list(self.modes),
            "resources": list(self.resources),
            "pass_when": self.pass_when,
            "remediation": self.remediation,
        }
        if self.responsive:
            d["responsive"] = self.responsive
        if self.anchors:
            d["anchors"] = {k: list(v) for k, v in self.anchors.items()}
        if self.gate_scope:
            d["gate_scope"] = list(self.gate_scope)
        if self.gate_context:
            d["gate_context"] = list(self.gate_context)
        return d


class CatalogError(Exception):
    """A control declaration is invalid (names the file and the field)."""


@dataclass(frozen=True)
class Catalog:
    controls: dict[str, Control]
    questions: dict[str, Question]

    def __iter__(self):
        return iter(self.controls.values())

    def __len__(self) -> int:
        return len(self.controls)

    def __contains__(self, control_id: str) -> bool:
        return control_id in self.controls

    def get(self, control_id: str) -> Control:
        try:
            return self.controls[control_id]
        except KeyError:
            raise KeyError(
                f"unknown control id {control_id!r}; `secure-mlops controls list` shows the ids"
            ) from None

    def with_mode(self, mode: str) -> list[Control]:
        return [c for c in self if mode in c.modes]

    def select(self, mode: str, control_ids: str | None) -> list[Control]:
        """The `mode` controls a command acts on: all, or the comma-separated ids given
        (``--controls``; an unknown id or one of another mode is a UserError)."""
        from .errors import UserError

        controls = self.with_mode(mode)
        if not control_ids:
            return controls
        wanted = [c.strip().upper() for c in control_ids.split(",") if c.strip()]
        known = {c.id for c in controls}
        bad = [c for c in wanted if c not in known]
        if bad:
            what = f"not {mode} controls" if all(b in self for b in bad) else "unknown control ids"
            raise UserError(f"{what}: {', '.join(bad)}", field="--controls",
                            fix=f"pick ids from `secure-mlops controls list --mode {mode}`")
        return [c for c in controls if c.id in wanted]

    def for_question(self, question_id: str) -> list[Control]:
        return [c for c in self if question_id in c.questions]

    def by_anchor(self, tool: str, anchor_id: str) -> list[Control]:
        return [c for c in self if anchor_id in c.anchors.get(tool, ())]

    def filter(
        self,
        mode: str | None = None,
        question: str | None = None,
        severity: str | None = None,
    ) -> list[Control]:
        out = list(self)
        if mode:
            out = [c for c in out if mode in c.modes]
        if question:
            out = [c for c in out if question in c.questions]
        if severity:
            out = [c for c in out if severity_rank(c.severity) >= severity_rank(severity)]
        return out


def _schema() -> dict:
    return json.loads((GUARDRAILS_DIR / "control.schema.json").read_text())


def _load_control(path: Path, validator) -> Control:
    try:
        data = yaml.load(path.read_text(), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML: {exc}") from exc
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.path) or "(top level)"
        raise CatalogError(f"{path}: field {where}: {e.message}")
    if path.stem != data["id"]:
        raise CatalogError(f"{path}: field id: {data['id']!r} must match the file name {path.stem!r}")
    return Control(
        id=data["id"],
        title=data["title"],
        severity=data["severity"],
        questions=tuple(data["questions"]),
        modes=tuple(data["modes"]),
        resources=tuple(data["resources"]),
        pass_when=data["pass_when"],
        remediation=data["remediation"],
        responsive=data.get("responsive"),
        anchors={k: tuple(v) for k, v in (data.get("anchors") or {}).items()},
        gate_scope=tuple(data.get("gate_scope") or ()),
        gate_context=tuple(data.get("gate_context") or ()),
    )


@functools.lru_cache(maxsize=None)
def load_catalog(controls_dir: Path | None = None) -> Catalog:
    """Load every control declaration (cached). Raises CatalogError on an invalid file."""
    import jsonschema

    controls_dir = controls_dir or CONTROLS_DIR
    validator = jsonschema.Draft202012Validator(_schema())
    controls: dict[str, Control] = {}
    for path in sorted(controls_dir.glob("*.yaml")):
        control = _load_control(path, validator)
        if control.id in controls:
            raise CatalogError(f"{path}: field id: duplicate control id {control.id}")
        controls[control.id] = control
    qdata = yaml.load((GUARDRAILS_DIR / "questions.yaml").read_text(), Loader=_LOADER)["questions"]
    questions = {q["id"]: Question(q["id"], q["area"], q["text"]) for q in qdata}
    for control in controls.values():
        for q in control.questions:
            if q not in questions:
                raise CatalogError(
                    f"{controls_dir / (control.id + '.yaml')}: field questions: unknown question id {q!r}"
                )
    return Catalog(controls=controls, questions=questions)

