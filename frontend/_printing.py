"""PyTorch-compatible tensor printing over numpy arrays.

``format_tensor`` renders a numpy array the way ``repr(torch.Tensor)`` does in
PyTorch 2.x (``torch/_tensor_str.py`` semantics): same number formatting,
column alignment, line wrapping, summarization and ``dtype=``/``grad_fn=``
suffixes.  ``set_printoptions``/``get_printoptions`` mirror
``torch.set_printoptions`` and share one module-level set of options.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

# (precision, threshold, edgeitems, linewidth) for each named profile.
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}

_FLOAT_DTYPES = frozenset({"float16", "bfloat16", "float32", "float64"})
# Dtypes PyTorch leaves out of the repr of a non-empty tensor (the default
# float dtype plus the dtypes literals infer: int64 and bool).
_IMPLIED_DTYPES = frozenset({"float32", "int64", "bool"})
_DEFAULT_FLOAT = "float32"


@dataclass
class _PrintOptions:
    """The active print options (same fields and defaults as torch's)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set print options like ``torch.set_printoptions``.

    A profile is applied first, then any explicit option overrides it.
    As in torch, an unknown profile name is ignored and ``sci_mode`` is
    always assigned, so omitting it restores automatic notation choice.
    """
    if profile in _PROFILES:
        (_OPTS.precision, _OPTS.threshold, _OPTS.edgeitems,
         _OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """Return the current print options as a dict, like torch's."""
    return asdict(_OPTS)


class _Formatter:
    """Chooses one number style and column width for a whole tensor."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        """Inspect ``values`` (the elements that will be shown)."""
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        if floating:
            self._scan_floats(values)
        else:
            for value in values.ravel().tolist():
                self.max_width = max(self.max_width, len(str(value)))

    def _scan_floats(self, values: np.ndarray) -> None:
        """Pick int/fixed/scientific mode and the width from finite nonzeros."""
        shown = values[np.isfinite(values) & (values != 0)].tolist()
        if not shown:
            return  # only zeros/nan/inf: torch keeps int mode, width 1
        smallest = min(abs(v) for v in shown)
        largest = max(abs(v) for v in shown)
        self.int_mode = all(v == math.ceil(v) for v in shown)
        # Scientific when magnitudes span > 3 decades, are huge, or are so
        # small that fixed notation would show only zeros.
        auto_sci = (largest / smallest > 1000.0 or largest > 1.0e8
                    or smallest < 1.0e-4)
        self.sci_mode = auto_sci if _OPTS.sci_mode is None else _OPTS.sci_mode
        precision = _OPTS.precision
        if self.sci_mode:
            widths = [len(f"{v:.{precision}e}") for v in shown]
        elif self.int_mode:
            # +1 for the trailing "." that marks the tensor as floating.
            widths = [len(f"{v:.0f}") + 1 for v in shown]
        else:
            widths = [len(f"{v:.{precision}f}") for v in shown]
        self.max_width = max(self.max_width, *widths)

    def width(self) -> int:
        """Return the column width every element is padded to."""
        return self.max_width

    def format(self, value: float | int | bool) -> str:
        """Format one Python scalar, right-aligned to the column width."""
        precision = _OPTS.precision
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if math.isfinite(value):
                text += "."
        else:
            text = f"{value:.{precision}f}"
        return text.rjust(self.max_width)


def _summarized(data: np.ndarray) -> np.ndarray:
    """Keep only the edge items of every axis longer than 2 * edgeitems.

    These are exactly the elements a summarized print shows, so the
    formatter's width and mode depend on them alone, as in torch.
    """
    edge = _OPTS.edgeitems
    for axis, size in enumerate(data.shape):
        if size > 2 * edge:
            keep = np.r_[0:edge, size - edge:size]
            data = np.take(data, keep, axis=axis)
    return data


def _vector_str(row: np.ndarray, indent: int, summarize: bool,
                fmt: _Formatter) -> str:
    """Render a 1-D array, wrapping lines to fit the line width."""
    edge = _OPTS.edgeitems
    if summarize and not edge:
        items = ["..."]
    elif summarize and row.shape[0] > 2 * edge:
        items = ([fmt.format(v) for v in row[:edge].tolist()] + [" ..."]
                 + [fmt.format(v) for v in row[-edge:].tolist()])
    else:
        items = [fmt.format(v) for v in row.tolist()]
    # torch budgets each element its column width plus 2 for the ", "
    # separator when deciding how many fit on one line.
    per_line = max(1, math.floor((_OPTS.linewidth - indent) / (fmt.width() + 2)))
    lines = [", ".join(items[i:i + per_line])
             for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data: np.ndarray, indent: int, summarize: bool,
                fmt: _Formatter) -> str:
    """Render an array of any rank as nested bracketed rows."""
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, fmt)
    size, edge = data.shape[0], _OPTS.edgeitems
    if summarize and size > 2 * edge:
        index = [*range(edge), None, *range(size - edge, size)]
    else:
        index = list(range(size))
    parts = ["..." if i is None else _nested_str(data[i], indent + 1, summarize, fmt)
             for i in index]
    # Sub-blocks of rank k are separated by k - 1 newlines (blank lines
    # between matrices of a 3-D tensor, two between 4-D blocks, ...).
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _to_python_kind(data: np.ndarray, dtype_name: str) -> np.ndarray:
    """Normalize the values so ``tolist`` yields float/int/bool as torch's."""
    if dtype_name in _FLOAT_DTYPES:
        # float64 holds every float16/bfloat16/float32 value exactly, and
        # torch itself formats elements as Python (double) floats.
        return data.astype(np.float64)
    if dtype_name == "bool":
        return data.astype(bool)
    if dtype_name.startswith(("int", "uint")):
        return data
    raise ValueError(f"cannot print tensors of dtype {dtype_name!r}")


def _tensor_str(data: np.ndarray, dtype_name: str, indent: int) -> str:
    """Render the bracketed contents of a non-empty tensor."""
    data = _to_python_kind(data, dtype_name)
    summarize = data.size > _OPTS.threshold
    shown = _summarized(data) if summarize else data
    fmt = _Formatter(shown, dtype_name in _FLOAT_DTYPES)
    return _nested_str(data, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ", suffix" items and the closing parenthesis.

    A suffix that would push the last line past the line width starts a
    new line indented under the opening parenthesis.
    """
    parts = [text]
    # torch measures from the last newline and adds 1 (2 when there is no
    # newline); mirrored here since it decides where suffixes wrap.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _shape_and_dtype_suffixes(data: np.ndarray, dtype_name: str) -> list[str]:
    """Return the size=/dtype= suffixes torch adds for this tensor."""
    suffixes = []
    if data.size == 0:
        # Shape (0,) is implied by "[]"; other empty shapes are spelled out,
        # and only the default float dtype is implied by an empty literal.
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dtype_name != _DEFAULT_FLOAT:
            suffixes.append(f"dtype=torch.{dtype_name}")
        return suffixes
    if not _OPTS.edgeitems:
        # With no edge items nothing hints at the shape, so torch prints it.
        suffixes.append(f"size={tuple(data.shape)}")
    if dtype_name not in _IMPLIED_DTYPES:
        suffixes.append(f"dtype=torch.{dtype_name}")
    return suffixes


def format_tensor(data: np.ndarray, dtype_name: str, *, requires_grad: bool = False,
                  grad_fn_name: str | None = None, device: str | None = None,
                  prefix: str = "tensor(") -> str:
    """Return the text ``repr(torch_tensor)`` gives for a tensor like this.

    ``data`` holds the values (bfloat16 may be passed as float32),
    ``dtype_name`` is the torch dtype without "torch.", ``device`` is None
    for CPU, and ``grad_fn_name`` takes precedence over ``requires_grad``.
    """
    data = np.asarray(data)
    indent = len(prefix)
    suffixes = [] if device is None else [f"device='{device}'"]
    suffixes += _shape_and_dtype_suffixes(data, dtype_name)
    body = "[]" if data.size == 0 else _tensor_str(data, dtype_name, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
