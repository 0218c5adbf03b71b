"""Sessions for Cloud Custodian, built from the user's boto3 session.

c7n asks a *session factory* for sessions and keeps one per thread (``c7n.utils.
local_session``, keyed by the factory's ``region`` attribute). :class:`SessionFactory` hands
out a fresh boto3 session per call that shares the user's credentials (so an assumed role is
not assumed again per thread) and carries the audit's call counter. Its ``region``
attribute also names the account, so two accounts audited in parallel never share a
thread's cached session.
"""

from __future__ import annotations

from typing import Any


class SessionFactory:
    def __init__(self, session, region: str, account: str, stats=None):
        self._base = session
        self._credentials = session.get_credentials()
        self._profile = getattr(session, "profile_name", None)
        self.real_region = region
        self.account = account
        self.stats = stats
        # c7n's thread-local session cache is keyed by this attribute
        self.region = f"{region}@{account}"
        self.assume_role = None
        self.session_name = "secure-mlops-audit"
        self.policy_name = ""

    def __call__(self, assume: bool = True, region: str | None = None):
        return self.session(region)

    def session(self, region: str | None = None):
        import boto3
        import botocore.credentials
        import botocore.session

        core = botocore.session.Session()
        # share the parsed service models of the user's session (parsing them again per thread is slow)
        core.register_component("data_loader", self._base._session.get_component("data_loader"))
        if self._profile and self._profile != "default":
            core.set_config_variable("profile", self._profile)
        creds = self._credentials

        class _Given(botocore.credentials.CredentialProvider):
            METHOD = "secure-mlops"

            def load(self):
                return creds

        core.register_component("credential_provider", botocore.credentials.CredentialResolver([_Given()]))
        sess = boto3.Session(botocore_session=core, region_name=region or self.real_region)
        if self.stats is not None:
            self.stats.attach(sess)
        return sess

    # c7n calls these on some factories
    def set_subscribers(self, subscribers) -> None:  # pragma: no cover - c7n API
        pass


def assume_role_session(base_session, role: str | list[str], region: str, external_id: str | None = None,
                        stats=None) -> Any:
    """A boto3 session for `role` (or a chain of roles), assumed from `base_session`.

    Uses c7n's own ``assumed_session`` (refreshable credentials).
    """
    from c7n.credentials import assumed_session

    roles = [role] if isinstance(role, str) else list(role)
    session = base_session
    if stats is not None:
        stats.attach(session)
    for arn in roles:
        session = assumed_session(arn, "secure-mlops-audit", session=session, region=region,
                                  external_id=external_id)
        if stats is not None:
            stats.attach(session)
    return session
