"""Graph -> Graph passes. Each is a pure function that returns a new graph."""

from .autodiff import GradGraph, autodiff
from .fusion import check_groups, fuse
from .memory import BufferSlot, MemoryPlan, plan_memory
from .pipeline import DEFAULT, run_pipeline
from .recompute import recompute
from .simplify import simplify

__all__ = ["DEFAULT", "BufferSlot", "GradGraph", "MemoryPlan", "autodiff", "check_groups",
           "fuse", "plan_memory", "recompute", "run_pipeline", "simplify"]
