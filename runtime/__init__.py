"""tenkai.runtime: runs what codegen produced (LLVM IR text + a plain-data buffer table).

Never imports ``tenkai.ir`` or the frontend. ``Executable`` is the compiled step;
``jit`` compiles and caches modules; ``buffers`` holds the allocator, arena and binding checks.
"""

from .buffers import Arena, BufferSpec, CPUAllocator
from .executable import Executable
from .jit import CompiledModule, compile_ir, emit_object, load_object

__all__ = ["Arena", "BufferSpec", "CPUAllocator", "CompiledModule", "Executable", "compile_ir",
           "emit_object", "load_object"]
