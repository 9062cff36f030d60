"""The lowering choices a target makes (codegen/target.py), asked in one place.

Lowering is shared by every target; where targets differ it asks the :class:`Target`:

* ``contraction``: matmul (and its backward: contractions over transposed views) lowers to
  target-neutral :class:`Contraction` statements for both strategies; ``"gemm_call"``: the
  target maps each onto its GEMM call (the CPU: ``tk_gemm_<dtype>``); ``"tiled"``: onto a
  tiled kernel of its own (the GPU: a ``gemm`` launch, codegen/nvptx/gemm.py);
* ``convolution``: ``"im2col"`` unfolds the input windows into a scratch matrix and contracts
  it (lower/conv.py); ``"implicit_gemm"`` (the GPU target, with ``contraction="tiled"``)
  contracts the input in place through a window view (``WindowView``: the tiled GEMM's tile
  loads compute the window position), so no column matrix is materialized;
* ``alignment``: every arena slot starts at a multiple of it;
* reduction loop order: a CPU walks a reduction whose innermost input dim is kept in the
  input's memory order, accumulating into the output row (:func:`cache_ordered_reductions`);
  other targets get a ``Reduce`` per output element, which they can split across threads.
"""

from __future__ import annotations

from collections.abc import Sequence

from tenkai.codegen.kir.nodes import Contraction, TensorView
from tenkai.codegen.target import Target

# the choices of the CPU target, known without asking llvmlite about the host
DEFAULT_TARGET = Target(name="cpu", triple="host", arch="host")

CONTRACTIONS = ("gemm_call", "tiled")
CONVOLUTIONS = ("im2col", "implicit_gemm")


def check_contraction(target: Target, op: str) -> None:
    """Raise unless lowering implements ``target``'s contraction strategy."""
    if target.contraction not in CONTRACTIONS:
        raise NotImplementedError(
            f"lower: {op} on target {target.name!r}: contraction strategy "
            f"{target.contraction!r} is not implemented by lowering yet (implemented: "
            f"{', '.join(CONTRACTIONS)}); add it in codegen/lower/strategy.py and "
            f"codegen/lower/stages.py, or compile for a target with contraction='gemm_call'")


def check_convolution(target: Target, op: str) -> None:
    """Raise unless lowering implements ``target``'s convolution strategy."""
    if target.convolution not in CONVOLUTIONS:
        raise NotImplementedError(
            f"lower: {op} on target {target.name!r}: convolution strategy "
            f"{target.convolution!r} is not implemented by lowering (implemented: "
            f"{', '.join(CONVOLUTIONS)}); use a target with convolution='im2col'")
    check_contraction(target, op)  # im2col contracts the column matrix
    if target.convolution == "implicit_gemm" and target.contraction != "tiled":
        raise NotImplementedError(
            f"lower: {op} on target {target.name!r}: convolution strategy 'implicit_gemm' "
            f"needs contraction='tiled' (a GEMM kernel whose tile loads read window views), "
            f"not {target.contraction!r}; use convolution='im2col'")


def cache_ordered_reductions(target: Target) -> bool:
    """Whether reductions that keep the innermost input dim accumulate straight into the
    output, walking the input in memory order (a CPU cache choice, not a parallel one)."""
    return target.kind == "cpu"


def align(nbytes: int, target: Target) -> int:
    """``nbytes`` rounded up to the target's buffer alignment."""
    return -(-nbytes // target.alignment) * target.alignment


def contraction(a: tuple[str, int, tuple[int, int]], b: tuple[str, int, tuple[int, int]],
                out: tuple[str, int, tuple[int, int]], mnk: tuple[int, int, int],
                batch: Sequence[tuple[int, int, int, int]], accumulate: bool,
                dtype: str) -> Contraction | None:
    """A :class:`Contraction` from (buffer, offset, matrix strides) per operand, ``(m, n, k)``
    and one ``(extent, a_stride, b_stride, out_stride)`` per batch dim. Batch dims of extent 1
    are dropped; None when one has extent 0 (there is nothing to compute)."""
    if any(d[0] == 0 for d in batch):
        return None
    dims = [d for d in batch if d[0] != 1]
    extents = tuple(d[0] for d in dims)
    m, n, k = mnk

    def view(operand: tuple[str, int, tuple[int, int]], j: int, rows: int, cols: int
             ) -> TensorView:
        buf, offset, strides = operand
        return TensorView(buf, offset, (*extents, rows, cols),
                          (*(d[j] for d in dims), *strides))

    return Contraction(view(a, 1, m, k), view(b, 2, k, n), view(out, 3, m, n), accumulate,
                       dtype)
