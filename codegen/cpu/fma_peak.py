"""A generated kernel that measures the host's floating-point peak: fused multiply-adds on the
widest vector registers, in enough independent chains to hide the FMA latency.

``tk_fma_peak(iters)`` runs ``iters`` rounds of :data:`CHAINS` independent ``llvm.fma`` on
``<lanes x float>`` vectors (one round is ``2 * CHAINS * lanes`` float32 FLOPs) and returns a
sum of the chains, so nothing is optimized away. ``tenkai bench`` calls it on every thread of
the step's pool at once (the calls release the GIL) to print a step's GFLOP/s as a share of
the machine's peak: a measured figure, so it holds for CPUs with one or two FMA units alike.
"""

from __future__ import annotations

import functools

from llvmlite import ir

from tenkai.codegen.cpu.machine import emit_object, host_vector_bits

CHAINS = 12  # independent accumulators: more than FMA latency x FMA ports on current cores
NAME = "tk_fma_peak"


def lanes() -> int:
    """float32 lanes of the widest vector register the host has."""
    return host_vector_bits() // 32


def flops_per_iteration() -> int:
    return 2 * CHAINS * lanes()


def module_ir() -> str:
    """LLVM IR of ``float tk_fma_peak(i64 iters)``."""
    f32 = ir.FloatType()
    vec = ir.VectorType(f32, lanes())
    module = ir.Module(name="tk_fma_peak")
    fma = ir.Function(module, ir.FunctionType(vec, [vec, vec, vec]), name="llvm.fma." +
                      f"v{lanes()}f32")
    fn = ir.Function(module, ir.FunctionType(f32, [ir.IntType(64)]), name=NAME)
    entry, loop, done = (fn.append_basic_block(n) for n in ("entry", "loop", "done"))
    b = ir.IRBuilder(entry)
    a = ir.Constant(vec, [0.999999] * lanes())
    c = ir.Constant(vec, [1e-7] * lanes())
    b.branch(loop)
    b.position_at_end(loop)
    i = b.phi(ir.IntType(64), name="i")
    accs = [b.phi(vec, name=f"acc{k}") for k in range(CHAINS)]
    nxt = [b.call(fma, [acc, a, c]) for acc in accs]
    i_next = b.add(i, ir.Constant(ir.IntType(64), 1))
    i.add_incoming(ir.Constant(ir.IntType(64), 0), entry)
    i.add_incoming(i_next, loop)
    for k, (acc, new) in enumerate(zip(accs, nxt, strict=True)):
        acc.add_incoming(ir.Constant(vec, [float(k + 1)] * lanes()), entry)
        acc.add_incoming(new, loop)
    b.cbranch(b.icmp_signed("<", i_next, fn.args[0]), loop, done)
    b.position_at_end(done)
    total = nxt[0]
    for v in nxt[1:]:
        total = b.fadd(total, v)
    out = b.extract_element(total, ir.Constant(ir.IntType(32), 0))
    for k in range(1, lanes()):
        out = b.fadd(out, b.extract_element(total, ir.Constant(ir.IntType(32), k)))
    b.ret(out)
    return str(module)


@functools.cache
def object_code() -> bytes:
    """Host object code of :func:`module_ir` (emitted at -O3 without the IR optimizer, so the
    chains stay as written)."""
    return emit_object(module_ir())
