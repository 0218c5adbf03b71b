"""The audit's c7n resource types, registered as ``aws.audit-*`` when this package is imported.

The stock c7n types the rules use as they are (one listing call, nothing extra):
``aws.security-group``, ``aws.vpc``, ``aws.vpc-endpoint``, ``aws.route-table``.
"""

from __future__ import annotations

from . import account, artifacts, iam, sagemaker, storage, trails  # noqa: F401 - registers the types

STOCK_TYPES = ("aws.security-group", "aws.vpc", "aws.vpc-endpoint", "aws.route-table")
