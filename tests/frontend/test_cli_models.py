"""Model files in the ``tenkai`` command line: ``MODEL.onnx`` as the TARGET (exported by
PyTorch) and ``--weights`` (``torch.save``'d ``.pt``, ``.safetensors``) loaded into a
``FILE.py:NAME`` model; outputs checked against PyTorch through ``dump --all``'s repro."""

from __future__ import annotations

import io
import json
import os
import runpy
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from tenkai import cli
from tenkai._cli_target import build

torch = pytest.importorskip("torch")

MODEL = textwrap.dedent('''
    import tenkai.nn as nn


    def make():
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


    class Wrong(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 4)

        def forward(self, x):
            return self.fc(x)


    def wider():
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 5))
''')


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A PyTorch MLP and the files the real tools write from it."""
    d = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    (d / "net.py").write_text(MODEL)
    torch.save(ref.state_dict(), d / "mlp.pt")
    torch.save({"model_state_dict": ref.state_dict(), "epoch": 3}, d / "ckpt.pth")
    torch.save({"0.weight": torch.zeros(2), "x": Evil()}, d / "evil.pt")
    torch.save({"epoch": 3, "lr": 0.1}, d / "meta.pt")
    (d / "trunc.pt").write_bytes((d / "mlp.pt").read_bytes()[:300])
    try:
        from safetensors.torch import save_file
    except ImportError:
        pass
    else:
        save_file(ref.state_dict(), str(d / "mlp.safetensors"))
    try:
        import onnx  # noqa: F401  (the exporter and tenkai.onnx.load need it)
    except ImportError:
        pass
    else:
        for name, axes in (("mlp.onnx", None), ("dyn.onnx", {"x": {0: "batch"}})):
            buffer = io.BytesIO()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice
                torch.onnx.export(ref, (torch.randn(4, 8),), buffer, dynamo=False,
                                  input_names=["x"], output_names=["y"], dynamic_axes=axes)
            (d / name).write_bytes(buffer.getvalue())
        (d / "bad.onnx").write_bytes(b"not a protobuf" * 8)
    return d, ref


def _need(d, name: str):
    if not (d / name).exists():
        pytest.skip(f"{name} needs a package that is not installed")
    return str(d / name)


def tenkai_cmd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tenkai", *args], capture_output=True,
                          text=True, timeout=300)


def _check_repro(out_dir, ref) -> None:
    """The dumped parameters are PyTorch's, and the repro's output is PyTorch's output."""
    saved = dict(np.load(out_dir / "repro_inputs.npz"))
    for name, value in ref.state_dict().items():
        np.testing.assert_array_equal(saved[name], value.numpy(), err_msg=name)
    outputs = runpy.run_path(str(out_dir / "repro.py"))["main"]()
    want = ref(torch.from_numpy(saved["arg0"])).detach().numpy()
    np.testing.assert_allclose(np.asarray(outputs[0]), want, rtol=1e-5, atol=1e-6)


