"""Exception types. Every tenkai error derives from TenkaiError and from the builtin type
PyTorch raises in the same situation, so ``except RuntimeError`` keeps working."""

from __future__ import annotations


class TenkaiError(Exception):
    """Base class of all errors tenkai raises on purpose."""


class ShapeError(TenkaiError, RuntimeError):
    """Operand shapes do not fit the op (PyTorch raises RuntimeError)."""


class DTypeError(TenkaiError, RuntimeError):
    """Operand dtypes do not fit the op (PyTorch raises RuntimeError)."""


class IndexOutOfRange(TenkaiError, IndexError):
    """An index is outside a dimension (PyTorch raises IndexError)."""


class VerifyError(TenkaiError, AssertionError):
    """A graph breaks an IR invariant; the message shows the offending node in context."""


class AutogradError(TenkaiError, RuntimeError):
    """Misuse of autograd: backward twice, no grad_fn, non-scalar without gradient."""


class IndexBoundsError(TenkaiError, RuntimeError):
    """An index is outside a dimension where PyTorch raises RuntimeError (gather, scatter_add,
    index_add, one_hot)."""
