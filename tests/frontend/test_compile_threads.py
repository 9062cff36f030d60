"""Thread safety of tenkai.compile and warnings about Python side effects inside a trace."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
from compile_harness import data, make, mse_step

import tenkai
from tenkai import _trace
from tenkai._side_effects import SideEffectWarning
from tenkai.compile import UntraceableError


@pytest.mark.parametrize("backend", ["interp", "tenkai"])
def test_two_threads_share_one_compiled_step(backend: str) -> None:
    batches = data(1)
    model2, opt2 = make()
    fn = tenkai.compile(mse_step(model2, opt2), backend=backend)
    errors: list[BaseException] = []

    def worker(part: list) -> None:
        try:
            for x, y in part:
                fn(x, y)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    # the same gradient for every batch makes the result independent of the interleaving
    same = [batches[0]] * 12
    model, opt = make()
    serial = mse_step(model, opt)
    for x, y in same:
        serial(x, y)
    threads = [threading.Thread(target=worker, args=(same[k::2],)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert fn.stats["traces"] + fn.stats["replays"] == 12
    for (name, a), b in zip(model.state_dict().items(), model2.state_dict().values(),
                            strict=True):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_eager_work_on_another_thread_is_not_recorded() -> None:
    started, release = threading.Event(), threading.Event()
    seen: list = []

    def handshake() -> None:  # (called, not watched: the trace stays compiled)
        started.set()
        release.wait(5)

    def other() -> None:
        started.wait(5)
        seen.append(_trace.active())
        tenkai.ones(4).mul(3).sum()  # eager work while the main thread traces
        release.set()

    def step(x):
        handshake()
        return x * 2

    fn = tenkai.compile(step, backend="interp")
    t = threading.Thread(target=other)
    t.start()
    fn(tenkai.ones(2))
    t.join()
    assert seen == [None]
    ops = [fn.steps[0].graph.op(n) for n in fn.steps[0].graph.topo_order()]
    assert "sum" not in ops and ops.count("mul") == 1


LOG: list = []
COUNT = 0


def test_side_effects_make_the_function_run_eagerly_with_their_lines(capsys) -> None:
    """A replay would skip them (the log would stop growing), so the function runs eagerly
    from the first call on and every effect happens on every call, as uncompiled."""
    def step(x):
        global COUNT
        print("tracing")
        LOG.append(1)
        COUNT += 1
        return x + 1

    fn = tenkai.compile(step, backend="interp")
    with pytest.warns(SideEffectWarning) as record:
        fn(tenkai.ones(2))
    assert len(record) == 1
    message = str(record[0].message)
    for line in ('print("tracing")', "LOG.append(1)", "COUNT += 1", "would NOT repeat",
                 "runs eagerly", "move them outside"):
        assert line in message
    assert fn.eager_only and not fn.steps
    out = fn(tenkai.ones(2))  # eager: every effect again, no second warning
    np.testing.assert_array_equal(out.numpy(), [2.0, 2.0])
    assert LOG == [1, 1] and COUNT == 2 and capsys.readouterr().out == "tracing\ntracing\n"


def test_side_effects_with_fullgraph_are_an_error() -> None:
    def step(x):
        LOG.append(1)
        return x + 1

    fn = tenkai.compile(step, backend="interp", fullgraph=True)
    with pytest.raises(UntraceableError, match=r"LOG\.append\(1\)"):
        fn(tenkai.ones(2))


def test_module_attribute_change_warns() -> None:
    class Counting(tenkai.nn.Linear):
        def forward(self, x):
            self.calls = self.calls + 1
            return super().forward(x)

    m = Counting(2, 2)
    m.calls = 0
    fn = tenkai.compile(lambda x: m(x).sum(), backend="interp")
    with pytest.warns(SideEffectWarning, match=r"self\.calls = self\.calls \+ 1"):
        fn(tenkai.ones(1, 2))


@pytest.mark.parametrize("as_argument", [False, True])
def test_a_module_attribute_set_and_restored_is_no_side_effect(as_argument: bool) -> None:
    # ``with ddp.no_sync():`` inside a step: the module first runs with the flag changed, but
    # the call leaves it as it found it, so replays mean what eager calls mean
    m = tenkai.nn.Linear(2, 2)
    m.sync = True

    def step(x, mod):
        mod.sync = False
        y = mod(x).sum()
        mod.sync = True
        return y

    fn = tenkai.compile(step if as_argument else (lambda x: step(x, m)), backend="interp")
    call = (lambda x: fn(x, m)) if as_argument else fn
    with warnings.catch_warnings():
        warnings.simplefilter("error", SideEffectWarning)
        for k in range(3):
            np.testing.assert_allclose(call(tenkai.ones(1, 2) * k).item(),
                                       m(tenkai.ones(1, 2) * k).sum().item(), rtol=1e-6)
    assert fn.stats["replays"] == 2 and fn.stats["eager_calls"] == 0, fn.stats


def test_a_module_attribute_left_changed_is_a_side_effect() -> None:
    m = tenkai.nn.Linear(2, 2)
    m.sync = True

    def step(x):
        m.sync = False
        return m(x).sum()

    fn = tenkai.compile(step, backend="interp")
    with pytest.warns(SideEffectWarning, match=r"'sync' \(True -> False\)"):
        fn(tenkai.ones(1, 2))
    m.sync = True
    fn(tenkai.ones(1, 2))
    assert m.sync is False and fn.stats["replays"] == 0 and fn.stats["eager_calls"] == 1, \
        fn.stats


def test_scheduler_stepped_inside_the_step_warns_and_leaves_plain_floats() -> None:
    w = tenkai.nn.Parameter(tenkai.ones(2))
    opt = tenkai.optim.SGD([w], lr=0.1)
    sched = tenkai.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    def step(x):
        opt.zero_grad()
        (w * x).sum().backward()
        opt.step()
        sched.step()
        return w.sum()

    fn = tenkai.compile(step, backend="interp")
    with pytest.warns(SideEffectWarning,
                      match=r"last_epoch \(0 -> 1\), _step_count \(1 -> 2\) of StepLR"):
        fn(tenkai.ones(2))
    assert type(opt.param_groups[0]["lr"]) is float and opt.param_groups[0]["lr"] == 0.05
    fn(tenkai.ones(2))  # the scheduler keeps stepping, as uncompiled (a replay would not)
    assert opt.param_groups[0]["lr"] == 0.025 and sched.last_epoch == 2
    np.testing.assert_allclose(w.detach().numpy(), [1 - 0.1 - 0.05] * 2)


def test_tracing_under_cprofile_keeps_the_profiler() -> None:
    """``python -m cProfile train.py``: the side-effect hook replaces cProfile's for the
    trace only; the profiler is active again afterwards (it used to raise a TypeError:
    cProfile's object is not a callable hook) and effects are still found under it."""
    import cProfile
    import pstats
    import sys

    def after_trace():
        return 1

    def noisy(x):
        print("tracing")
        return x + 1

    model = tenkai.nn.Linear(5, 3)
    fn = tenkai.compile(mse_step(model, tenkai.optim.SGD(model.parameters(), lr=0.1)),
                        backend="interp")
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn(*data(1)[0])
        assert sys.getprofile() is profiler
        with pytest.warns(SideEffectWarning, match=r'print\("tracing"\)'):
            tenkai.compile(noisy, backend="interp")(tenkai.ones(2))
        assert sys.getprofile() is profiler
        after_trace()
    finally:
        profiler.disable()
    names = {func[2] for func in pstats.Stats(profiler).stats}
    assert "after_trace" in names and len(fn.steps) == 1


def test_the_watch_is_off_inside_ops_and_on_between_them(monkeypatch) -> None:
    """An op's dispatch runs no user code, so the side-effect hook is off for its duration
    (its every call and return cost the trace); effects between and after ops are found."""
    import sys

    from tenkai import _ops

    seen = []

    def provider(op, opdef, full, datas):
        if op != "exp":
            return None

        def run(x):
            seen.append(sys.getprofile())
            return np.exp(x)
        return run
    monkeypatch.setattr(_ops, "EAGER_PROVIDERS", [provider, *_ops.EAGER_PROVIDERS])
    log = []

    def step(x):
        y = (x * 2).exp()
        log.append(1)
        y = y.exp() + 1
        print("after the ops")
        return y

    with pytest.warns(SideEffectWarning) as record:
        tenkai.compile(step, backend="interp")(tenkai.ones(7, 3))
    message = str(record[0].message)
    assert "log.append(1)" in message and 'print("after the ops")' in message
    assert seen == [None, None]  # two exp calls, each with the hook off
    assert sys.getprofile() is None
