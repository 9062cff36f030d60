"""tenkai.codegen.kir."""
