"""The hand-written comparison runs of ``tenkai bench`` (numpy by hand, JAX) train each
workload exactly as tenkai eager does: same initial state, losses equal step by step."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import tenkai
from tenkai import _bench_classifiers, _bench_others, bench

STEPS = 4


def _eager_losses(name: str, batch: int) -> tuple[list[np.ndarray], list[float]]:
    reference = bench.reference_state(name, batch)
    fn, args = bench.WORKLOADS[name](tenkai, batch)
    bench.load_state(tenkai, bench.state_of(fn, args), reference)
    return reference, [float(fn(*args).item()) for _ in range(STEPS)]


@pytest.mark.parametrize("name", ["two_layer", "mlp", "overhead", "mlp_large"])
def test_numpy_by_hand_follows_tenkai_eager(name: str) -> None:
    batch = 4 if name == "mlp_large" else 8
    reference, expected = _eager_losses(name, batch)
    step = _bench_others.make_runner("numpy", name, reference)
    assert step is not None
    np.testing.assert_allclose([step() for _ in range(STEPS)], expected, rtol=2e-4)


def test_workloads_without_a_numpy_version_say_so() -> None:
    assert _bench_others.make_runner("numpy", "cnn", bench.reference_state("cnn", 2)) is None
    assert _bench_others.make_runner("numpy", "one_neuron", [np.zeros(1)] * 4) is None
    with pytest.raises(bench.Unavailable, match="no numpy version of cnn"):
        bench.run_one("cnn", "numpy", bench.Plan(steps=1, repeats=1, trajectory=1, batch=2),
                      bench.reference_state("cnn", 2))


def test_specs_describe_the_workloads() -> None:
    """Each spec's layers hold the workload's parameters in the optimizer's order."""
    for name, spec in _bench_classifiers.SPECS.items():
        if name == "digits" and importlib.util.find_spec("sklearn") is None:
            continue
        fn, args = bench.WORKLOADS[name](tenkai)
        params = bench.state_of(fn, args)[:-2]
        assert 2 * sum(layer in ("linear", "conv") for layer in spec.layers) == len(params)
        opt = bench.optimizer_of(fn)
        assert opt.param_groups[0]["lr"] == spec.lr
        assert type(opt).__name__.lower() == spec.optim
        assert opt.param_groups[0].get("momentum", 0.0) == spec.momentum


_JAX_CHILD = """
import sys
import numpy as np
sys.path.insert(0, {here!r})
from test_bench_others import _eager_losses, STEPS
from tenkai import _bench_others
reference, expected = _eager_losses({name!r}, 4)
step = _bench_others.make_runner("jax", {name!r}, reference)
np.testing.assert_allclose([step() for _ in range(STEPS)], expected, rtol=2e-4)
print("ok")
"""


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.parametrize("name", ["two_layer", "mlp", "mlp_large", "cnn"])
def test_jax_follows_tenkai_eager(name: str) -> None:
    # in a child process: JAX's threads would make later fork()s in this worker warn
    code = _JAX_CHILD.format(here=os.path.dirname(__file__), name=name)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-3000:]
