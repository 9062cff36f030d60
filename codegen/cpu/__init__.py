"""tenkai.codegen.cpu."""
