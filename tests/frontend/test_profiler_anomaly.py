"""``tenkai.profiler`` / ``tenkai.autograd.profiler`` and anomaly mode, as PyTorch has them."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import tenkai as torch
from tenkai.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule


def _model_step() -> None:
    m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    with record_function("model_inference"):
        y = m(torch.randn(4, 8)).sum()
    y.backward()


def test_profile_records_ops_backward_and_ranges_with_self_times() -> None:
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        _model_step()
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["model_inference"].count == 1
    assert avg["tenkai::matmul"].count == 2  # two Linear layers
    assert "autograd::engine::evaluate_function: ReluBackward0" in avg
    outer = avg["model_inference"]
    # the range's self time is its total minus the ops inside it
    inside = sum(e.cpu_time_total for e in prof.events() if e.depth == 1)
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - inside, abs=1e-3)
    assert outer.cpu_time_total >= avg["tenkai::matmul"].cpu_time_total
    shapes = {str(e.input_shapes) for e in prof.key_averages(group_by_input_shape=True)
              if e.key == "tenkai::matmul"}
    assert shapes == {"[[4, 8], [8, 16]]", "[[4, 16], [16, 2]]"}


def test_table_looks_like_pytorchs() -> None:
    with profile(profile_memory=True) as prof:
        _model_step()
    text = prof.key_averages().table(sort_by="cpu_time_total", row_limit=3)
    lines = text.splitlines()
    assert lines[1].split() == ["Name", "Self", "CPU", "%", "Self", "CPU", "CPU", "total", "%",
                                "CPU", "total", "CPU", "time", "avg", "CPU", "Mem", "Self",
                                "CPU", "Mem", "#", "of", "Calls"]
    assert len([ln for ln in lines if ln.startswith("-")]) == 3
    assert len(lines) == 3 + 3 + 2  # header block, 3 rows, rule, total
    assert lines[-1].startswith("Self CPU time total: ")
    start = len(lines[0].split("  ")[0]) + 2 + 3 * 14  # "CPU total": the 5th column
    totals = [ln[start:start + 12].strip() for ln in lines[3:6]]  # sorted: largest first
    as_us = [float(t[:-2]) * {"us": 1, "ms": 1e3}[t[-2:]] if t[-2:] in ("us", "ms")
             else float(t[:-1]) * 1e6 for t in totals]
    assert as_us == sorted(as_us, reverse=True)
    with pytest.raises(AttributeError):
        prof.key_averages().table(sort_by="no_such_key")


def test_nothing_is_recorded_outside_the_profiler_and_ranges_are_free() -> None:
    with profile() as prof:
        pass
    _model_step()
    assert len(prof.events()) == 0
    with record_function("alone"):  # no profiler: a no-op
        torch.ones(2) + 1


def test_schedule_records_only_active_steps_and_saves_each_cycle(tmp_path) -> None:
    sched = schedule(wait=1, warmup=1, active=2, repeat=2)
    assert [sched(i) for i in range(9)] == [
        ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD,
        ProfilerAction.RECORD_AND_SAVE, ProfilerAction.NONE, ProfilerAction.WARMUP,
        ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE, ProfilerAction.NONE]
    saved: list[int] = []

    def ready(p: profile) -> None:
        saved.append(sum(1 for e in p.events() if e.name == "step"))

    with profile(schedule=sched, on_trace_ready=ready) as prof:
        for _ in range(9):
            with record_function("step"):
                torch.ones(3) * 2
            prof.step()
    assert saved == [2, 2]  # the two active steps of each cycle, warm-up thrown away
    handler = torch.profiler.tensorboard_trace_handler(str(tmp_path))
    with profile() as prof:
        torch.ones(3) + 1
    handler(prof)
    (trace,) = tmp_path.glob("*.pt.trace.json")
    names = [e["name"] for e in json.loads(trace.read_text())["traceEvents"]]
    assert names == ["tenkai::add"]


def test_autograd_profiler_legacy_entry_points() -> None:
    with torch.autograd.profiler.profile(record_shapes=True) as prof, \
            torch.autograd.profiler.record_function("block"):
        torch.randn(3, 3) @ torch.randn(3, 3)
    assert "block" in prof.table()
    assert prof.total_average().count == len(prof.events())
    assert prof.self_cpu_time_total > 0


def test_anomaly_mode_names_the_backward_function_that_made_nan() -> None:
    a = torch.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = torch.autograd.detect_anomaly()
    with mode:
        assert torch.is_anomaly_enabled() if hasattr(torch, "is_anomaly_enabled") else True
        y = (a / a).sum()  # 0/0 in the forward: its backward is nan
        with pytest.raises(RuntimeError, match="Function 'DivBackward0' returned nan values") \
                as err:
            y.backward()
    assert "test_profiler_anomaly.py" in str(err.value)  # the forward call's traceback
    assert not torch.autograd.anomaly_mode.is_anomaly_enabled()
    b = torch.tensor([0.0, 1.0], requires_grad=True)
    (b / b).sum().backward()  # outside anomaly mode: nan gradients, no error (as PyTorch)
    assert np.isnan(b.grad.numpy()[0])


def test_set_detect_anomaly_and_check_nan_off() -> None:
    a = torch.tensor([0.0], requires_grad=True)
    with torch.autograd.set_detect_anomaly(True, check_nan=False):
        assert torch.autograd.anomaly_mode.is_anomaly_enabled()
        (a / a).sum().backward()  # checking nan is off
    assert not torch.autograd.anomaly_mode.is_anomaly_enabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @torch.autograd.detect_anomaly()
        def run() -> None:
            c = torch.tensor([0.0], requires_grad=True)
            (c / c).sum().backward()
        with pytest.raises(RuntimeError, match="DivBackward0"):
            run()


@pytest.mark.torch
def test_key_averages_agree_with_pytorch_on_what_was_called() -> None:
    pt = pytest.importorskip("torch")
    with pt.profiler.profile() as p_prof, pt.profiler.record_function("model_inference"):
        pt.ones(2) + 1
    with profile() as t_prof, record_function("model_inference"):
        torch.ones(2) + 1
    p = {e.key: e.count for e in p_prof.key_averages()}
    t = {e.key: e.count for e in t_prof.key_averages()}
    assert p["model_inference"] == t["model_inference"] == 1
    # PyTorch's table and tenkai's share the header line
    assert p_prof.key_averages().table().splitlines()[1].split() == \
        t_prof.key_averages().table().splitlines()[1].split()
