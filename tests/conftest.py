"""Suite-wide fixtures: compiled-step caches go to a per-session temp dir, never ~/.cache."""

from __future__ import annotations

import os
import tempfile

_CACHE_DIR = tempfile.mkdtemp(prefix="tenkai-test-cache-")
os.environ.setdefault("TENKAI_CACHE_DIR", _CACHE_DIR)
os.environ.setdefault("TENKAI_CACHE_KEY_FILE", os.path.join(_CACHE_DIR + "-key", "cache.key"))
