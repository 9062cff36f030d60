"""``SummaryWriter``: PyTorch's TensorBoard logger. Events are the ``tensorboard`` package's
protocol buffers, written by its ``EventFileWriter`` (the record format, the file name and the
asynchronous flush are TensorBoard's own); images are PNGs encoded by Pillow (a dependency
of ``tensorboard``). What a value means (scalars as ``simple_value``, TensorFlow's default
histogram buckets, images scaled to 0-255 in HWC, text as the text plugin's string tensor)
follows PyTorch's writer, so TensorBoard shows tenkai's logs as it shows PyTorch's.

Not here (``NotImplementedError``): ``add_graph`` (``tenkai viz`` draws tenkai's graphs),
``add_embedding``, ``add_hparams``, ``add_pr_curve``, ``add_mesh``, ``add_video``,
``add_audio``."""

from __future__ import annotations

import io
import os
import socket
import time
from datetime import datetime
from typing import Any

import numpy as np


def _tensorboard() -> Any:
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.compat.proto.tensor_pb2 import TensorProto
        from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
        from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as err:
        raise ModuleNotFoundError(
            "tenkai.utils.tensorboard needs the tensorboard package: pip install tensorboard "
            "(or pip install 'tenkai[tensorboard]')") from err
    return {"event_pb2": event_pb2, "summary_pb2": summary_pb2, "TensorProto": TensorProto,
            "TensorShapeProto": TensorShapeProto, "TextPluginData": TextPluginData,
            "EventFileWriter": EventFileWriter}


def _numpy(value: Any) -> np.ndarray:
    """A tensor (tenkai or anything with ``.numpy()``), an array or a number as an array."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        return np.asarray(value.numpy())
    return np.asarray(value)


def default_bins() -> list[float]:
    """TensorFlow's default histogram buckets: +-1e-12 * 1.1**k up to 1e20, and 0."""
    edges = []
    v = 1e-12
    while v < 1e20:
        edges.append(v)
        v *= 1.1
    return [-e for e in reversed(edges)] + [0.0] + edges


