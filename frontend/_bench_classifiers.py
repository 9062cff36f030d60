"""The classifier workloads of ``tenkai bench`` described as data (layers, optimizer), for the
comparison runs written outside tenkai and PyTorch: numpy by hand (this module: forward,
backward and PyTorch's update rules written out) and JAX (:mod:`tenkai._bench_jax`).

The descriptions must match :data:`tenkai.bench.WORKLOADS`; ``tenkai bench`` checks every
run's loss trajectory against tenkai compiled's, so a mismatch shows up as a FAIL line, and
``tests/frontend/test_bench_others.py`` trains each version beside tenkai eager.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ClassifierSpec:
    layers: tuple[str, ...]  # "linear" | "relu" | "conv" (3x3, padding 1) | "pool" (MaxPool2d 2)
    optim: str  # "sgd" | "adam"
    lr: float
    momentum: float = 0.0


def _mlp_layers(depth: int) -> tuple[str, ...]:
    return ("linear", "relu") * (depth - 1) + ("linear",)


SPECS = {
    "mlp": ClassifierSpec(_mlp_layers(3), "sgd", 0.01, momentum=0.9),
    "mlp_large": ClassifierSpec(_mlp_layers(3), "adam", 1e-3),
    "overhead": ClassifierSpec(_mlp_layers(1), "sgd", 0.01),
    "digits": ClassifierSpec(_mlp_layers(2), "adam", 1e-2),
    "cnn": ClassifierSpec(("conv", "relu", "pool", "conv", "relu", "pool", "linear"), "sgd",
                          0.01),
}


def numpy_classifier(workload: str, reference: list[np.ndarray]) -> Callable[[], float] | None:
    """The MLP workloads in numpy by hand (float32), or None (no numpy version: the CNN)."""
    spec = SPECS.get(workload)
    if spec is None or "conv" in spec.layers:
        return None
    params = [np.array(a, dtype=np.float32, copy=True) for a in reference[:-2]]
    x, y = np.asarray(reference[-2], np.float32), np.asarray(reference[-1]).astype(np.int64)
    n = x.shape[0]
    rows = np.arange(n)
    update = _numpy_update(spec, params)

    def step() -> float:
        hs = [x]  # the input of every Linear
        for k in range(0, len(params), 2):
            z = hs[-1] @ params[k].T + params[k + 1]
            if k + 2 < len(params):
                hs.append(np.maximum(z, 0))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, y]))
        g = e / s
        g[rows, y] -= 1
        g /= np.float32(n)
        grads: list[np.ndarray] = [np.empty(0)] * len(params)
        for k in range(len(params) - 2, -1, -2):
            h = hs[k // 2]
            grads[k], grads[k + 1] = g.T @ h, g.sum(axis=0)
            if k:
                g = (g @ params[k]) * (h > 0)
        update(grads)
        return loss
    return step


def _numpy_update(spec: ClassifierSpec, params: list[np.ndarray]
                  ) -> Callable[[list[np.ndarray]], None]:
    """PyTorch's update rule in place: SGD (momentum buffers start as the first gradient) or
    Adam (betas 0.9, 0.999, eps 1e-8, bias-corrected)."""
    lr = np.float32(spec.lr)
    slots: list[np.ndarray] = []
    t = [0]

    def sgd(grads: list[np.ndarray]) -> None:
        if spec.momentum:
            if not slots:
                slots.extend(g.copy() for g in grads)
            else:
                for b, g in zip(slots, grads, strict=True):
                    b *= np.float32(spec.momentum)
                    b += g
            grads = slots
        for p, g in zip(params, grads, strict=True):
            p -= lr * g

    def adam(grads: list[np.ndarray]) -> None:
        if not slots:
            slots.extend(np.zeros_like(p) for p in params * 2)
        t[0] += 1
        c1, c2 = 1 - 0.9 ** t[0], 1 - 0.999 ** t[0]
        for p, m, v, g in zip(params, slots[:len(params)], slots[len(params):], grads,
                              strict=True):
            m *= np.float32(0.9)
            m += np.float32(0.1) * g
            v *= np.float32(0.999)
            v += np.float32(0.001) * g * g
            p -= np.float32(spec.lr / c1) * m / (np.sqrt(v) / np.float32(np.sqrt(c2))
                                                 + np.float32(1e-8))
    return adam if spec.optim == "adam" else sgd
