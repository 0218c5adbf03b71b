"""The detective controls' Cloud Custodian policies: ``rules/<ID>.yml``, one file per control.

A rule file is a c7n policy file whose policies say which resources FAIL the control
(``filters``). Each policy's ``metadata`` completes the verdict:

- ``violation`` (required): what is wrong with a resource the filters match, as the end of a
  sentence that starts with the resource ("has no active flow log"). A FAIL finding's message
  is that one sentence, naming the resource, with the values that decided ("Bucket b is not
  encrypted by default with a KMS key: DefaultEncryption.SSEAlgorithm is 'AES256'.").
  ``{variable}`` is replaced by the environment's value (``{model_package_group_name}``).
- ``scope``: c7n filters selecting the resources the control applies to (default: every
  resource of the type). Every resource in scope and not matched by ``filters`` PASSES. A
  resource that could not be described at all is judged (ERROR) by every policy of its type,
  whatever the scope says: whether it is in scope is unknown (``runner._unscoped``).
- ``applies-when``: environment context values the control applies under
  (``{stage: prod}``, ``{internet_free: true}``); otherwise it has nothing to evaluate.
- ``evidence``: more attributes to record as evidence: attribute names (``IpPermissions``), or
  ``{Name: JMESPath}`` to record a computed value under a name. Evidence keys are always
  attribute names: a value filter whose key is an expression records the attributes it reads.

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
#: an attribute name, or a dotted path of attribute names (what evidence keys may be)
ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


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
    evidence: tuple = ()  # (name, JMESPath) pairs
    violation: str = ""
    path: str = ""

    @property
    def variables(self) -> set[str]:
        """Names of the variables the policy refers to (``{name}`` in any string)."""
        return self.selection_variables | set(_VAR.findall(self.violation)) | set(self.applies_when)

    @property
    def selection_variables(self) -> set[str]:
        """The variables its scope and filters use (without them no resource can be selected)."""
        return set(_VAR.findall(json.dumps([self.filters, self.scope])))

    def violation_text(self, variables: dict[str, Any]) -> str:
        """``violation`` with the environment's values in place of ``{name}``."""
        def value(m):
            v = variables.get(m.group(1))
            return str(v) if isinstance(v, (str, int)) else m.group(0)

        return _VAR.sub(value, self.violation)

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
        meta = p["metadata"]
        evidence = meta.get("evidence") or []
        pairs = tuple((e, e) for e in evidence) if isinstance(evidence, list) else tuple(evidence.items())
        for name, _ in pairs:
            if not ATTRIBUTE.match(name):
                raise RuleError(f"{path}: field policies/{i}/metadata/evidence: {name!r} is not an attribute name; "
                                f"record an expression under a name: evidence: {{Name: {name!r}}}")
        out.append(RulePolicy(control_id=control_id, name=p["name"], resource=p["resource"],
                              description=p["description"], filters=p["filters"],
                              scope=meta.get("scope") or [], applies_when=meta.get("applies-when") or {},
                              evidence=pairs, violation=meta["violation"].strip(), path=str(path)))
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
