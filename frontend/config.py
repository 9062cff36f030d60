"""Every environment variable tenkai reads, in one place.

| var | effect |
|---|---|
| `TENKAI_VERIFY=0/1` | run the IR verifier on every graph tenkai derives (default: on under pytest) |
| `TENKAI_DEBUG=1..2` | 1: print one line per derived backward graph; 2: also print its IR |

Each is read when used, so tests can scope it with ``monkeypatch.setenv``.
"""

from __future__ import annotations

import os
import sys


def verify_enabled() -> bool:
    flag = os.environ.get("TENKAI_VERIFY")
    if flag is None:
        return "pytest" in sys.modules
    return flag not in ("", "0")


def debug_level() -> int:
    try:
        return int(os.environ.get("TENKAI_DEBUG", "0") or 0)
    except ValueError:
        return 0
