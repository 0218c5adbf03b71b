"""Remediation modules, found by convention from the catalogue: one per responsive control,
``remediations/<id_in_snake_case>.py`` (``Control.remediation_module``). No other list exists."""

from __future__ import annotations

import importlib
import re
from types import ModuleType

from ..controls import Catalog, Control
from ..errors import UserError

#: what a remediation module must define
REQUIRED = ("CONTROL_ID", "permissions", "CONTAINS_ONLY", "read", "plan", "apply")
#: file names of control modules (helpers have other names)
MODULE_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*_\d\d$")


def module_for(control: Control) -> ModuleType:
    return importlib.import_module(control.remediation_module)


def responsive(catalog: Catalog) -> list[Control]:
    return catalog.with_mode("responsive")


def select_controls(catalog: Catalog, control_ids: str | None) -> list[Control]:
    """The responsive controls to act on: all, or the comma-separated ids given (checked)."""
    controls = responsive(catalog)
    if not control_ids:
        return controls
    wanted = [c.strip().upper() for c in control_ids.split(",") if c.strip()]
    known = {c.id for c in controls}
    bad = [c for c in wanted if c not in known]
    if bad:
        what = "not responsive controls" if all(b in catalog for b in bad) else "unknown control ids"
        raise UserError(f"{what}: {', '.join(bad)}", field="--controls",
                        fix="pick ids from `secure-mlops controls list --mode responsive`")
    return [c for c in controls if c.id in wanted]


def least_privilege_policy(catalog: Catalog) -> dict:
    """The IAM policy `remediate --apply` needs: one statement per responsive control, from the
    permissions its module declares (narrowed by its ``permission_conditions``)."""
    statements = []
    for control in responsive(catalog):
        module = module_for(control)
        conditions = getattr(module, "permission_conditions", {})
        plain = sorted(set(module.permissions) - set(conditions))
        sid = control.id.replace("-", "")
        statements.append({"Sid": sid, "Effect": "Allow", "Action": plain, "Resource": "*"})
        for i, (action, condition) in enumerate(sorted(conditions.items())):
            statements.append({"Sid": f"{sid}Condition{i + 1}", "Effect": "Allow", "Action": [action],
                               "Resource": "*", "Condition": condition})
    return {"Version": "2012-10-17", "Statement": statements}
