"""Judging resources with another control's rule, and expanding policy variables.

Some verdicts are other controls applied elsewhere: a pipeline's artifact bucket must pass
S3-01..03 (ART-03), each step of a SageMaker pipeline must pass SM-JOB-01..04 as if it were
a job (SM-PIPE-01). Rather than restating those rules, the filters here load the other
control's rule file and run its scope and filters through c7n on the given resources.
"""

from __future__ import annotations

import functools
from typing import Any

#: the key of the c7n options carrying the run's account-level variables
VARIABLES_KEY = "secure_mlops_variables"


class NotEvaluable(Exception):
    """The other control needs context this run does not have."""


def expand(data: Any, variables: dict[str, Any]) -> Any:
    """c7n's variable expansion ({name} → value, keeping lists as lists) over any structure."""
    from c7n.utils import format_string_values
    from c7n.varfmt import VarFormat

    return format_string_values(data, formatter=VarFormat().format, **variables)


@functools.lru_cache(maxsize=None)
def rules_for(control_id: str):
    from ...controls import load_catalog
    from ..rules import load_rule

    return tuple(load_rule(load_catalog().get(control_id)))


def run_variables(manager) -> dict[str, Any]:
    cfg = manager.config
    return {"account_id": cfg.account_id, "region": cfg.region, **(cfg.get(VARIABLES_KEY) or {})}


def control_failures(manager, control_ids, resource_type: str, resources: list[dict]) -> list[list[str]]:
    """For each resource (same order), the ids of the controls it fails, judged by their rules.

    Only the rules' policies for `resource_type` apply; a resource outside a policy's scope
    does not fail it. Raises NotEvaluable when a rule needs environment context.
    """
    from ..context import ENV_VARIABLES

    variables = run_variables(manager)
    failures: list[list[str]] = [[] for _ in resources]
    for cid in control_ids:
        for rule in rules_for(cid):
            if rule.resource != resource_type:
                continue
            missing = (rule.variables & ENV_VARIABLES) - set(variables)
            if missing:
                raise NotEvaluable(f"{cid} needs the environment's {', '.join(sorted(missing))}")
            copies = []
            for i, r in enumerate(resources):
                c = dict(r)
                c["audit:index"] = i
                copies.append(c)
            if rule.scope:
                scope = manager.get_resource_manager(resource_type, {"filters": expand(rule.scope, variables)})
                copies = scope.filter_resources(copies)
            if not copies:
                continue
            check = manager.get_resource_manager(resource_type, {"filters": expand(rule.filters, variables)})
            for c in check.filter_resources(copies):
                if cid not in failures[c["audit:index"]]:
                    failures[c["audit:index"]].append(cid)
    return failures
