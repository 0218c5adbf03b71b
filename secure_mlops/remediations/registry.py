"""Remediation modules, found by convention from the catalogue: one per responsive control,
``remediations/<id_in_snake_case>.py`` (``Control.remediation_module``). No other list exists."""

from __future__ import annotations

import importlib
import re
from types import ModuleType

from ..controls import Catalog, Control

#: what a remediation module must define
REQUIRED = ("CONTROL_ID", "permissions", "CONTAINS_ONLY", "read", "plan", "apply")
#: file names of control modules (helpers have other names)
MODULE_NAME = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*_\d\d$")


def module_for(control: Control) -> ModuleType:
    return importlib.import_module(control.remediation_module)


def responsive(catalog: Catalog) -> list[Control]:
    return catalog.with_mode("responsive")


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
