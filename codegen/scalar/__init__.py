"""tenkai.codegen.scalar."""
