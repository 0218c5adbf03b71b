"""What a reader works with: one deployed resource, its declared properties, and the verdicts.

A reader (one per resource type, in this package's service modules) reads the resource
back through its own service's API, publishes the attributes ``Fn::GetAtt`` may need, and
compares each security-relevant property with the template::

    @reader("AWS::KMS::Key")
    def kms_key(r):
        meta = r.client("kms").describe_key(KeyId=r.physical_id)["KeyMetadata"]
        r.attributes.update(Arn=meta["Arn"], KeyId=meta["KeyId"])
        r.compare("EnableKeyRotation", rotation, default=False)
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .compare import ABSENT, MISSING, equal, parse_policy, policy_difference, same_set, walk
from .resolve import NO_VALUE, Unresolvable, is_intrinsic

if TYPE_CHECKING:
    from .stack import StackReadBack


@dataclass
class Mismatch:
    """One verification failure: a property that differs, a resource that is missing, or
    something that could not be verified (which is never a pass)."""

    stack: str
    logical_id: str
    resource_type: str
    property: str
    declared: Any
    actual: Any
    reason: str = "differs"

    def message(self) -> str:
        text = (f"stack {self.stack}, {self.logical_id} ({self.resource_type}), {self.property}: "
                f"declared {show(self.declared)}, actual {show(self.actual)}")
        return text if self.reason == "differs" else f"{text} ({self.reason})"

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "logical_id": self.logical_id, "resource_type": self.resource_type,
                "property": self.property, "declared": _jsonable(self.declared),
                "actual": _jsonable(self.actual), "reason": self.reason, "message": self.message()}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def show(value: Any, limit: int = 300) -> str:
    """A value as a short, readable string (JSON for structures)."""
    if value is MISSING or value is ABSENT:
        return repr(value)
    if isinstance(value, str):
        text = json.dumps(value)
    else:
        text = json.dumps(value, default=repr, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


NOT_FOUND_HINTS = ("NotFound", "NoSuch", "DoesNotExist", "does not exist", "not found", "cannot be found",
                   "Could not find", "could not be found", "Cannot find")


def describe_error(exc: Exception) -> tuple[str, str]:
    """(reason prefix, text) for an exception raised while reading a resource."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code, msg = err.get("Code", "?"), err.get("Message", "")
        op = getattr(exc, "operation_name", "?")
        if msg.lstrip().startswith("<"):  # an HTML error page (e.g. an unimplemented call)
            title = re.search(r"<title>(.*?)</title>", msg, re.S)
            msg = title.group(1).strip() if title else "an HTML error page"
        text = f"{op}: {code}: {msg}".rstrip(": ")
        if any(h.lower() in f"{code} {msg}".lower() for h in NOT_FOUND_HINTS):
            return "missing", f"the service does not know it ({text})"
        return "cannot be verified", f"{text}"
    return "cannot be verified", f"{type(exc).__name__}: {exc}"



