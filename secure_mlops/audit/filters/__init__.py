"""The audit's custom c7n filters, registered on their resource types when imported.

- ``policy_logic``: what IAM-style policy documents allow and deny in a situation
- ``iam``: permits, trust-without-federation-or-mfa, allows-everything (IAM roles)
- ``resource_policy``: missing-deny (buckets), wildcard-allow (keys), s3-access-beyond
  (VPC endpoints), shared-outside (model package groups)
- ``related``: related, none-exist, unapproved-model, image-outside, not-customer-managed-key,
  role-outside-team, not-logged-by-trail, missing-endpoints
- ``pipeline``: steps-fail-controls (SM-PIPE-01)
"""

from __future__ import annotations

from . import iam, pipeline, related, resource_policy  # noqa: F401 - registers the filters


def _register_related() -> None:
    from ..resources import artifacts, iam as iam_types, sagemaker, storage, trails

    related.register_related(
        sagemaker.Domain, sagemaker.UserProfile, sagemaker.Endpoint, sagemaker.Model,
        artifacts.CodePipeline, storage.Bucket, iam_types.Role, trails.Trail,
    )


_register_related()
