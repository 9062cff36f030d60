"""Graph -> Graph passes. Each is a pure function that returns a new graph."""

from .autodiff import GradGraph, autodiff

__all__ = ["GradGraph", "autodiff"]
