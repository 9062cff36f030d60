"""tenkai.codegen.llvm."""
