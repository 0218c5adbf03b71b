"""The resource cache shared by every policy of one audit run (one account and region).

Cloud Custodian asks its cache for a resource type's list before it lists and describes
(``QueryResourceManager.resources``: ``get`` → list + augment → ``save``). This cache lives
in memory for one run only (no stale on-disk cache) and makes that sequence safe when
policies run concurrently: the first policy that misses a key computes it while the others
wait for it, so each resource type is listed and described once per run however many
controls read it. A listing that failed is remembered too: the other policies of that type
get the same error at once instead of calling again.

Each ``get`` hands out shallow copies of the cached resources, so the annotations one
policy's filters write (``c7n:MatchedFilters``, ...) never leak into another policy.

c7n builds its cache with ``c7n.cache.factory(options)``; :func:`install` wraps that
function once so that options carrying a ``RUN_CACHE_KEY`` get their run's cache, and every
other use of c7n in the process is left alone.
"""

from __future__ import annotations

import pickle
import threading
from typing import Any

#: the key of the c7n options (a dict) that carries a run's cache
RUN_CACHE_KEY = "secure_mlops_run_cache"

_install_lock = threading.Lock()
_installed = False


class CachedListingError(Exception):
    """Listing a resource type failed earlier in this run; this is that error again."""


class RunCache:
    """c7n's cache interface (load, get, save, close, size), per run, thread-safe."""

    def __init__(self) -> None:
        self._data: dict[bytes, list] = {}
        self._errors: dict[bytes, BaseException] = {}
        self._locks: dict[bytes, threading.Lock] = {}
        self._guard = threading.Lock()
        self._local = threading.local()
        self.config = None  # c7n reads cache.config in a few places

    # -- c7n's interface ------------------------------------------------------------------
    def load(self) -> bool:
        self._held().append([])  # one frame per `with cache:` block
        return True

    def get(self, key: Any):
        k = _encode(key)
        hit = self._lookup(k)
        if hit is not None:
            return hit
        lock = self._lock_for(k)
        lock.acquire()  # wait while another policy computes this key
        hit = self._lookup(k)
        if hit is not None:
            lock.release()
            return hit
        frames = self._held()
        if frames:
            frames[-1].append(k)  # we compute it; `save` or the end of the block releases
        else:  # a get outside a `with` block: do not keep the lock
            lock.release()
        return None

    def save(self, key: Any, data) -> None:
        k = _encode(key)
        with self._guard:
            # copies: the policy that listed goes on annotating the objects it holds
            self._data[k] = [dict(r) if isinstance(r, dict) else r for r in data]
            self._errors.pop(k, None)
        self._release(k)

    def size(self) -> int:
        return sum(len(v) for v in self._data.values())

    def close(self) -> None:
        self._end_frame(None)

    def __enter__(self):
        self.load()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._end_frame(exc)

    # -- helpers ----------------------------------------------------------------------------
    def _lookup(self, k: bytes):
        with self._guard:
            if k in self._errors:
                err = self._errors[k]
                raise CachedListingError(str(err)) from err
            data = self._data.get(k)
        if data is None:
            return None
        return [dict(r) if isinstance(r, dict) else r for r in data]

    def _lock_for(self, k: bytes) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(k, threading.Lock())

    def _held(self) -> list[list[bytes]]:
        frames = getattr(self._local, "frames", None)
        if frames is None:
            frames = self._local.frames = []
        return frames

    def _release(self, k: bytes) -> None:
        for frame in self._held():
            if k in frame:
                frame.remove(k)
                self._lock_for(k).release()
                return

    def _end_frame(self, exc: BaseException | None) -> None:
        frames = self._held()
        if not frames:
            return
        for k in frames.pop():
            if exc is not None and not isinstance(exc, CachedListingError):
                with self._guard:
                    self._errors[k] = exc
            self._lock_for(k).release()


def _encode(key: Any) -> bytes:
    return pickle.dumps(key, protocol=pickle.HIGHEST_PROTOCOL)


def install() -> None:
    """Make c7n use the run cache named in its options (idempotent, process-wide)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from c7n import cache as c7n_cache

        original = c7n_cache.factory

        def factory(config):
            run_cache = config.get(RUN_CACHE_KEY) if config else None
            if run_cache is not None:
                return run_cache
            return original(config)

        factory.__wrapped__ = original  # type: ignore[attr-defined]
        c7n_cache.factory = factory
        _installed = True
