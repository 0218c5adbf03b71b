"""Responsive controls: remediations that repair or contain drift (dry run first, never delete data).

One module per responsive control, ``<id_in_snake_case>.py``, found from the catalogue
(``Control.remediation_module``); each declares ``CONTROL_ID``, ``permissions``,
``CONTAINS_ONLY``, ``read``, ``plan`` and ``apply`` (see ``base.py``). Helpers:

- ``base.py``: calls, steps, the outcomes of planning, executing a step
- ``context.py``: the environment's published values (S3 key, log bucket, VPC), time, topic
- ``registry.py``: finding the modules, selecting controls, the least-privilege policy
- ``runner.py``: plan or apply finding by finding, then re-audit to judge the result
- ``command.py``: the ``remediate`` command
- ``buckets.py``, ``notebooks.py``, ``tagging.py``: what several modules share

Heavy imports (boto3, c7n) happen inside functions.
"""

from __future__ import annotations


def run_remediate_command(**kwargs) -> int:
    from .command import run_remediate_command as run

    return run(**kwargs)
