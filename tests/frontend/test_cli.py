"""The ``tenkai`` command line: a few runs through ``python -m tenkai`` in a subprocess (as the
console script runs it), the rest through ``tenkai.cli.main`` in-process to stay fast."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tenkai import _bench_report, bench, cli
from tenkai._cli_stages import dump_all
from tenkai._cli_target import build

MODEL = textwrap.dedent('''
    import tenkai as torch
    import tenkai.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(16, 4)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))


    def make_net():
        return Net()


    tiny = nn.Sequential(nn.Linear(2, 1), nn.Tanh())


    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            y = self.fc(x)
            if y.sum().item() > 0:
                y = y * 2
            return y
''')


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL)
    return str(path)


def tenkai_cmd(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tenkai", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_console_script_help_and_trace(model_file) -> None:
    helped = tenkai_cmd("--help")
    assert helped.returncode == 0
    for command in ("demo", "trace", "dump", "viz", "report", "bench", "cache"):
        assert command in helped.stdout
    run = tenkai_cmd("trace", f"{model_file}:Net", "--input", "4,8", "--train", "--optim",
                     "adam")
    assert run.returncode == 0, run.stderr
    assert "ops by kind: contraction" in run.stdout
    assert "parameters and buffers: 4 tensors, 212 elements" in run.stdout
    assert "memory plan train_step" in run.stdout
    assert "graph train_step(arg0: f32[4,8], arg1: i64[4]" in run.stdout


def test_console_script_names_a_bad_argument(model_file) -> None:
    run = tenkai_cmd("trace", f"{model_file}:Nope", "--input", "4,8")
    assert run.returncode == 2
    assert "defines no 'Nope'; candidates: Net, make_net, tiny, Branchy" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("command", ["demo", "trace", "dump", "viz", "report", "bench", "cache"])
def test_every_command_has_help_with_an_example(command, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and f"tenkai {command}" in out


@pytest.mark.parametrize("args, code, message", [
    (["trace", "missing.py:Net", "--input", "4,8"], 2, "no such file 'missing.py'"),
    (["trace", "{m}:Net"], 2, "give the example input shape(s), e.g. --input 64,784"),
    (["trace", "{m}:Net", "--input", "4,x"], 2, "--input '4,x': expected a shape"),
    (["trace", "{m}:Net", "--input", "4,7"], 1, "rejected the input(s) f32[4,7]: ShapeError"),
    (["trace", "{m}:Net", "--input", "4,7"], 1, "command: tenkai"),
    (["trace", "model.onnx", "--input", "4,8"], 2, "no such file 'model.onnx'"),
    (["trace", "{m}:Net", "--input", "4,8", "--weights", "w.pt"], 2, "--weights w.pt: no such"),
    (["trace", "resnet"], 2, "built-in workload: two_layer"),
    (["dump", "one_neuron", "--stage", "ptx"], 2, "needs the GPU (NVPTX) target"),
    (["dump", "one_neuron", "--all"], 2, "--all writes one file per stage"),
    (["viz", "one_neuron", "-o", "x.jpeg"], 2, "expected one of .svg, .png"),
    (["viz", "one_neuron", "--stage", "autograd", "-o", "x.dot"], 2, "needs a model file"),
    (["bench", "two_layer", "--compare", "tf"], 2, "--compare tf: expected names"),
    (["bench", "nope"], 2, "unknown workload(s) ['nope']"),
])
def test_bad_arguments_are_named(args, code, message, model_file, capsys) -> None:
    assert cli.main([a.format(m=model_file) for a in args]) == code
    assert message in capsys.readouterr().err


def test_untraceable_report_lists_every_site(model_file, capsys) -> None:
    assert cli.main(["trace", f"{model_file}:Branchy", "--input", "3,4", "--untraceable"]) == 1
    out = capsys.readouterr().out
    assert "cannot be traced" in out and "1. " in out and ".item()" in out
    assert cli.main(["trace", f"{model_file}:tiny", "--input", "3,2", "--untraceable"]) == 0
    assert "every construct can be traced" in capsys.readouterr().out


def test_dump_one_stage(model_file, tmp_path, capsys) -> None:
    assert cli.main(["dump", "one_neuron", "--stage", "fused"]) == 0
    assert "= group 0 " in capsys.readouterr().out
    out = tmp_path / "k.txt"
    assert cli.main(["dump", f"{model_file}:make_net", "--input", "2,8", "--stage", "kernels",
                     "-o", str(out)]) == 0
    assert "kernel k0_" in out.read_text()


def test_dump_all_and_repro_rebuild_the_step(model_file, tmp_path) -> None:
    target = build(f"{model_file}:Net", ["4,8"], train=True, optim="momentum")
    target.step(*target.args)
    import tenkai

    traced = tenkai.trace(target.step, *target.args)
    files = dump_all(traced, target.args, str(tmp_path / "d"), target.label)
    names = sorted(os.path.basename(f) for f in files)
    assert names[:3] == ["00_traced.txt", "01_backward.txt", "02_simplified.txt"]
    assert {"06_kernels.txt", "09_asm.s", "repro.py", "repro_inputs.npz"} <= set(names)
    assert "define " in (tmp_path / "d" / "07_llvm.ll").read_text()
    outputs = runpy.run_path(str(tmp_path / "d" / "repro.py"))["main"]()
    # the repro reads the state after the traced step: its loss is the next step's loss
    np.testing.assert_allclose(float(outputs[0]), target.step(*target.args).item(), rtol=1e-5)


def test_viz_writes_each_format(model_file, tmp_path, capsys) -> None:
    pytest.importorskip("graphviz")
    assert cli.main(["viz", "one_neuron", "-o", str(tmp_path / "f.dot")]) == 0
    assert "cluster_memory" in (tmp_path / "f.dot").read_text()
    assert cli.main(["viz", "one_neuron", "--stage", "traced", "-o",
                     str(tmp_path / "t.graphml")]) == 0
    assert cli.main(["viz", f"{model_file}:tiny", "--input", "1,2", "--stage", "autograd",
                     "-o", str(tmp_path / "a.dot")]) == 0
    assert "TanhBackward0" in (tmp_path / "a.dot").read_text()
    assert cli.main(["viz", f"{model_file}:Net", "--input", "3,8", "--train", "--stage",
                     "autograd", "-o", str(tmp_path / "loss.dot")]) == 0
    loss_graph = (tmp_path / "loss.dot").read_text()
    assert "fc1.weight\n (16, 8)" in loss_graph and "AccumulateGrad" in loss_graph
    if shutil.which("dot"):
        assert cli.main(["viz", "one_neuron", "-o", str(tmp_path / "f.svg")]) == 0
        assert (tmp_path / "f.svg").read_text().lstrip().startswith("<?xml")


def test_bench_compares_runs_and_writes_json(tmp_path, capsys) -> None:
    out = tmp_path / "b.json"
    assert cli.main(["bench", "one_neuron", "--steps", "3", "--repeats", "1", "--trajectory",
                     "4", "--compare", "eager,numpy,jax", "--json", str(out), "--quiet",
                     "--batch", "6"]) == 0
    text = capsys.readouterr().out
    assert "ok   one_neuron eager: 4 losses match tenkai compiled" in text
    assert "skipped one_neuron numpy: no numpy version of one_neuron" in text
    data = json.loads(out.read_text())
    modes = {r["mode"]: r for r in data["results"]}
    assert set(modes) == {"compiled", "eager"}
    assert modes["compiled"]["kernels"] == len(modes["compiled"]["kernel_table"]) > 0
    assert modes["compiled"]["retraces"] == 0
    assert np.allclose(modes["compiled"]["losses"], modes["eager"]["losses"], rtol=1e-4)


def test_bench_eager_ops_table_and_json(tmp_path, capsys) -> None:
    out = tmp_path / "e.json"
    assert cli.main(["bench", "--eager-ops", "--sizes", "1,100", "--ops", "add,stack 32,item",
                     "--repeats", "1", "--threads", "1", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split() == ["op", "size", "tenkai", "us", "torch", "us",
                                            "ratio"]
    rows = json.loads(out.read_text())["eager_ops"]
    assert [(r["op"], r["size"]) for r in rows] == [("add", 1), ("add", 100),
                                                     ("stack 32", None), ("item", None)]
    assert all(r["tenkai"] > 0 for r in rows)
    if "torch" in rows[0]:
        assert "within 1.5x of PyTorch eager" in text
        assert all(r["ratio"] == pytest.approx(r["tenkai"] / r["torch"]) for r in rows)
    assert cli.main(["bench", "--eager-ops", "--ops", "nope"]) == 2


def test_legacy_bench_invocation_still_works(capsys) -> None:
    assert cli.main(["bench", "overhead", "--mode", "compiled", "--threads", "1", "--steps",
                     "2", "--repeats", "1", "--no-torch", "--quiet"]) == 0
    assert "overhead   compiled" in capsys.readouterr().out


def test_a_divergent_run_is_a_failure(monkeypatch, capsys) -> None:
    def fake(workloads, modes, plan, progress=None):
        good = bench.Result("w", "compiled", 1.0, 1.0, 0.5, losses=[1.0, 0.8, 0.6])
        bad = bench.Result("w", "torch", 2.0, 1.0, 0.5, losses=[1.0, 0.8, 0.9])
        return [good, bad], []
    monkeypatch.setattr(bench, "run_all", fake)
    monkeypatch.setitem(bench.WORKLOADS, "w", bench.WORKLOADS["one_neuron"])
    assert cli.main(["bench", "w", "--quiet"]) == 1
    assert "FAIL w torch: loss diverges from tenkai compiled at step 2: 0.9 vs 0.6" in \
        capsys.readouterr().out


@pytest.mark.slow  # importing matplotlib takes seconds
def test_bench_plot(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    results = [bench.Result("w", m, t, 1.0, 0.5, 0.2, t * 0.9, t * 1.1, [1.0, 0.7])
               for m, t in (("compiled", 0.1), ("eager", 2.0))]
    _bench_report.plot(str(tmp_path / "p.png"), results)
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_cache_list(tmp_path, capsys) -> None:
    assert cli.main(["cache", "list", "--dir", str(tmp_path)]) == 0
    assert f"0 entries in {tmp_path}" in capsys.readouterr().out


def test_demo_and_report(tmp_path, capsys) -> None:
    assert cli.main(["demo", "one_neuron", "--steps", "3", "-o", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "compiled" in out and "kernels per step" in out and "(match eager)" in out
    assert (tmp_path / "demo" / "dump" / "repro.py").exists()
    if "not drawn" not in out:
        assert (tmp_path / "demo" / "report.html").exists()
    assert cli.main(["report", "one_neuron", "-o", str(tmp_path / "r.html")]) == 0
    assert "<h2 id=\"kernels\">" in (tmp_path / "r.html").read_text()


def test_progress_bars_only_on_a_terminal(monkeypatch) -> None:
    pytest.importorskip("tqdm")
    import io

    import tenkai

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert _bench_report.progress_factory(False, 2, 1) is None  # pytest's stderr: no TTY
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert _bench_report.progress_factory(True, 2, 1) is None  # --quiet
    update = _bench_report.progress_factory(False, 2, 1)("w", "compiled")
    monkeypatch.setenv("TENKAI_CACHE", "0")  # a real compile, so every stage reports
    x = tenkai.ones(3, requires_grad=True)
    with _bench_report.compile_progress("w", True):
        tenkai.compile(lambda a: (a * 2).sum())(x)
    update(2, 0.25)
    shown = sys.stderr.getvalue()
    assert "compile w" in shown and "plan_memory" in shown and "jit" in shown
    assert "w compiled" in shown and "loss=0.25" in shown


def test_cache_info_list_explain_clear(tmp_path, monkeypatch) -> None:
    import tenkai

    monkeypatch.setenv("TENKAI_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.delenv("TENKAI_CACHE", raising=False)
    tenkai.compile(lambda a: (a * 3 - 1).sum())(tenkai.ones(5, requires_grad=True))
    runs = {action: tenkai_cmd("cache", action) for action in ("info", "list", "explain")}
    assert all(run.returncode == 0 for run in runs.values()), runs
    assert f"dir: {tmp_path / 'c'}\nentries: 1 " in runs["info"].stdout
    assert f"1 entries in {tmp_path / 'c'}" in runs["list"].stdout
    assert "x86_64" in runs["list"].stdout or "aarch64" in runs["list"].stdout
    assert "last lookup" in runs["explain"].stdout  # recorded by this process, read by that one
    assert cli.main(["cache", "clear"]) == 0
    assert cli.main(["cache", "info", "--dir", str(tmp_path / "c")]) == 0
    assert not list((tmp_path / "c").glob("*.tkc"))


def test_digits_workload_needs_scikit_learn_or_runs(capsys) -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        assert cli.main(["bench", "digits", "--mode", "compiled", "--steps", "1", "--repeats",
                         "1", "--quiet"]) == 0  # a missing optional package is not fatal
        assert "skipped digits: needs scikit-learn" in capsys.readouterr().out
        assert cli.main(["trace", "digits"]) == 2
        assert "pip install 'tenkai[digits]'" in capsys.readouterr().err
    else:
        assert cli.main(["bench", "digits", "--mode", "eager", "--mode", "compiled", "--steps",
                         "2", "--repeats", "1", "--trajectory", "3", "--quiet"]) == 0
        assert "ok   digits eager: 3 losses match tenkai compiled" in capsys.readouterr().out


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_viz_renders_png_and_pdf(fmt, magic, model_file, tmp_path) -> None:
    pytest.importorskip("graphviz")
    if not shutil.which("dot"):
        pytest.skip("Graphviz's dot program is not installed")
    from tenkai import viz

    target = build(f"{model_file}:tiny", ["1,2"])
    picture = viz.make_dot(target.step(*target.args), params=target.params)
    assert picture.render(str(tmp_path / "net"), format=fmt) == str(tmp_path / f"net.{fmt}")
    assert (tmp_path / f"net.{fmt}").read_bytes().startswith(magic)
    out = tmp_path / f"fused.{fmt}"
    assert cli.main(["viz", "one_neuron", "-o", str(out)]) == 0
    assert out.read_bytes().startswith(magic)


def test_bench_a_model_file(model_file, tmp_path, capsys) -> None:
    out = tmp_path / "b.json"
    assert cli.main(["bench", f"{model_file}:Net", "--input", "4,8", "--optim", "adam",
                     "--mode", "eager", "--mode", "compiled", "--steps", "2", "--repeats", "1",
                     "--trajectory", "3", "--quiet", "--json", str(out)]) == 0
    assert "ok   model.py:Net eager: 3 losses match tenkai compiled" in capsys.readouterr().out
    results = json.loads(out.read_text())["results"]
    assert {r["workload"] for r in results} == {"model.py:Net"}
    assert "model.py:Net" not in bench.WORKLOADS  # registered for that run only
