"""Suite-wide fixtures: compiled-step caches go to a per-session temp dir, never ~/.cache.

Under pytest-xdist every worker process gets a cache of its own (the workers inherit the
controller's environment, so a dir this file chose is replaced, one the user set is kept):
a worker then sees only what it compiled itself, as a serial run does."""

from __future__ import annotations

import os
import tempfile

import pytest

_CHOSEN = "TENKAI_TEST_CACHE_DIR"  # the cache dir this file chose (not the user)
# no background library build (tenkai.compiler.prebuild) writing into the tests' caches at
# times of its own; tests/runtime/test_cache_prebuild.py turns it on where it tests it
os.environ.setdefault("TENKAI_PREBUILD", "0")
if os.environ.get("TENKAI_CACHE_DIR", os.environ.get(_CHOSEN)) == os.environ.get(_CHOSEN):
    _CACHE_DIR = tempfile.mkdtemp(prefix="tenkai-test-cache-")
    os.environ["TENKAI_CACHE_DIR"] = os.environ[_CHOSEN] = _CACHE_DIR
    os.environ["TENKAI_CACHE_KEY_FILE"] = os.path.join(_CACHE_DIR + "-key", "cache.key")
# else: the user's TENKAI_CACHE_DIR, signed with the user's key (TENKAI_CACHE_KEY_FILE or the
# default), so that entries the tests write are valid for the user's scripts and the CLI too


def pytest_configure(config: pytest.Config) -> None:
    """Under ``-n`` (xdist's default ``load`` scheduling) send each ``xdist_group`` to one
    worker, as ``--dist loadgroup`` would: the modules that compile every registry sample
    in one batch up front (test_llvm_ops.py, test_compiled_graphs.py) then pay that once,
    not once per worker. The controller picks the scheduler; each worker names its grouped
    tests ``nodeid@group`` for it."""
    option = config.option
    if getattr(option, "dist", "no") == "load" and getattr(option, "numprocesses", None):
        option.dist = "loadgroup"
    elif hasattr(config, "workerinput") and getattr(option, "loadgroup", None) is False:
        option.loadgroup = True