class ReadBack:
    """One resource being read back and compared (handed to its reader)."""

    def __init__(self, stack: "StackReadBack", logical_id: str, resource_type: str, physical_id: str,
                 properties: dict):
        self.stack = stack
        self.logical_id = logical_id
        self.type = resource_type
        self.physical_id = physical_id
        self.properties = properties or {}
        self.attributes: dict[str, Any] = {}
        self.mismatches: list[Mismatch] = []
        self.compared = 0

    # -------------------------------------------------------------- context
    @property
    def region(self) -> str:
        return self.stack.region

    @property
    def account(self) -> str:
        return self.stack.account

    @property
    def partition(self) -> str:
        return self.stack.partition

    def client(self, service: str):
        return self.stack.client(service)

    def arn(self, service: str, resource: str, region: str | None = None, account: str | None = None) -> str:
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def optional(self, call: Callable, codes: tuple[str, ...], **kwargs) -> Any:
        """call(**kwargs), or None when the service answers with one of `codes` (e.g. "no
        public access block configured"); any other error propagates (not verified)."""
        from botocore.exceptions import ClientError

        try:
            return call(**kwargs)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            if err.get("Code") in codes or any(c in err.get("Message", "") for c in codes):
                return None
            raise

    @contextmanager
    def section(self, prop: str):
        """Read and compare one part of a resource; if it cannot be read or resolved, that part
        (not the whole resource) is reported as not verified and the reader goes on."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except Unresolvable as exc:
            self.compared += 1
            self.mismatch(prop, self._raw(prop), "?", f"cannot be verified: {exc}")
        except (ClientError, BotoCoreError) as exc:
            reason, text = describe_error(exc)
            self.compared += 1
            self.mismatch(prop, self._raw(prop), text, "cannot be verified" if reason == "missing" else reason)

    # -------------------------------------------------------------- declared values
    def declared(self, path: str, default: Any = MISSING) -> Any:
        """The resolved value the template declares at path ("A.B.C"), or `default`.

        Raises Unresolvable when the template's value cannot be resolved.
        """
        node: Any = self.properties
        resolver = self.stack.resolver
        for part in path.split("."):
            if is_intrinsic(node):
                node = resolver.resolve(node)
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        value = resolver.resolve(node)
        return default if value is NO_VALUE else value

    def required(self, path: str) -> Any:
        """A declared value the reader needs to find the resource (e.g. a domain id)."""
        value = self.declared(path)
        if value is MISSING:
            raise Unresolvable(f"the template declares no {path}, needed to read the resource back")
        return value

    # -------------------------------------------------------------- verdicts
    def mismatch(self, prop: str, declared: Any, actual: Any, reason: str = "differs") -> None:
        self.mismatches.append(Mismatch(self.stack.name, self.logical_id, self.type, prop, declared, actual, reason))

    def compare(self, path: str, actual: Any, kind: str = "value", default: Any = MISSING,
                declared: Any = None) -> None:
        """Compare the declared value at `path` with `actual` (what the service reports).

        kind: "value" (only declared keys of mappings, lists in order, scalars as CloudFormation
        passes them), "set" (unordered list), "policy" (IAM/resource policy, semantically),
        "json" (JSON documents), "kms" (KMS keys given as id, ARN or alias), "arn-or-name"
        (an IAM role/policy named by ARN or name). When the template does not declare the
        property, `default` (the value the service applies) is compared instead, if given.
        `declared` overrides the template lookup (for values a reader had to take apart; pass
        MISSING for "not declared").
        """
        if declared is None:
            try:
                declared = self.declared(path)
            except Unresolvable as exc:
                self.compared += 1
                self.mismatch(path, self._raw(path), actual, f"cannot be verified: {exc}")
                return
        if declared is MISSING:
            if default is MISSING:
                return
            declared = default
        if actual is None:
            actual = ABSENT
        if kind == "value":
            for sub, d, a, ok in walk(declared, actual, path):
                self.compared += 1
                if not ok:
                    self.mismatch(sub, d, a)
            return
        self.compared += 1
        check: Callable[[Any, Any], str | None] = getattr(self, f"_differs_{kind.replace('-', '_')}")
        reason = check(declared, actual)
        if reason is not None:
            self.mismatch(path, declared, actual, reason)

    def compare_tags(self, actual: Any) -> None:
        """Each declared tag (Tags as a list of Key/Value or as a map) has its value on the resource.

        Tags decide access here (team isolation, profile owners); tags the service or
        CloudFormation adds are not compared."""
        with self.section("Tags"):
            declared = self.declared("Tags")
            if declared is MISSING:
                return
            if isinstance(actual, list):
                actual = {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in actual}
            actual = actual or {}
            if isinstance(declared, list):
                declared = {t.get("Key"): t.get("Value") for t in declared}
            for key, value in declared.items():
                self.compare(f"Tags.{key}", actual.get(key), declared=value)

    def _raw(self, path: str) -> Any:
        node: Any = self.properties
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return MISSING
            node = node[part]
        return node

    # each returns None when equal, else the reason ("differs" or an explanation)
    def _differs_set(self, declared: Any, actual: Any) -> str | None:
        return None if actual is not ABSENT and same_set(declared, actual) else "differs"

    def _differs_policy(self, declared: Any, actual: Any) -> str | None:
        if actual is ABSENT:
            return "differs: no policy is in effect"
        diff = policy_difference(declared, actual, self.partition)
        return None if diff is None else f"differs: {diff}"

    def _differs_json(self, declared: Any, actual: Any) -> str | None:
        try:
            same = actual is not ABSENT and equal(parse_policy(declared), parse_policy(actual))
        except ValueError as exc:
            return f"cannot be verified: not JSON ({exc})"
        return None if same else "differs"

    def _differs_kms(self, declared: Any, actual: Any) -> str | None:
        if actual is ABSENT:
            return "differs"
        if declared == actual:
            return None
        d, a = self.stack.kms_key_arn(declared), self.stack.kms_key_arn(actual)
        if d is None:
            return f"cannot be verified: the declared key {declared!r} is not readable through KMS"
        return None if d == a else "differs"

    def _differs_arn_or_name(self, declared: Any, actual: Any) -> str | None:
        if actual is ABSENT:
            return "differs"
        if declared == actual:
            return None
        if str(declared).startswith("arn:") and str(actual).startswith("arn:"):
            return "differs"
        name = lambda v: str(v).rsplit("/", 1)[-1]  # noqa: E731
        return None if name(declared) == name(actual) else "differs"
