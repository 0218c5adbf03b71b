"""The live audit: detective controls as Cloud Custodian policies, run in-process with c7n.

- ``rules.py``: reads ``rules/<ID>.yml`` (one file per detective control)
- ``context.py``: the environment's context (SSM parameters, ``-c CONFIG``) as c7n variables
- ``runner.py``: runs the policies of one account-region concurrently over a shared cache
- ``verdicts.py``: c7n's matches → PASS / FAIL / ERROR per resource, with evidence
- ``cache.py``, ``sessions.py``, ``stats.py``: the shared cache, sessions for c7n, call counts
- ``resources/``: lean c7n resource types (``aws.audit-*``); ``filters/``: custom filters
- ``accounts.py``: ``--accounts FILE`` (c7n-org format), many account-regions in parallel
- ``audit.py``: ``run_audit(target, controls, ...)``; ``command.py``: the CLI command

Heavy imports (c7n, boto3) happen inside functions: importing this package is cheap.
"""

from __future__ import annotations


def run_audit_command(**kwargs) -> int:
    from .command import run_audit_command as run

    return run(**kwargs)


def run_audit(*args, **kwargs):
    from .audit import run_audit as run

    return run(*args, **kwargs)
