"""SM-NB-05 responsive: stop the notebook instance and require IMDSv2.

Does: ``sagemaker:StopNotebookInstance`` (waits until Stopped),
``sagemaker:UpdateNotebookInstance`` InstanceMetadataServiceConfiguration
MinimumInstanceMetadataServiceVersion "2", ``sagemaker:AddTags``
``secure-mlops:remediation:SM-NB-05``. The instance is left stopped: its users start it again
when ready. Never: deletes the instance or its ML storage volume.
"""

from __future__ import annotations

from . import notebooks

CONTROL_ID = "SM-NB-05"
permissions = notebooks.PERMISSIONS + ("sagemaker:UpdateNotebookInstance",)
CONTAINS_ONLY = False

KEYS = ("InstanceMetadataServiceConfiguration",)


def _version(state: dict) -> str | None:
    return (state["InstanceMetadataServiceConfiguration"] or {}).get("MinimumInstanceMetadataServiceVersion")


def read(finding, session) -> dict:
    return notebooks.read(finding, session, KEYS)


def plan(finding, session, context=None) -> list:
    return notebooks.plan(finding, session, context, KEYS, lambda s: _version(s) == "2",
                          why="IMDSv1 was allowed",
                          update={"InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"}})


def apply(step, session) -> list[dict]:
    from .base import run_calls

    return run_calls(step, session)
