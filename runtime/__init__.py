"""tenkai.runtime: runs what codegen produced (code + a plain-data buffer table).

The core (this folder's top level) knows no target: the interfaces every target's runtime
implements (:mod:`~tenkai.runtime.device`: Allocator, Program, Executable, Device), the buffer
table (:mod:`~tenkai.runtime.buffers`), the on-disk cache (:mod:`~tenkai.runtime.cache`) and
the object-code checker (:mod:`~tenkai.runtime.objcheck`). Each target's runtime is a folder:
``runtime/cpu/`` (MCJIT, host memory). Never imports ``tenkai.ir``, ``tenkai.codegen`` or the
frontend.
"""

from .buffers import BufferSpec, check_array
from .device import Allocator, Device, Executable, Program

__all__ = ["Allocator", "BufferSpec", "Device", "Executable", "Program", "check_array"]
