"""Lean c7n resource types: list once, then describe only what the controls read.

Annotations use the prefix ``audit:`` (not ``c7n:``): c7n's block filters sweep ``c7n*`` keys.

c7n's stock types often make calls no control here reads (tags of every notebook and job,
about ten ``GetBucket*`` calls per bucket). A :class:`LeanResource` lists with one
(paginated) call and runs its ``describe(client, resource)`` per resource, concurrently. A
call that fails for one resource does not fail the listing: it is recorded under
:data:`ERRORS` (attribute → reason) and the controls that read that attribute report ERROR
for that resource, never PASS.
"""

from __future__ import annotations

import concurrent.futures
import json
import urllib.parse
from typing import Any, Callable

from c7n.query import DescribeSource, QueryResourceManager
from c7n.utils import local_session

#: per-resource annotation: attribute name (or "*" for the whole resource) -> why it is unknown
ERRORS = "audit:errors"
#: per-resource annotation written by custom filters: values that decided their verdict
EVIDENCE = "audit:evidence"
#: per-resource annotation written by custom filters: why the resource failed
REASONS = "audit:reasons"
#: per-resource annotation written by custom filters: the resource could not be judged
NOT_EVALUATED = "audit:not-evaluated"

_THROTTLING = ("Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
               "TooManyRequestsException", "SlowDown", "Client.RequestLimitExceeded")


def retry(call, *args, **kwargs):
    """Call, retrying with back-off while AWS throttles (c7n's own retry helper)."""
    from c7n.utils import get_retry

    return get_retry(_THROTTLING)(call, *args, **kwargs)


def register(name: str):
    """Register a resource class as ``aws.<name>`` (c7n registry and resource map)."""

    def wrap(cls):
        from c7n.resources.aws import AWS

        AWS.resources.register(name, cls)
        AWS.resource_map[f"aws.{name}"] = cls
        cls.type = name
        return cls

    return wrap


def error_text(exc: BaseException) -> str:
    import botocore.exceptions

    if isinstance(exc, botocore.exceptions.ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "?")
        msg = (err.get("Message") or "").strip().splitlines()[0:1]
        op = getattr(exc, "operation_name", "")
        if code.isdigit() or "<html" in (err.get("Message") or "").lower():
            return f"{op}: the target answered HTTP {code} (the API is not available there)"
        return f"{op}: {code}" + (f": {msg[0][:200]}" if msg else "")
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def fetch(resource: dict, attr: str, call: Callable[[], Any], missing: tuple[str, ...] = (),
          transform: Callable[[Any], Any] | None = None) -> None:
    """resource[attr] = transform(call()); None when the error code says 'not configured'.

    Any other failure leaves resource[attr] = None and records why under ERRORS.
    """
    import botocore.exceptions

    try:
        value = retry(call)
    except botocore.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in missing:
            resource[attr] = None
            return
        resource[attr] = None
        resource.setdefault(ERRORS, {})[attr] = error_text(exc)
        return
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        resource[attr] = None
        resource.setdefault(ERRORS, {})[attr] = error_text(exc)
        return
    resource[attr] = transform(value) if transform else value


def parse_policy(value) -> dict | None:
    """A policy document from an API answer: JSON text, URL-encoded JSON, or already a dict."""
    if value is None or isinstance(value, dict):
        return value
    text = value
    if text.startswith("%7B") or text.startswith("%7b"):
        text = urllib.parse.unquote(text)
    return json.loads(text)


class LeanSource(DescribeSource):
    """List with the type's ``enumerate`` (or its enum_spec), describe with its ``describe``."""

    def resources(self, query):
        enumerate_ = getattr(self.manager, "enumerate", None)
        if enumerate_ is not None:
            return enumerate_(self.client())
        return super().resources(query)

    def client(self):
        m = self.manager.get_model()
        return local_session(self.manager.session_factory).client(m.service, region_name=self.manager.region)

    def augment(self, resources):
        describe = getattr(self.manager, "describe", None)
        if describe is None or not resources:
            return resources
        client = self.client()

        def one(r):
            try:
                describe(client, r)
            except Exception as exc:  # noqa: BLE001 - recorded, the resource stays
                r.setdefault(ERRORS, {})["*"] = error_text(exc)
            return r

        workers = min(self.manager.max_workers, len(resources))
        if workers <= 1:
            return [one(r) for r in resources]
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, resources))

    def get_permissions(self):
        return list(getattr(self.manager, "permissions", ()) or ())


class LeanResource(QueryResourceManager):
    """Base of the audit's resource types (see the module docstring)."""

    max_workers = 8
    source_mapping = {"describe": LeanSource}

    def describe_with(self, client, resource: dict, op: str, **params) -> None:
        """Merge the answer of one describe call into the resource (whole-resource failure)."""
        answer = retry(getattr(client, op), **params)
        answer.pop("ResponseMetadata", None)
        resource.update(answer)

    def paginate(self, client, op: str, key: str, **params) -> list:
        if client.can_paginate(op):
            from c7n.query import RetryPageIterator

            paginator = client.get_paginator(op)
            paginator.PAGE_ITERATOR_CLS = RetryPageIterator  # c7n's: retries throttled pages
            out: list = []
            for page in paginator.paginate(**params):
                out.extend(page.get(key) or [])
            return out
        return retry(getattr(client, op), **params).get(key) or []
