"""``tenkai.trace`` of a first training step, one that creates optimizer state
(frontend/compiler/staged.py): the call is the eager first step, the graph is the steady-state
step traced from one more call whose effects are undone. Compiled and run, the staged program
then gives what the eager steps 2, 3, ... give (losses, parameters, optimizer state), and the
cuda target generates PTX for it."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import tenkai
from tenkai import nn
from tenkai.codegen.nvptx.toolkit import find_ptxas
from tenkai.compile import UntraceableError

STEPS = 5


class Elementwise(nn.Module):
    """A model without matmul (the cuda target lowers elementwise ops and reductions)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(tenkai.linspace(-1.0, 1.0, 300))
        self.b = nn.Parameter(tenkai.zeros(1))

    def forward(self, x: tenkai.Tensor) -> tenkai.Tensor:
        return tenkai.tanh(x * self.w).sum(1) + self.b


def make(kind: str, model_kind: str = "mlp", dropout: bool = False):
    tenkai.manual_seed(0)
    if model_kind == "mlp":
        layers = [nn.Linear(6, 16), nn.Tanh()] + ([nn.Dropout(0.3)] if dropout else []) + \
            [nn.Linear(16, 3)]
        model = nn.Sequential(*layers)
    else:
        model = Elementwise()
    opt = (tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9) if kind == "sgd"
           else tenkai.optim.Adam(model.parameters(), lr=0.01))
    calls = [0]

    def step(x, y):
        calls[0] += 1
        opt.zero_grad()
        out = model(x)
        if model_kind == "mlp":
            loss = nn.functional.cross_entropy(out, y)
        else:
            loss = ((out - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss
    return model, opt, step, calls


def data(model_kind: str) -> list[tuple[tenkai.Tensor, tenkai.Tensor]]:
    rng = np.random.default_rng(1)
    if model_kind == "mlp":
        return [(tenkai.tensor(rng.standard_normal((5, 6)).astype(np.float32)),
                 tenkai.tensor(rng.integers(0, 3, 5))) for _ in range(STEPS)]
    return [(tenkai.tensor(rng.standard_normal((64, 300)).astype(np.float32)),
             tenkai.tensor(rng.standard_normal(64).astype(np.float32))) for _ in range(STEPS)]


def state(model, opt) -> list[np.ndarray]:
    out = [p.detach().numpy().copy() for p in model.parameters()]
    out += [p.grad.numpy().copy() for p in model.parameters()]
    for p in model.parameters():
        out += [np.asarray(v.numpy()).copy() for _, v in sorted(opt.state[p].items())]
    return out


def close(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("dropout", [False, True])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_staged_first_step_matches_eager_step_by_step(kind: str, dropout: bool) -> None:
    batches = data("mlp")
    m_ref, o_ref, s_ref, _ = make(kind, dropout=dropout)
    ref_losses, ref_states = [], []
    for x, y in batches:
        ref_losses.append(float(s_ref(x, y)))
        ref_states.append(state(m_ref, o_ref))

    model, opt, step, calls = make(kind, dropout=dropout)
    assert not opt.state
    traced = tenkai.trace(step, *batches[0])
    assert calls[0] == 2  # the eager first step, then the steady-state trace (undone)
    # afterwards everything is as the eager first step left it: the state tensors exist
    expected = {"sgd": ["momentum_buffer"], "adam": ["exp_avg", "exp_avg_sq", "step"]}[kind]
    assert all(sorted(opt.state[p]) == expected for p in model.parameters())
    close(state(model, opt), ref_states[0])
    if kind == "adam":
        assert float(opt.state[next(model.parameters())]["step"]) == 1.0
    exe = traced.compile()
    for k in range(1, STEPS):
        loss = exe(*batches[k])
        assert float(loss) == pytest.approx(ref_losses[k], rel=2e-5)
        close(state(model, opt), ref_states[k])
    assert calls[0] == 2  # the replays run no Python


def test_a_step_with_existing_state_is_traced_once() -> None:
    batches = data("mlp")
    model, opt, step, calls = make("sgd")
    step(*batches[0])
    calls[0] = 0
    before = state(model, opt)
    tenkai.trace(step, *batches[1])
    assert calls[0] == 1
    assert not all(np.array_equal(a, b) for a, b in zip(before, state(model, opt), strict=True))


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_first_step_trace_lowers_to_ptx(kind: str, tmp_path) -> None:
    batches = data("elementwise")
    m_ref, o_ref, s_ref, _ = make(kind, "elementwise")
    ref = [float(s_ref(x, y)) for x, y in batches[:3]]
    model, opt, step, _ = make(kind, "elementwise")
    traced = tenkai.trace(step, *batches[0])
    ptx = traced.lower(target="cuda").as_text("ptx")
    assert ".visible .entry" in ptx
    if kind == "adam":  # the optimizer update is in the kernels: Adam's sqrt
        assert "sqrt" in ptx
    if find_ptxas():
        path = tmp_path / "step.ptx"
        path.write_text(ptx)
        run = subprocess.run([find_ptxas(), "-arch=sm_80", str(path), "-o", "/dev/null"],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    exe = traced.compile()  # the same steady-state graph on the CPU, against eager
    assert [float(exe(x, y)) for x, y in batches[1:3]] == pytest.approx(ref[1:], rel=2e-5)


def test_untraceable_first_step_names_the_problem() -> None:
    model, opt, step, _ = make("sgd")
    x, y = data("mlp")[0]

    def bad(x, y):
        loss = step(x, y)
        return loss.item() + 1.0

    with pytest.raises(UntraceableError, match="bad cannot be traced"):
        tenkai.trace(bad, x, y)
