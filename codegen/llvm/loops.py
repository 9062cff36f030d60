"""The counted loops every LLVM emitter writes, in the two shapes they need.

* :func:`counted_loop` (``rotated=False``, the default): ``for (i = start; i < stop; i +=
  step)`` tested at the top (blocks ``<name>.header``, ``<name>.body``, ``<name>.exit``);
  any step, any bounds. The GEMM's blocked loops use it.
* ``rotated=True``: the canonical form LLVM's loop vectorizer expects from a kernel: one
  ``i64`` phi in ``<name>.loop``, the increment (``flags``, ``nuw nsw`` by default) and the
  compare at the bottom, exit in ``<name>.exit``; ``guard`` (default) skips an empty range
  first, ``guard=False`` is for ranges known non-empty. Step 1.

Both yield the loop variable; the body must leave the builder in a block without a
terminator. The builder is left at the start of the exit block. A rotated loop may carry
loop metadata on its latch (``hints``: :func:`loop_hints`, e.g. no unrolling).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from llvmlite import ir

from tenkai.codegen.llvm.types import I64

NUW_NSW = ("nuw", "nsw")


def loop_hints(module: ir.Module, *options: str | tuple[str, int]) -> ir.MDValue:
    """A loop ID (``!N = !{!N, !{!"llvm.loop.unroll.disable"}, ...}``) for ``options`` (loop
    metadata names without operands, or ``(name, i32 operand)`` pairs such as
    ``("llvm.loop.interleave.count", 4)``), to put on a rotated loop's latch."""
    nodes = [module.add_metadata([ir.MetaDataString(module, o)]) if isinstance(o, str) else
             module.add_metadata([ir.MetaDataString(module, o[0]), ir.Constant(ir.IntType(32),
                                                                             o[1])])
             for o in options]
    loop_id = ir.values.MDValue(module, [], name=str(len(module.metadata)))
    loop_id.operands = (loop_id, *nodes)  # the self-reference LLVM requires of a loop ID
    return loop_id


@contextmanager
def counted_loop(builder: ir.IRBuilder, start: ir.Value, stop: ir.Value, name: str,
                 step: ir.Value | None = None, *, rotated: bool = False, guard: bool = True,
                 flags: tuple[str, ...] = NUW_NSW,
                 hints: ir.MDValue | None = None) -> Iterator[ir.Value]:
    """``for name in range(start, stop, step)``; see the module docstring for the shapes."""
    if rotated:
        if step is not None:
            raise ValueError(f"counted_loop {name!r}: a rotated loop steps by 1")
        with _rotated(builder, start, stop, name, guard, flags, hints) as index:
            yield index
        return
    if hints is not None:
        raise ValueError(f"counted_loop {name!r}: loop hints go on rotated loops")
    preheader = builder.block
    header = builder.append_basic_block(f"{name}.header")
    body = builder.append_basic_block(f"{name}.body")
    exit_block = builder.append_basic_block(f"{name}.exit")
    builder.branch(header)
    builder.position_at_end(header)
    index = builder.phi(I64, name=name)
    index.add_incoming(start, preheader)
    builder.cbranch(builder.icmp_signed("<", index, stop), body, exit_block)
    builder.position_at_end(body)
    yield index
    index.add_incoming(builder.add(index, step if step is not None else I64(1),
                                   name=f"{name}.next"), builder.block)
    builder.branch(header)
    builder.position_at_end(exit_block)


@contextmanager
def _rotated(builder: ir.IRBuilder, start: ir.Value, stop: ir.Value, name: str, guard: bool,
             flags: tuple[str, ...], hints: ir.MDValue | None) -> Iterator[ir.Value]:
    preheader = builder.block
    header = builder.append_basic_block(f"{name}.loop")
    exit_block = builder.append_basic_block(f"{name}.exit")
    if guard:
        builder.cbranch(builder.icmp_signed("<", start, stop), header, exit_block)
    else:
        builder.branch(header)
    builder.position_at_end(header)
    index = builder.phi(I64, name=name)
    index.add_incoming(start, preheader)
    yield index
    nxt = builder.add(index, I64(1), name=f"{name}.next", flags=flags)
    index.add_incoming(nxt, builder.block)
    latch = builder.cbranch(builder.icmp_signed("<", nxt, stop), header, exit_block)
    if hints is not None:
        latch.set_metadata("llvm.loop", hints)
    builder.position_at_end(exit_block)
