"""``tenkai.onnx``: import ONNX models as tenkai modules and export traced models to ONNX.

    model = tenkai.onnx.load("model.onnx")           # an nn.Module; traces, compiles, trains
    tenkai.onnx.export(model, x, "model.onnx")        # the traced forward graph

Needs the ``onnx`` package (``pip install 'tenkai[onnx]'``), imported when these run.
"""

from __future__ import annotations

from ._export import export
from ._module import OnnxModule, load

__all__ = ["OnnxModule", "export", "load"]
