"""Run the detective controls' policies against one account and region.

For every policy of every selected control the runner asks c7n for the resources in the
policy's scope (``metadata.scope``) and for those its ``filters`` match; both come from the
run's shared cache, so each resource type is listed and described once. Every resource in
scope yields PASS or FAIL, or ERROR when something the verdict depends on could not be read.
Policies run concurrently; one that fails (access denied, an API the target lacks) yields
ERROR for its control and the others go on.
"""

from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import dataclass
from typing import Any, Callable

from ..controls import Control
from ..envcontext import PARAMETERS
from ..findings import Finding, Source, Status
from .context import ENV_VARIABLES, AuditContext
from .rules import RulePolicy, load_rule, validate_with_c7n

MAX_WORKERS = 8

_setup_lock = threading.Lock()
_setup_done = False


def setup() -> None:
    """Load c7n's stock types the rules use, register ours, route c7n's cache (idempotent)."""
    global _setup_done
    with _setup_lock:
        if _setup_done:
            return
        import logging

        from c7n.resources import load_resources

        from . import cache
        from .resources import STOCK_TYPES

        load_resources(STOCK_TYPES)
        from . import filters  # noqa: F401 - registers the custom filters
        from . import resources  # noqa: F401

        cache.install()
        # c7n logs every skipped resource and retry at WARNING; the findings say what matters
        logging.getLogger("custodian").setLevel(logging.ERROR)
        _setup_done = True


@dataclass
class Job:
    control: Control
    rule: RulePolicy
    variables: dict[str, Any]
    env: str | None = None
    not_evaluated: str | None = None
    #: the missing context decides only the verdict (applies-when), not which resources are in
    #: scope: list them, each ERROR (none in scope: nothing to report)
    per_resource: bool = False


def plan(controls: list[Control], actx: AuditContext) -> list[Job]:
    """One job per policy, or per policy and environment when the policy uses the context."""
    base = actx.account_variables()
    jobs: list[Job] = []
    for control in controls:
        for rule in load_rule(control):
            needs = rule.variables & ENV_VARIABLES
            if not needs:
                jobs.append(Job(control, rule, dict(base)))
                continue
            if not actx.environments:
                decisive = (rule.selection_variables | set(rule.applies_when)) & ENV_VARIABLES or needs
                jobs.append(Job(control, rule, dict(base), not_evaluated=actx.missing_reason(decisive),
                                per_resource=not (rule.selection_variables & ENV_VARIABLES)))
                continue
            for env in actx.environments:
                variables = {**base, **actx.environment_variables(env)}
                missing = sorted(needs - set(variables))
                reason = None
                if missing:
                    reason = (f"not evaluated: environment {env.name!r} does not publish "
                              + ", ".join(_parameter_of(m, env.name) for m in missing))
                jobs.append(Job(control, rule, variables, env=env.name, not_evaluated=reason,
                                per_resource=not (rule.selection_variables & set(missing))))
    return jobs


_DERIVED = {"env_buckets": ("data-bucket", "model-bucket"),
            "persona_role_arns": ("data-scientist-role-arn", "team-admin-role-arn"),
            "execution_role_arns": ("sagemaker-execution-role-arn",),
            "sagemaker_role_arns": ("data-scientist-role-arn", "team-admin-role-arn", "sagemaker-execution-role-arn"),
            "data_scientist_and_execution_role_arns": ("data-scientist-role-arn", "sagemaker-execution-role-arn"),
            "target_accounts": ("staging-accounts", "production-accounts")}


def _parameter_of(var: str, env: str) -> str:
    keys = _DERIVED.get(var) or ((var.replace("_", "-"),) if var.replace("_", "-") in PARAMETERS else (var,))
    return " and ".join(f"/secure-mlops/{env}/{k}" for k in keys)


