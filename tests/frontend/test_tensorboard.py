"""tenkai.utils.tensorboard.SummaryWriter writes what torch.utils.tensorboard writes: the same
logs, from tenkai and torch tensors, read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tenkai

torch = pytest.importorskip("torch")
pytest.importorskip("tensorboard")
from PIL import Image  # noqa: E402  (a dependency of tensorboard)
from tensorboard.backend.event_processing.event_accumulator import (  # noqa: E402
    EventAccumulator,
)

RNG = np.random.default_rng(4)
HIST = RNG.standard_normal(500)
IMAGE = RNG.random((3, 5, 7))
BATCH = RNG.random((10, 1, 4, 6))


def _log(lib: Any, writer_cls: Any, logdir: Path) -> None:
    with writer_cls(log_dir=str(logdir)) as writer:
        for step in range(3):
            writer.add_scalar("loss/train", lib.tensor(1.0 / (step + 1)), step, walltime=10.0)
            writer.add_scalar("lr", 0.1 * step, global_step=step, walltime=10.0)
        writer.add_scalars("run", {"a": 1.5, "b": lib.tensor(2.5)}, 7, walltime=10.0)
        writer.add_histogram("weights", lib.tensor(HIST), 1, walltime=10.0)
        writer.add_histogram("coarse", lib.tensor(HIST), 2, bins="auto", max_bins=5,
                             walltime=10.0)
        writer.add_image("img", lib.tensor(IMAGE), 0, walltime=10.0)
        writer.add_image("hwc", (IMAGE.transpose(1, 2, 0) * 255).astype(np.uint8), 0,
                         dataformats="HWC", walltime=10.0)
        writer.add_images("grid", lib.tensor(BATCH), 0, walltime=10.0)
        writer.add_text("notes", "**hello** tenkai", 0, walltime=10.0)


def _read(logdir: Path) -> dict[str, Any]:
    acc = EventAccumulator(str(logdir), size_guidance={"tensors": 0, "images": 0})
    acc.Reload()
    out: dict[str, Any] = {}
    for tag in acc.Tags()["scalars"]:
        out["scalar " + tag] = [(e.step, e.value) for e in acc.Scalars(tag)]
    for tag in acc.Tags()["histograms"]:
        h = acc.Histograms(tag)[0].histogram_value
        out["histo " + tag] = (h.min, h.max, h.num, h.sum, h.sum_squares,
                               list(h.bucket_limit), list(h.bucket))
    for tag in acc.Tags()["images"]:
        e = acc.Images(tag)[0]
        pixels = np.asarray(Image.open(io.BytesIO(e.encoded_image_string)))
        out["image " + tag] = (e.width, e.height, pixels.tolist())
    for tag in acc.Tags()["tensors"]:
        out["tensor " + tag] = [e.tensor_proto.string_val for e in acc.Tensors(tag)]
    return out


def test_logs_read_back_as_torchs_do(tmp_path: Path) -> None:
    from tenkai.utils.tensorboard import SummaryWriter

    _log(tenkai, SummaryWriter, tmp_path / "tenkai")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    _log(torch, TorchWriter, tmp_path / "torch")
    got, want = _read(tmp_path / "tenkai"), _read(tmp_path / "torch")
    assert got.keys() == want.keys() and len(want) == 8
    for key in want:
        assert got[key] == want[key], key
    runs = sorted(p.name for p in (tmp_path / "tenkai").iterdir() if p.is_dir())
    assert runs == sorted(p.name for p in (tmp_path / "torch").iterdir() if p.is_dir())
    assert runs == ["run_a", "run_b"]
    for run in runs:
        assert _read(tmp_path / "tenkai" / run) == _read(tmp_path / "torch" / run)


def test_default_log_dir_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tenkai.utils.tensorboard import SummaryWriter

    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_exp")
    assert writer.get_logdir().startswith("runs/") and writer.get_logdir().endswith("_exp")
    with pytest.raises(AssertionError, match="expected one value"):
        writer.add_scalar("x", tenkai.ones(3))
    with pytest.raises(NotImplementedError, match="tenkai viz"):
        writer.add_graph(tenkai.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="no element"):
        writer.add_histogram("empty", tenkai.zeros(0))
    writer.close()
    writer.add_scalar("after_close", 1.0, 0)  # reopens a file, as PyTorch's writer does
    writer.close()
    assert len(list((tmp_path / writer.get_logdir()).glob("events.out.tfevents.*"))) == 2


def test_a_training_loop_logs_its_loss(tmp_path: Path) -> None:
    """The tutorial pattern: log loss.item() each step of a compiled training step."""
    from tenkai.utils.tensorboard import SummaryWriter

    tenkai.manual_seed(0)
    model = tenkai.nn.Linear(3, 1)
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1)
    x, y = tenkai.randn(16, 3), tenkai.randn(16, 1)

    @tenkai.compile
    def step(x: Any, y: Any) -> Any:
        loss = tenkai.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    losses = []
    with SummaryWriter(tmp_path) as writer:
        for i in range(5):
            losses.append(step(x, y).item())
            writer.add_scalar("loss", losses[-1], i)
    logged = _read(tmp_path)["scalar loss"]
    assert [s for s, _ in logged] == list(range(5))
    np.testing.assert_allclose([v for _, v in logged], losses, rtol=1e-6)
