"""Scalar chains of a compiled step (``-lr`` cast to the parameters' dtype, Adam's
bias-correction factors) are computed inside the kernels that read them, not by kernels of
their own (``ir/passes/recompute.py``, ``fold_scalar_groups``), and the step still means
what the eager step means: losses, parameters, gradients and optimizer state agree step by
step while the learning rate changes between steps."""

from __future__ import annotations

import pytest
from compile_harness import check, data, make, mse_step

import tenkai


def _new_lr(k: int, model, opt) -> None:
    for group in opt.param_groups:
        group["lr"] = 0.05 / (k + 1)


@pytest.mark.parametrize("opt_kind, options", [("sgd", {"momentum": 0.0}),
                                               ("sgd", {"momentum": 0.9}),
                                               ("adam", {}), ("rmsprop", {})])
def test_folded_scalars_train_like_eager(opt_kind: str, options: dict) -> None:
    fn = check("tenkai", _new_lr, steps=6, opt_kind=opt_kind, **options)
    assert fn.stats["retraces"] == 0  # the learning rate flows in at run time


def _fused_step(opt_kind: str, **options):
    step = mse_step(*make(0, opt_kind, **options))
    (x, y), = data(1)
    step(x, y)  # the optimizer's state exists before the traced step
    return tenkai.trace(step, x, y).lower().fused


@pytest.mark.parametrize("opt_kind", ["sgd", "adam"])
def test_no_kernel_computes_only_scalars(opt_kind: str) -> None:
    g = _fused_step(opt_kind, **({"momentum": 0.0} if opt_kind == "sgd" else {}))
    outputs = {g.operands(o)[0] for o in g.outputs}
    for gid, record in g.meta["groups"].items():
        sizes = {g.shape(n) for n in record["nodes"] + record["inputs"]}
        # a scalar kernel stays only for state it writes (Adam's step counts)
        assert any(s not in ((), (1,)) for s in sizes) or set(record["nodes"]) <= outputs, \
            f"group {gid} computes scalars others read: {[g.op(n) for n in record['nodes']]}"
    folded = [r for r in g.meta["recompute"].values() if r.get("scalar")]
    assert folded and all(r["dropped"] and r["readers"] for r in folded)
    ops = {r["op"] for r in folded}
    assert "neg" in ops  # SGD/Adam's -lr: p += (-lr) * update
    lr = next(n for n in g.inputs if g.node_name(n).startswith("lr."))
    readers = {g.nx.nodes[u]["group"] for u in g.users(lr)}
    assert len(readers) >= 2  # every updating kernel reads lr itself
