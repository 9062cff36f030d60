"""``tenkai.staged``: the staged compile API; it lives in :mod:`tenkai.compiler.staged`."""

from tenkai.compiler.staged import CompiledGraph, LoweredGraph, TracedGraph, trace

__all__ = ["CompiledGraph", "LoweredGraph", "TracedGraph", "trace"]
