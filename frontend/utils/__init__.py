"""``tenkai.utils``: data loading utilities (``tenkai.utils.data``)."""

from . import data

__all__ = ["data"]
