"""tenkai.codegen.lower."""
