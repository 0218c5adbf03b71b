"""Read-back of deployed resources, one reader per CloudFormation resource type.

Readers live in this package's service modules (``s3.py``, ``iam.py``, ...) and register
themselves with ``@reader("AWS::Service::Type")``; they are found by convention (every
module here is imported). A resource type without a reader cannot be verified, which is a
verification failure. See ``resource.py`` for what a reader does.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Callable

READERS: dict[str, Callable] = {}
#: modules of this package that hold machinery, not readers
_MACHINERY = {"compare", "resolve", "resource", "stack", "template"}
_loaded = False


def reader(*resource_types: str):
    """Register a function as the reader of one or more resource types."""

    def register(fn: Callable) -> Callable:
        for rtype in resource_types:
            if rtype in READERS and READERS[rtype] is not fn:
                raise RuntimeError(f"two readers for {rtype}: {READERS[rtype].__name__} and {fn.__name__}")
            READERS[rtype] = fn
        return fn

    return register


def load() -> dict[str, Callable]:
    """Import every reader module (once) and return the registry."""
    global _loaded
    if not _loaded:
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
            if info.name not in _MACHINERY and not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _loaded = True
    return READERS


def reader_for(resource_type: str) -> Callable | None:
    return load().get(resource_type)
