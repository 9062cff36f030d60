"""``tenkai.autograd.profiler``: PyTorch's older profiler entry points, over the same recorder
as :mod:`tenkai.profiler` (``profile(...)`` with ``.table()``, ``key_averages()``,
``total_average()``, ``export_chrome_trace()``, and ``record_function``)."""

from __future__ import annotations

from typing import Any

from .. import profiler as _new
from ..profiler import EventList, FunctionEvent, FunctionEventAvg, record_function

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]


class profile(_new.profile):
    """``torch.autograd.profiler.profile(enabled=True, use_cuda=False, record_shapes=False,
    profile_memory=False, with_stack=False, ...)``."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device: Any = None,
                 record_shapes: bool = False, with_flops: bool = False,
                 profile_memory: bool = False, with_stack: bool = False,
                 with_modules: bool = False, use_kineto: bool = False, use_cpu: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory,
                         with_stack=with_stack, with_flops=with_flops,
                         with_modules=with_modules, enabled=enabled)

    def total_average(self) -> FunctionEventAvg:
        return self.events().total_average()

    def function_events(self) -> EventList:
        return self.events()

    def __str__(self) -> str:
        return self.table()
