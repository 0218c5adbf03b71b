"""The detective controls' Cloud Custodian policies: ``rules/<ID>.yml``, one file per control.

A rule file is a c7n policy file whose policies say which resources FAIL the control
(``filters``). Two optional fields in each policy's ``metadata`` complete the verdict:

- ``scope``: c7n filters selecting the resources the control applies to (default: every
  resource of the type). Every resource in scope and not matched by ``filters`` PASSES.
- ``applies-when``: environment context values the control applies under
  (``{stage: prod}``, ``{internet_free: true}``); otherwise it has nothing to evaluate.
- ``evidence``: attributes (JMESPath) to record as evidence when the filters are c7n's own
  and record none (value filters and the audit's custom filters always do).

Policies may use the environment's context as c7n variables (``{data_bucket}``,
``{vpc_id}``, ...; see ``context.py``). The file is validated against ``rule.schema.json``
and by c7n itself (every filter parses and validates) when it is loaded.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..controls import Control

_VAR = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class RuleError(Exception):
    """A rule file is invalid (names the file, the field and the problem)."""


@dataclass(frozen=True)
class RulePolicy:
    control_id: str
    name: str
    resource: str
    description: str
    filters: list
    scope: list = field(default_factory=list)
    applies_when: dict = field(default_factory=dict)
    evidence: tuple = ()
    path: str = ""

    @property
    def variables(self) -> set[str]:
        """Names of the variables the policy refers to (``{name}`` in any string)."""
        text = json.dumps([self.filters, self.scope])
        return set(_VAR.findall(text)) | set(self.applies_when)

    def c7n_data(self, filters: list | None = None) -> dict[str, Any]:
        """A c7n policy (a deep copy: c7n may change the data it is given)."""
        return copy.deepcopy({"name": self.name, "resource": self.resource, "description": self.description,
                              "filters": list(self.filters if filters is None else filters)})


@functools.lru_cache(maxsize=None)
def _schema() -> dict:
    return json.loads((Path(__file__).parent / "rule.schema.json").read_text())


def load_rule(control: Control) -> list[RulePolicy]:
    """Read and check the rule file of one detective control."""
    path = control.policy_path
    if not path.exists():
        raise RuleError(f"{path}: missing: detective control {control.id} needs a Custodian policy file")
    stat = path.stat()
    return list(_load(control.id, str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _load(control_id: str, path_text: str, _mtime: int, _size: int) -> tuple[RulePolicy, ...]:
    """Parse one rule file (cached while the file is unchanged)."""
    import jsonschema

    path = Path(path_text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML: {exc}") from None
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.path) or "(top level)"
        raise RuleError(f"{path}: field {where}: {e.message}")
    prefix = control_id.lower() + "-"
    out = []
    for i, p in enumerate(data["policies"]):
        if not p["name"].startswith(prefix):
            raise RuleError(f"{path}: field policies/{i}/name: {p['name']!r} must start with {prefix!r}")
        meta = p.get("metadata") or {}
        out.append(RulePolicy(control_id=control_id, name=p["name"], resource=p["resource"],
                              description=p["description"], filters=p["filters"],
                              scope=meta.get("scope") or [], applies_when=meta.get("applies-when") or {},
                              evidence=tuple(meta.get("evidence") or ()), path=str(path)))
    return tuple(out)


def validate_with_c7n(rule: RulePolicy, options, session_factory) -> None:
    """Parse and validate the policy's scope and filters with c7n (raises RuleError)."""
    from c7n.exceptions import PolicyValidationError
    from c7n.policy import Policy

    for label, filters in (("metadata/scope", rule.scope), ("filters", rule.filters)):
        if not filters and label == "metadata/scope":
            continue
        try:
            Policy(rule.c7n_data(filters), options, session_factory=session_factory).validate()
        except (PolicyValidationError, KeyError, ValueError, AssertionError) as exc:
            raise RuleError(f"{rule.path}: policy {rule.name}: field {label}: {exc}") from None
