"""The comparison runs written by hand outside tenkai and PyTorch: seed 002's two-layer network
in numpy (forward, backward and the SGD update as seed 002 writes them) and in JAX
(``jax.jit`` of ``value_and_grad`` plus the update). Each starts from the reference state
``[w1, w2, x, y]`` of the ``two_layer`` workload. The classifier workloads' versions are in
:mod:`tenkai._bench_classifiers` (numpy, MLPs only) and :mod:`tenkai._bench_jax`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _bench_classifiers

LR = 1e-6  # two_layer's SGD learning rate


def have_jax() -> bool:
    return importlib.util.find_spec("jax") is not None


def make_runner(mode: str, workload: str, reference: list[np.ndarray] | None
                ) -> Callable[[], Any] | None:
    """A zero-argument step returning the loss, or None when there is no such version."""
    if reference is None:
        return None
    if mode == "numpy":
        if workload == "two_layer":
            return numpy_two_layer(*reference)
        return _bench_classifiers.numpy_classifier(workload, reference)
    if mode == "jax" and have_jax():
        if workload == "two_layer":
            return jax_two_layer(*reference)
        from ._bench_jax import jax_classifier
        return jax_classifier(workload, reference)
    return None


def numpy_two_layer(w1: np.ndarray, w2: np.ndarray, x: np.ndarray,
                    y: np.ndarray) -> Callable[[], float]:
    """Seed 002's numpy network: manual forward, backward and SGD update, in float32."""
    w1, w2 = w1.copy(), w2.copy()

    def step() -> float:
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        loss = np.square(y_pred - y).sum()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)
        np.subtract(w1, np.float32(LR) * grad_w1, out=w1)
        np.subtract(w2, np.float32(LR) * grad_w2, out=w2)
        return float(loss)
    return step


def jax_two_layer(w1: np.ndarray, w2: np.ndarray, x: np.ndarray,
                  y: np.ndarray) -> Callable[[], float]:
    """The same step as one ``jax.jit`` function (value_and_grad + SGD)."""
    import jax
    import jax.numpy as jnp

    def loss_fn(a: Any, b: Any, xs: Any, ys: Any) -> Any:
        return jnp.sum((jnp.maximum(xs @ a, 0) @ b - ys) ** 2)

    @jax.jit
    def update(a: Any, b: Any, xs: Any, ys: Any) -> Any:
        loss, (ga, gb) = jax.value_and_grad(loss_fn, argnums=(0, 1))(a, b, xs, ys)
        return loss, a - LR * ga, b - LR * gb

    state = [jnp.asarray(w1), jnp.asarray(w2)]
    xs, ys = jnp.asarray(x), jnp.asarray(y)

    def step() -> float:
        loss, state[0], state[1] = update(state[0], state[1], xs, ys)
        return float(loss)
    return step
