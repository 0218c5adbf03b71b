"""Extensions that make moto faithful for the resources this project deploys.

Every module in this package is an extension, discovered by convention: ``load()`` imports
each one (in name order) and calls its ``install()`` function. ``load()`` is idempotent and
must run in the process that serves requests (the emulator server, or a test process using
moto in-process) before the first request.

The extensions are written against one moto version (``MOTO_VERSION``); ``load()`` refuses
another, because they patch moto internals.
"""

from __future__ import annotations

import importlib
import pkgutil

MOTO_VERSION = "5.2.5"

_loaded = False


def load() -> None:
    global _loaded
    if _loaded:
        return
    import moto

    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(
            f"secure-mlops's emulator extensions are written for moto {MOTO_VERSION}, "
            f"found moto {moto.__version__}; install moto=={MOTO_VERSION}"
        )
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        install = getattr(module, "install", None)
        if install is not None:
            install()
    # moto caches its CloudFormation model lists: clear them so new handlers are found
    from moto.cloudformation import parsing

    for name in ("get_model_list", "get_model_map", "get_name_type_map"):
        fn = getattr(parsing, name, None)
        if fn is not None and hasattr(fn, "cache_clear"):
            fn.cache_clear()
    _loaded = True