def test_pytorch_exported_onnx_through_the_console_script(files, tmp_path) -> None:
    d, ref = files
    model = _need(d, "mlp.onnx")
    run = tenkai_cmd("trace", model)  # the input shape comes from the ONNX graph
    assert run.returncode == 0, run.stderr
    assert "graph forward(arg0: f32[4,8], param 0.weight: f32[16,8]" in run.stdout
    assert "parameters and buffers: 4 tensors, 212 elements" in run.stdout
    target = build(model)  # what the command traced, in-process: PyTorch's output
    x = target.args[0].numpy()
    np.testing.assert_allclose(target.step(*target.args).detach().numpy(),
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_torch_saved_weights_through_the_console_script(files, tmp_path) -> None:
    d, ref = files
    run = tenkai_cmd("dump", f"{d / 'net.py'}:make", "--input", "3,8", "--weights",
                     str(d / "mlp.pt"), "--all", "-o", str(tmp_path / "d"))
    assert run.returncode == 0, run.stderr
    _check_repro(tmp_path / "d", ref)


def test_safetensors_weights_into_an_onnx_model(files) -> None:
    d, ref = files
    model, weights = _need(d, "dyn.onnx"), _need(d, "mlp.safetensors")
    flipped = {k: -v for k, v in ref.state_dict().items()}  # must replace the exported ones
    from safetensors.torch import save_file

    save_file(flipped, str(d / "flipped.safetensors"))
    target = build(model, ["2,8"], weights=str(d / "flipped.safetensors"))
    for name, value in flipped.items():
        np.testing.assert_array_equal(target.params[name].detach().numpy(), value.numpy())
    target = build(model, ["2,8"], weights=weights, train=True, loss="mse")
    x = target.args[0].numpy()
    want = torch.nn.functional.mse_loss(ref(torch.from_numpy(x)), torch.from_numpy(
        target.args[1].numpy()))
    assert target.step(*target.args).item() == pytest.approx(want.item(), rel=1e-5)


def test_onnx_model_is_drawn(files, tmp_path) -> None:
    pytest.importorskip("graphviz")
    d, _ = files
    model = _need(d, "mlp.onnx")
    assert cli.main(["viz", model, "--stage", "traced", "-o", str(tmp_path / "t.dot")]) == 0
    assert "f32[4,8]" in (tmp_path / "t.dot").read_text()
    assert cli.main(["viz", model, "--train", "--weights", str(d / "mlp.pt"), "--stage",
                     "autograd", "-o", str(tmp_path / "a.dot")]) == 0
    assert "0.weight\n (16, 8)" in (tmp_path / "a.dot").read_text()


@pytest.mark.slow
def test_onnx_with_weights_is_benchmarked(files, tmp_path) -> None:
    d, _ = files
    model, weights = _need(d, "mlp.onnx"), _need(d, "mlp.safetensors")
    out = tmp_path / "out.json"
    run = tenkai_cmd("bench", model, "--weights", weights, "--steps", "2", "--repeats", "1",
                     "--trajectory", "3", "--mode", "eager", "--mode", "compiled", "--quiet",
                     "--json", str(out))
    assert run.returncode == 0, run.stderr
    assert "ok   mlp.onnx eager: 3 losses match tenkai compiled" in run.stdout
    results = json.loads(out.read_text())["results"]
    assert [(r["workload"], r["mode"]) for r in results] == [("mlp.onnx", "eager"),
                                                             ("mlp.onnx", "compiled")]
    assert all(np.isfinite(r["losses"]).all() and len(r["losses"]) == 3 for r in results)


def test_checkpoint_layouts_and_onnx_shapes_in_process(files, capsys) -> None:
    d, _ = files
    net = str(d / "net.py")
    assert cli.main(["trace", f"{net}:make", "--input", "2,8", "--weights",
                     str(d / "ckpt.pth")]) == 0  # {"model_state_dict": ..., "epoch": 3}
    assert "graph forward(arg0: f32[2,8]" in capsys.readouterr().out
    dyn = _need(d, "dyn.onnx")
    assert cli.main(["trace", dyn, "--batch", "3"]) == 0
    assert "graph forward(arg0: f32[3,8]" in capsys.readouterr().out
    assert cli.main(["trace", dyn, "--input", "5,8", "--weights", str(d / "mlp.pt")]) == 0
    assert "graph forward(arg0: f32[5,8]" in capsys.readouterr().out


BAD = [
    (["trace", "{d}/net.py:Wrong", "--input", "4,8", "--weights", "{d}/mlp.pt"], 2,
     'does not fit net.py:Wrong: Error(s) in loading state_dict for Wrong:\n\tMissing key(s) '
     'in state_dict: "fc.weight", "fc.bias".'),
    (["trace", "{d}/net.py:wider", "--input", "4,8", "--weights", "{d}/mlp.pt"], 2,
     "size mismatch for 2.weight: copying a param with shape torch.Size([4, 16]) from "
     "checkpoint, the shape in current model is torch.Size([5, 16])."),
    (["trace", "{d}/net.py:make", "--input", "4,8", "--weights", "{d}/evil.pt"], 2,
     "Unsupported global: GLOBAL posix.system"),
    (["trace", "{d}/net.py:make", "--input", "4,8", "--weights", "{d}/trunc.pt"], 2,
     "is truncated or corrupt"),
    (["trace", "{d}/net.py:make", "--input", "4,8", "--weights", "{d}/mlp.bin"], 2,
     "--weights {d}/mlp.bin: expected a state dict file ending in .pt, .pth, .safetensors"),
    (["trace", "{d}/net.py:make", "--input", "4,8", "--weights", "{d}/nope.pt"], 2,
     "--weights {d}/nope.pt: no such file"),
    (["trace", "{d}/net.py:make", "--input", "4,8", "--weights", "{d}/meta.pt"], 2,
     "expected a state dict (names -> tensors); the file holds a dict with keys 'epoch', 'lr' "
     "and no state_dict / model_state_dict / model entry holding one"),
    (["trace", "one_neuron", "--weights", "{d}/mlp.pt"], 2, "makes its own weights"),
    (["trace", "{d}/dyn.onnx"], 2, "input 'x' has shape [?,8], not fully static: give the "
     "example shape(s) with --input (one per input, in order: x) (or its batch size with "
     "--batch N)"),
    (["trace", "{d}/mlp.onnx:Net"], 2, "an ONNX file holds one model"),
    (["trace", "{d}/bad.onnx"], 2, "bad.onnx: cannot import the ONNX model: DecodeError"),
    (["trace", "{d}/mlp.onnx", "--dtype", "f64"], 1, "input 'x' expects dtype torch.float32"),
    (["dump", "{d}/mlp.onnx", "--input", "3,8", "--stage", "fused"], 1,
     "rejected the input(s) f32[3,8]: RuntimeError: OnnxModule.forward: input 'x' expects "
     "shape [4, 8]"),
]


@pytest.mark.parametrize("args, code, message", BAD, ids=[f"{i}" for i in range(len(BAD))])
def test_bad_model_files_are_named(files, args, code, message, capsys) -> None:
    d, _ = files
    if "onnx" in " ".join(args):
        _need(d, "mlp.onnx")
    assert cli.main([a.format(d=d) for a in args]) == code
    err = capsys.readouterr().err
    assert message.format(d=d) in err
    assert "Traceback" not in err and "pwned" not in err
