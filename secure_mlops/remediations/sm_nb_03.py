"""SM-NB-03 responsive: stop the notebook instance, disable root access, leave it stopped and tagged.

Does: ``sagemaker:StopNotebookInstance`` (waits until Stopped),
``sagemaker:UpdateNotebookInstance`` RootAccess Disabled, ``sagemaker:AddTags``
``secure-mlops:remediation:SM-NB-03``. The instance is left stopped: its users start it again
when ready. Never: deletes the instance or its ML storage volume.
"""

from __future__ import annotations

from . import notebooks

CONTROL_ID = "SM-NB-03"
permissions = notebooks.PERMISSIONS + ("sagemaker:UpdateNotebookInstance",)
CONTAINS_ONLY = False

KEYS = ("RootAccess",)


def read(finding, session) -> dict:
    return notebooks.read(finding, session, KEYS)


def plan(finding, session, context=None) -> list:
    return notebooks.plan(finding, session, context, KEYS, lambda s: s["RootAccess"] == "Disabled",
                          why="RootAccess was Enabled", update={"RootAccess": "Disabled"})


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