class AccountRegionAudit:
    """The c7n set-up of one account-region: options, session factory, shared cache."""

    def __init__(self, session, account: str, region: str, stats, variables: dict[str, Any]):
        from c7n.config import Config

        from .cache import RUN_CACHE_KEY, RunCache
        from .filters.reuse import VARIABLES_KEY
        from .sessions import SessionFactory

        setup()
        self.account, self.region, self.stats = account, region, stats
        self.factory = SessionFactory(session, region, account, stats)
        # account-level variables, for filters that apply another control's rule (filters/reuse.py)
        self.options = Config.empty(region=region, regions=[region], account_id=account, cache="",
                                    cache_period=0, output_dir="",
                                    **{RUN_CACHE_KEY: RunCache(), VARIABLES_KEY: dict(variables)})

    def policy(self, rule: RulePolicy, filters: list, variables: dict[str, Any], env: str | None = None):
        from c7n.policy import Policy

        data = rule.c7n_data(filters)
        if env:
            data["environment"] = env  # read by aws.audit-account (the environment is the resource)
        p = Policy(data, self.options, session_factory=self.factory)
        p.expand_variables(p.get_variables(dict(variables)))
        return p

    def _unscoped(self, job: Job, scope_mgr, applicable: list[dict]) -> list[dict]:
        """Resources that could not be described at all (``ERRORS["*"]``) and so fell out of the
        scope: whether they are in it is unknown, so they are judged (ERROR), never skipped."""
        from .resources.base import ERRORS

        key = scope_mgr.get_model().id
        seen = {r.get(key) for r in applicable}
        everything = self.policy(job.rule, [], job.variables, job.env).resource_manager.resources()
        return [r for r in everything if "*" in (r.get(ERRORS) or {}) and r.get(key) not in seen]

    def run(self, job: Job) -> list[Finding]:
        from .resources.base import error_text
        from .verdicts import error_finding, judge, undecided

        label = f"{self.account}/{self.region}/{job.rule.name}" + (f"[{job.env}]" if job.env else "")
        with self.stats.timing(label):
            if job.not_evaluated and not job.per_resource:
                return [error_finding(job, self.account, self.region, job.not_evaluated)]
            if not job.not_evaluated and not _applies(job):
                return []
            try:
                if job.not_evaluated:
                    scope = self.policy(job.rule, job.rule.scope, job.variables, job.env)
                    return undecided(job, self.account, self.region, scope.resource_manager,
                                     scope.resource_manager.resources(), job.not_evaluated)
                scope = self.policy(job.rule, job.rule.scope, job.variables, job.env)
                check = self.policy(job.rule, job.rule.filters, job.variables, job.env)
                applicable = scope.resource_manager.resources()
                if job.rule.scope:
                    applicable += self._unscoped(job, scope.resource_manager, applicable)
                failed = check.resource_manager.filter_resources(list(applicable)) if applicable else []
                return judge(job, self.account, self.region, scope.resource_manager, check.resource_manager,
                             applicable, failed)
            except Exception as exc:  # noqa: BLE001 - any failure of one policy is that control's ERROR
                return [error_finding(job, self.account, self.region, f"not evaluated: {error_text(exc)}")]


def _applies(job: Job) -> bool:
    for key, wanted in job.rule.applies_when.items():
        if job.variables.get(key) != wanted:
            return False
    return True


def audit_account_region(session, account: str, region: str, controls: list[Control], actx: AuditContext,
                         stats, on_done: Callable[[int, int], None] | None = None,
                         max_workers: int = MAX_WORKERS) -> list[Finding]:
    """Every policy of `controls` against one account-region; findings merged per resource."""
    from .verdicts import merge

    run = AccountRegionAudit(session, account, region, stats, actx.account_variables())
    jobs = plan(controls, actx)
    # policies of one resource type next to each other: the first lists, the others wait for it
    jobs.sort(key=lambda j: (j.rule.resource, j.rule.name))
    findings: list[Finding] = []
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as pool:
        for result in pool.map(run.run, jobs):
            findings.extend(result)
            done += 1
            if on_done:
                on_done(done, len(jobs))
    return merge(findings)


def check_rules(controls: list[Control]) -> None:
    """Load and validate every rule file with c7n, without any AWS call (raises RuleError)."""
    from c7n.config import Config

    setup()
    options = Config.empty(region="us-east-1", account_id="000000000000")
    for control in controls:
        for rule in load_rule(control):
            validate_with_c7n(rule, options, session_factory=lambda *a, **k: None)


def not_evaluated_findings(controls: list[Control], account: str, region: str, reason: str) -> list[Finding]:
    """ERROR for every control when a whole account-region could not be audited."""
    out = []
    for c in controls:
        out.append(Finding(control_id=c.id, status=Status.ERROR, severity=c.severity, questions=list(c.questions),
                           source=Source.LIVE, resource_type="AWS::Account", resource_id=f"{account}/{region}",
                           message=f"not evaluated: {reason}", account=account, region=region,
                           resource_arn=f"arn:aws:iam::{account}:root", evidence={}))
    return out
