"""One negative-index rule and one error per index-consuming user op, as PyTorch has them.

Every indexing node (``take``, ``gather``, ``scatter_add``, ``index_add``, ``index_put``)
carries a ``bounds`` attribute naming the user-level op it comes from. :data:`RULES` maps
that name to whether negative indices wrap (advanced indexing) or are errors (everything
else), PyTorch's exception type and message, and the op named in the detail. The numpy
references, the eager frontend and the generated code's run-time checks all read this table,
so eager, interpreter and compiled code accept the same indices and raise the same error.

PyTorch 2.13 (CPU), checked by tests/frontend/test_index_checks.py:

=================  ========  ============  ==================================================
bounds             negative  type          message
=================  ========  ============  ==================================================
index (x[i])       wrap      IndexError    index 10 is out of bounds for dimension 0 with size 10
index_put          wrap      IndexError    (same)
embedding          error     IndexError    index out of range in self
index_select       error     IndexError    index out of range in self
gather             error     RuntimeError  index -1 is out of bounds for dimension 1 with size 3
scatter_add        error     RuntimeError  (same wording)
index_add          error     RuntimeError  (same wording)
nll_loss           error     IndexError    Target 10 is out of bounds.  (ignore_index skipped)
cross_entropy      error     IndexError    Target 10 is out of bounds.  (ignore_index skipped)
one_hot            error     RuntimeError  Class values must be non-negative. /
                                           Class values must be smaller than num_classes.
=================  ========  ============  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import IndexBoundsError, IndexOutOfRange, TenkaiError

_OUT_OF_BOUNDS = "index {value} is out of bounds for dimension {dim} with size {size}"


@dataclass(frozen=True)
class IndexRule:
    """How one user-level op treats an index ``i`` into a dimension of ``size``."""

    op: str  # the user-level op named in the error detail
    wrap: bool  # -size <= i < 0 counts from the end (else negative indices are errors)
    error: type[TenkaiError]  # IndexOutOfRange (an IndexError) or IndexBoundsError
    message: str  # PyTorch's words; may use {value}, {dim}, {size}
    negative_message: str | None = None  # a different message for negative values

    def text(self, value: int, size: int, dim: int) -> str:
        words = self.negative_message if value < 0 and self.negative_message else self.message
        return words.format(value=value, dim=dim, size=size)


RULES: dict[str, IndexRule] = {
    "index": IndexRule("index", True, IndexOutOfRange, _OUT_OF_BOUNDS),
    "index_put": IndexRule("index_put", True, IndexOutOfRange, _OUT_OF_BOUNDS),
    "embedding": IndexRule("embedding", False, IndexOutOfRange, "index out of range in self"),
    "index_select": IndexRule("index_select", False, IndexOutOfRange,
                              "index out of range in self"),
    "gather": IndexRule("gather", False, IndexBoundsError, _OUT_OF_BOUNDS),
    "scatter_add": IndexRule("scatter_add", False, IndexBoundsError, _OUT_OF_BOUNDS),
    "index_add": IndexRule("index_add", False, IndexBoundsError, _OUT_OF_BOUNDS),
    "nll_loss": IndexRule("nll_loss", False, IndexOutOfRange, "Target {value} is out of bounds."),
    "cross_entropy": IndexRule("cross_entropy", False, IndexOutOfRange,
                               "Target {value} is out of bounds."),
    "one_hot": IndexRule("one_hot", False, IndexBoundsError,
                         "Class values must be smaller than num_classes.",
                         "Class values must be non-negative."),
}


def rule(bounds: str) -> IndexRule:
    try:
        return RULES[bounds]
    except KeyError:
        raise ValueError(f"unknown index bounds rule {bounds!r}; expected one of "
                         f"{sorted(RULES)}") from None


def detail(bounds: str, value: object, size: int, dim: int, loc: str | None = None) -> str:
    """The part after PyTorch's words: op, offending value, valid range, source line."""
    r = rule(bounds)
    low = -size if r.wrap else 0
    where = f"; at {loc}" if loc else ""
    return f"{r.op}: index {value} is not in [{low}, {size}) (dimension {dim}){where}"


def template(bounds: str, size: int, dim: int, loc: str | None, negative: bool) -> str:
    """:func:`message` with ``{value}`` left open (generated code fills it in at run time);
    ``negative`` picks the wording for negative values where the op has one."""
    r = rule(bounds)
    words = r.negative_message if negative and r.negative_message else r.message
    text = words.replace("{dim}", str(dim)).replace("{size}", str(size))
    return f"{text} ({detail(bounds, '{value}', size, dim, loc)})"


def message(bounds: str, value: int, size: int, dim: int, loc: str | None = None) -> str:
    """PyTorch's message first, then :func:`detail` in parentheses."""
    return f"{rule(bounds).text(value, size, dim)} ({detail(bounds, value, size, dim, loc)})"


def index_error(bounds: str, value: int, size: int, dim: int,
                loc: str | None = None) -> TenkaiError:
    """The exception PyTorch raises for this op and value (``.index_check`` keeps the facts, so
    the interpreter can add the node's source line)."""
    err = rule(bounds).error(message(bounds, value, size, dim, loc))
    err.index_check = (bounds, value, size, dim)  # type: ignore[attr-defined]
    return err


def check(idx: np.ndarray, size: int, dim: int, bounds: str) -> np.ndarray:
    """``idx`` validated under ``bounds``' rule, negatives wrapped where the rule wraps; raises
    :func:`index_error` for the first offending value."""
    idx = np.asarray(idx)
    r = rule(bounds)
    if idx.size == 0:
        return idx
    low = idx.min()  # two reductions; the elementwise masks only for a bad or negative index
    if low < (-size if r.wrap else 0) or idx.max() >= size:
        bad = (idx < (-size if r.wrap else 0)) | (idx >= size)
        raise index_error(bounds, int(idx[bad].flat[0]), size, dim)
    return np.where(idx < 0, idx + size, idx) if r.wrap and low < 0 else idx
