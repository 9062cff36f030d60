"""JAX versions of the classifier workloads (``mlp``, ``mlp_large``, ``overhead``, ``cnn``,
``digits``) for ``tenkai bench --compare jax``: the same model, loss and optimizer written in
``jax.numpy``, the whole step (``value_and_grad`` plus the update) one ``jax.jit`` function, with
PyTorch's update rules (SGD with momentum, Adam with bias correction) so that the loss trajectory
matches tenkai's and PyTorch's step by step.

Each starts from the workload's reference state (:func:`tenkai.bench.reference_state`): the
parameters in the optimizer's order (``Linear``: weight ``(out, in)``, bias; ``Conv2d``: weight
``(out, in, kh, kw)``, bias) followed by the inputs ``x`` and the integer labels ``y``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._bench_classifiers import SPECS, ClassifierSpec


def jax_classifier(workload: str, reference: list[np.ndarray]) -> Callable[[], float] | None:
    """A zero-argument step returning the loss, or None when ``workload`` has no JAX version."""
    spec = SPECS.get(workload)
    if spec is None:
        return None
    import jax
    import jax.numpy as jnp

    params = [jnp.asarray(a) for a in reference[:-2]]
    x, y = jnp.asarray(reference[-2]), jnp.asarray(reference[-1])

    def forward(ps: list[Any], xs: Any) -> Any:
        h, k = xs, 0
        for layer in spec.layers:
            if layer == "conv":
                h = jax.lax.conv_general_dilated(h, ps[k], (1, 1), ((1, 1), (1, 1)),
                                                 dimension_numbers=("NCHW", "OIHW", "NCHW"))
                h, k = h + ps[k + 1][None, :, None, None], k + 2
            elif layer == "linear":
                h, k = h.reshape(h.shape[0], -1) @ ps[k].T + ps[k + 1], k + 2
            elif layer == "relu":
                h = jnp.maximum(h, 0)
            else:  # "pool": MaxPool2d(2)
                h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                          "VALID")
        return h

    def loss_fn(ps: list[Any], xs: Any, ys: Any) -> Any:
        logits = forward(ps, xs)
        picked = jnp.take_along_axis(logits, ys[:, None], axis=1)[:, 0]
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - picked)

    update = jax.jit(_jax_update(jax, jnp, spec, loss_fn), donate_argnums=(0, 1))
    state = [params, _jax_slots(jnp, spec, params), jnp.asarray(0, jnp.int32)]

    def step() -> float:
        loss, state[0], state[1], state[2] = update(state[0], state[1], state[2], x, y)
        return float(loss)
    return step


def _jax_slots(jnp: Any, spec: ClassifierSpec, params: list[Any]) -> list[Any]:
    """Optimizer state: Adam's two moments, or SGD's momentum buffers (none without momentum)."""
    if spec.optim == "adam":
        return [jnp.zeros_like(p) for _ in range(2) for p in params]
    return [jnp.zeros_like(p) for p in params] if spec.momentum else []


def _jax_update(jax: Any, jnp: Any, spec: ClassifierSpec, loss_fn: Any) -> Any:
    lr = spec.lr

    def update(ps: list[Any], slots: list[Any], t: Any, xs: Any, ys: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(ps, xs, ys)
        t, n_p = t + 1, len(ps)
        if spec.optim == "adam":  # torch.optim.Adam, betas (0.9, 0.999), eps 1e-8
            b1, b2, eps = 0.9, 0.999, 1e-8
            tf = t.astype(jnp.float32)
            c1, c2 = 1 - b1 ** tf, 1 - b2 ** tf
            m = [b1 * mi + (1 - b1) * g for mi, g in zip(slots[:n_p], grads, strict=True)]
            v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(slots[n_p:], grads, strict=True)]
            new = [p - (lr / c1) * mi / (jnp.sqrt(vi) / jnp.sqrt(c2) + eps)
                   for p, mi, vi in zip(ps, m, v, strict=True)]
            return loss, new, m + v, t
        if spec.momentum:  # torch.optim.SGD: the first step's buffer is the gradient itself
            bufs = [jnp.where(t == 1, g, spec.momentum * b + g)
                    for b, g in zip(slots, grads, strict=True)]
            return loss, [p - lr * b for p, b in zip(ps, bufs, strict=True)], bufs, t
        return loss, [p - lr * g for p, g in zip(ps, grads, strict=True)], slots, t
    return update