def _subsample(counts: np.ndarray, limits: np.ndarray, max_bins: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_bins`` buckets: runs of ``len // max_bins`` buckets merged."""
    step = len(counts) // max_bins
    if len(counts) % step:
        counts = np.concatenate([counts, np.zeros(step - len(counts) % step, counts.dtype)])
    merged = counts.reshape(-1, step).sum(-1)
    edges = np.append(limits[:-1:step], limits[-1])
    return merged, edges


def histogram_proto(values: np.ndarray, bins: Any, max_bins: int | None, proto: Any) -> Any:
    """The HistogramProto of ``values`` over ``bins`` (np.histogram's meaning), trimmed to
    the buckets from the first to the last non-empty one, with the empty bucket to the left
    of the first kept (TensorBoard reads only right edges)."""
    values = values.reshape(-1).astype(float)
    if values.size == 0:
        raise ValueError("The input has no element.")
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, limits = _subsample(counts, limits, max_bins)
    filled = np.flatnonzero(counts)
    if filled.size == 0:
        raise ValueError("The histogram is empty: no value falls inside the bins")
    first, last = int(filled[0]), int(filled[-1])
    left = counts[first - 1:first] if first > 0 else np.zeros(1, counts.dtype)
    kept = np.concatenate([left, counts[first:last + 1]])
    return proto(min=values.min(), max=values.max(), num=len(values), sum=values.sum(),
                 sum_squares=values.dot(values), bucket_limit=limits[first:last + 2].tolist(),
                 bucket=kept.tolist())


def _grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """N images (NCHW, 1 or 3 channels) side by side, ``ncols`` per row, as one CHW image."""
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if images.shape[1] != 3:
        raise ValueError(f"add_images: expected 1 or 3 channels, got {images.shape[1]}")
    n, _, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((3, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h:(y + 1) * h, x * w:(x + 1) * w] = images[i]
    return canvas


def to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    """An image in ``dataformats`` (``CHW``, ``HWC``, ``HW``, ``NCHW`` ...) as HWC with 3
    channels (grayscale repeated, a batch laid out as a grid) or 4 (RGBA)."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise ValueError(f"dataformats {dataformats!r} names a dimension twice")
    if array.ndim != len(fmt):
        raise ValueError(f"the image has {array.ndim} dims ({tuple(array.shape)}) but "
                         f"dataformats {dataformats!r} names {len(fmt)}")
    if len(fmt) == 4:
        return _grid(array.transpose([fmt.find(c) for c in "NCHW"])).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = array.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    return np.stack([array.transpose([fmt.find(c) for c in "HW"])] * 3, 2)


def png_image(hwc: np.ndarray, proto: Any) -> Any:
    """A Summary.Image of an HWC array: floats (0..1) scaled by 255, then clipped to uint8."""
    from PIL import Image

    scale = 1 if hwc.dtype == np.uint8 else 255
    pixels = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    height, width, channels = pixels.shape
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return proto(height=height, width=width, colorspace=channels,
                 encoded_image_string=buffer.getvalue())


class SummaryWriter:
    """Writes scalars, histograms, images and text for TensorBoard to event files in
    ``log_dir`` (default ``runs/<month><day>_<H-M-S>_<host><comment>``, as PyTorch)."""

    def __init__(self, log_dir: Any = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = ""):
        self._tb = _tensorboard()
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs = max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: Any = None
        self.all_writers: dict[str, Any] | None = None
        self._get_file_writer()

    def _get_file_writer(self) -> Any:
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = self._new_writer(self.log_dir)
            if self.purge_step is not None:  # TensorBoard drops later steps of older runs
                pb = self._tb["event_pb2"]
                self.file_writer.add_event(pb.Event(step=self.purge_step,
                                                    file_version="brain.Event:2"))
                self.file_writer.add_event(pb.Event(step=self.purge_step, session_log=pb.SessionLog(
                    status=pb.SessionLog.START)))
                self.file_writer.flush()
                self.purge_step = None
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
        return self.file_writer

    def _new_writer(self, logdir: str) -> Any:
        return self._tb["EventFileWriter"](logdir, self.max_queue, self.flush_secs,
                                           self.filename_suffix)

    def get_logdir(self) -> str:
        return self.log_dir

    def _write(self, writer: Any, value: Any, global_step: Any, walltime: Any) -> None:
        tb = self._tb
        event = tb["event_pb2"].Event(summary=tb["summary_pb2"].Summary(value=[value]))
        event.wall_time = time.time() if walltime is None else walltime
        if global_step is not None:
            event.step = int(global_step)
        writer.add_event(event)

    def _value(self, tag: str, **fields: Any) -> Any:
        return self._tb["summary_pb2"].Summary.Value(tag=tag, **fields)

    def add_scalar(self, tag: str, scalar_value: Any, global_step: Any = None,
                   walltime: Any = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """One scalar (a number or a one-element tensor) at ``global_step``."""
        self._write(self._get_file_writer(), self._scalar(tag, scalar_value, new_style,
                                                          double_precision),
                    global_step, walltime)

    def _scalar(self, tag: str, scalar_value: Any, new_style: bool = False,
                double_precision: bool = False) -> Any:
        array = _numpy(scalar_value).squeeze()
        if array.ndim != 0:  # PyTorch's writer asserts this too
            raise AssertionError(f"add_scalar: expected one value, got a tensor of shape "
                             f"{tuple(array.shape)}; log x.mean() or use add_histogram")
        number = float(array)
        if not new_style:
            return self._value(tag, simple_value=number)
        proto = self._tb["TensorProto"]
        tensor = (proto(double_val=[number], dtype="DT_DOUBLE") if double_precision
                  else proto(float_val=[number], dtype="DT_FLOAT"))
        meta = self._tb["summary_pb2"].SummaryMetadata(
            plugin_data=self._tb["summary_pb2"].SummaryMetadata.PluginData(
                plugin_name="scalars"))
        return self._value(tag, tensor=tensor, metadata=meta)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict[str, Any],
                    global_step: Any = None, walltime: Any = None) -> None:
        """Several scalars in one chart: each in its own run ``<log_dir>/<main_tag>_<tag>``."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        assert self.all_writers is not None
        for tag, value in tag_scalar_dict.items():
            logdir = root + "/" + main_tag.replace("/", "_") + "_" + tag
            if logdir not in self.all_writers:
                self.all_writers[logdir] = self._new_writer(logdir)
            self._write(self.all_writers[logdir], self._scalar(main_tag, value), global_step,
                        walltime)

    def add_histogram(self, tag: str, values: Any, global_step: Any = None,
                      bins: Any = "tensorflow", walltime: Any = None,
                      max_bins: int | None = None) -> None:
        """A histogram of ``values``; ``bins='tensorflow'`` uses TensorFlow's default
        buckets, any other value is np.histogram's ``bins``."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = default_bins()
        histo = histogram_proto(_numpy(values), bins, max_bins,
                                self._tb["summary_pb2"].HistogramProto)
        self._write(self._get_file_writer(), self._value(tag, histo=histo), global_step,
                    walltime)

    def add_image(self, tag: str, img_tensor: Any, global_step: Any = None,
                  walltime: Any = None, dataformats: str = "CHW") -> None:
        """One image (floats in [0, 1] or uint8 in [0, 255]) as a PNG."""
        image = png_image(to_hwc(_numpy(img_tensor), dataformats),
                          self._tb["summary_pb2"].Summary.Image)
        self._write(self._get_file_writer(), self._value(tag, image=image), global_step,
                    walltime)

    def add_images(self, tag: str, img_tensor: Any, global_step: Any = None,
                   walltime: Any = None, dataformats: str = "NCHW") -> None:
        """A batch of images laid out as one grid image, 8 per row."""
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(self, tag: str, figure: Any, global_step: Any = None, close: bool = True,
                   walltime: Any = None) -> None:
        """A matplotlib figure (or a list of them) rendered to an image."""
        figures = figure if isinstance(figure, list) else [figure]
        images = [self._render(f, close) for f in figures]
        if isinstance(figure, list):
            self.add_images(tag, np.stack(images), global_step, walltime, "NCHW")
        else:
            self.add_image(tag, images[0], global_step, walltime, "CHW")

    @staticmethod
    def _render(figure: Any, close: bool) -> np.ndarray:
        figure.canvas.draw()
        rgba = np.asarray(figure.canvas.buffer_rgba())
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)
        return rgba[..., :3].transpose(2, 0, 1).copy()

    def add_text(self, tag: str, text_string: str, global_step: Any = None,
                 walltime: Any = None) -> None:
        """Markdown text, shown by TensorBoard's text plugin under ``<tag>/text_summary``."""
        tb = self._tb
        meta = tb["summary_pb2"].SummaryMetadata(
            plugin_data=tb["summary_pb2"].SummaryMetadata.PluginData(
                plugin_name="text", content=tb["TextPluginData"](version=0).SerializeToString()))
        shape = tb["TensorShapeProto"](dim=[tb["TensorShapeProto"].Dim(size=1)])
        tensor = tb["TensorProto"](dtype="DT_STRING", string_val=[text_string.encode("utf_8")],
                                   tensor_shape=shape)
        self._write(self._get_file_writer(),
                    self._value(tag + "/text_summary", metadata=meta, tensor=tensor),
                    global_step, walltime)

    def _missing(self, what: str, instead: str) -> None:
        raise NotImplementedError(f"SummaryWriter.{what} is not implemented in tenkai; "
                                  f"{instead}")

    def add_graph(self, model: Any, input_to_model: Any = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        self._missing("add_graph", "draw the traced graph with `tenkai viz` or tenkai.viz")

    def add_hparams(self, hparam_dict: Any, metric_dict: Any, hparam_domain_discrete: Any = None,
                    run_name: Any = None, global_step: Any = None) -> None:
        self._missing("add_hparams", "log the metrics with add_scalar and the hyperparameters "
                                     "with add_text")

    def add_embedding(self, *args: Any, **kwargs: Any) -> None:
        self._missing("add_embedding", "log the vectors with add_histogram")

    def add_pr_curve(self, *args: Any, **kwargs: Any) -> None:
        self._missing("add_pr_curve", "log precision and recall with add_scalars")

    def flush(self) -> None:
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        for writer in (self.all_writers or {}).values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
