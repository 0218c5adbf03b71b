"""The run cache: one computation per key however many policies ask at once (no emulator)."""

from __future__ import annotations

import threading
import time

import pytest

from secure_mlops.audit.cache import CachedListingError, RunCache


def listing(cache: RunCache, key, compute):
    """What c7n's QueryResourceManager.resources does with its cache."""
    with cache:
        hit = cache.get(key)
        if hit is not None:
            return hit
        data = compute()
        cache.save(key, data)
        return data


def test_concurrent_misses_compute_once():
    cache, calls = RunCache(), []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return [{"id": 1}]

    results = []
    threads = [threading.Thread(target=lambda: results.append(listing(cache, {"r": "s3"}, compute)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [[{"id": 1}]] * 8


def test_each_policy_gets_its_own_copies():
    cache = RunCache()
    first = listing(cache, "k", lambda: [{"id": 1}])
    first[0]["c7n:MatchedFilters"] = ["x"]  # a policy annotates its resources
    assert listing(cache, "k", lambda: [{"id": 2}]) == [{"id": 1}]


def test_a_failed_listing_is_not_repeated():
    cache, calls = RunCache(), []

    def boom():
        calls.append(1)
        raise RuntimeError("AccessDenied")

    with pytest.raises(RuntimeError):
        listing(cache, "k", boom)
    with pytest.raises(CachedListingError, match="AccessDenied"):
        listing(cache, "k", boom)
    assert len(calls) == 1
    # other keys are unaffected and nothing stays locked
    assert listing(cache, "other", lambda: [1]) == [1]


def test_runs_do_not_share_state():
    assert listing(RunCache(), "k", lambda: [1]) == [1]
    assert listing(RunCache(), "k", lambda: [2]) == [2]


def test_c7n_uses_the_run_cache_only_when_asked():
    from c7n.cache import factory
    from c7n.config import Config

    from secure_mlops.audit.cache import RUN_CACHE_KEY, install

    install()
    from c7n import cache as c7n_cache

    run_cache = RunCache()
    assert c7n_cache.factory(Config.empty(**{RUN_CACHE_KEY: run_cache})) is run_cache
    assert not isinstance(c7n_cache.factory(Config.empty()), RunCache)
    assert factory is not None
