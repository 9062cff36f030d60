"""``tenkai.autograd.detect_anomaly`` / ``set_detect_anomaly``, as in PyTorch.

In anomaly mode every op recorded for autograd keeps the traceback of its forward call, and
the eager backward checks each backward function's result for NaN: the first one to produce
NaN raises ``RuntimeError: Function 'DivBackward0' returned nan values in its output.`` with
that traceback. A compiled step's backward is generated code and is not checked.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from .._node import ANOMALY


def is_anomaly_enabled() -> bool:
    return ANOMALY.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY.check_nan


class detect_anomaly:
    """Context manager (and decorator) that turns anomaly detection on for its body."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev, self.prev_check = ANOMALY.enabled, ANOMALY.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self.prev, self.prev_check = ANOMALY.enabled, ANOMALY.check_nan
        ANOMALY.enabled, ANOMALY.check_nan = True, self.check_nan

    def __exit__(self, *exc: Any) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self.prev, self.prev_check

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Sets anomaly detection on or off; also usable as a context manager (restores it)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev, self.prev_check = ANOMALY.enabled, ANOMALY.check_nan
        ANOMALY.enabled, ANOMALY.check_nan = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        ANOMALY.enabled, ANOMALY.check_nan = self.prev, self.prev_check
