"""``tenkai.utils``: data loading (``tenkai.utils.data``) and activation checkpointing
(``tenkai.utils.checkpoint``)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
