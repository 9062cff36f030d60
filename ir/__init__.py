"""tenkai.ir: the graph, the op registry, the reference interpreter and the passes.

Importing this package registers every op. Nothing here imports the frontend, llvmlite or CUDA.
"""

from . import ops_elementwise, ops_movement, ops_reduce, ops_source  # noqa: F401  (register ops)
from . import ops_linalg, ops_math, ops_nn, ops_polygamma  # noqa: F401
from .dtypes import ALL_DTYPES
from .errors import AutogradError, DTypeError, IndexOutOfRange, ShapeError, TenkaiError, VerifyError
from .graph import Builder, Graph, Value
from .interpreter import Plan, run
from .ops import REGISTRY, OpDef, ops_of_kind
from .verify import verify

__all__ = ["ALL_DTYPES", "REGISTRY", "AutogradError", "Builder", "DTypeError", "Graph",
           "IndexOutOfRange", "OpDef", "Plan", "ShapeError", "TenkaiError", "Value", "VerifyError",
           "ops_of_kind", "run", "verify"]
