"""Read the printer's text form back into a graph: ``parse(g.dump()).dump() == g.dump()``.

The grammar is what :mod:`tenkai.ir.printer` writes::

    graph NAME([param ]NAME: TYPE, ...) {
      %K: TYPE = OP(ARG, ...) {ATTR=VALUE, ...}  # node name
      return ARG, ...
    }

``TYPE`` is a short dtype and a shape (``f32[2,3]``, ``i1[]``); an ``ARG`` is a header name
or an earlier ``%K``; attribute values are Python literals (``inf`` and ``nan`` included).
A const's value is read back in the dtype its type names. Arrays of more than 8 elements
print elided (``<f32[16]>``) and cannot be read back: :class:`ParseError` says so.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import numpy as np

from .dtypes import FROM_SHORT, to_numpy
from .errors import TenkaiError
from .graph import Graph
from .printer import type_str

_HEADER = re.compile(r"graph (?P<name>[^(]*)\((?P<args>.*)\) \{")
_HEADER_ARG = re.compile(r"(?:(?P<param>param) )?(?P<name>[^\s:,][^:]*?): (?P<type>\w+\[[\d,]*\])")
_TYPE = re.compile(r"(?P<dtype>\w+)\[(?P<dims>[\d,]*)\]")
_NODE = re.compile(r"(?P<result>%\d+): (?P<type>\w+\[[\d,]*\]) = (?P<op>\w+)\((?P<args>[^()]*)\)"
                   r"(?: \{(?P<attrs>.*)\})?(?:  # (?P<name>.*))?")
_ELIDED = re.compile(r"<\w+\[[\d,]*\]>")


class ParseError(TenkaiError, ValueError):
    """The text is not in the printer's format; the message names the line and what is wrong."""


def parse(text: str) -> Graph:
    """Build the graph that ``text`` (the output of ``Graph.dump()``) describes."""
    lines = [(k + 1, line.strip()) for k, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise ParseError("empty text: expected 'graph NAME(...) {'")
    lineno, first = lines[0]
    header = _HEADER.fullmatch(first)
    if header is None:
        raise ParseError(f"line {lineno}: expected 'graph NAME(inputs) {{', got {first!r}")
    g = Graph(header["name"])
    env = _parse_header(g, header["args"], lineno)
    if lines[-1][1] != "}":
        raise ParseError(f"line {lines[-1][0]}: expected the closing '}}' of the graph")
    body = lines[1:-1]
    if not body or not body[-1][1].startswith("return"):
        raise ParseError(f"line {lines[-1][0]}: expected a 'return ...' line before '}}'")
    for lineno, line in body[:-1]:
        _parse_node(g, env, line, lineno)
    lineno, ret = body[-1]
    for name in _split_args(ret.removeprefix("return")):
        g.add_output(_lookup(env, name, lineno))
    return g


def _parse_type(text: str, lineno: int) -> tuple[tuple[int, ...], str]:
    m = _TYPE.fullmatch(text)
    if m is None or m["dtype"] not in FROM_SHORT:
        raise ParseError(f"line {lineno}: bad type {text!r}; expected e.g. f32[2,3] with a dtype "
                         f"in {sorted(FROM_SHORT)}")
    dims = tuple(int(d) for d in m["dims"].split(",") if d)
    return dims, FROM_SHORT[m["dtype"]]


def _parse_header(g: Graph, text: str, lineno: int) -> dict[str, int]:
    env: dict[str, int] = {}
    matches = list(_HEADER_ARG.finditer(text))
    if ", ".join(m.group(0) for m in matches) != text:
        raise ParseError(f"line {lineno}: cannot read the inputs {text!r}; expected "
                         "'name: f32[2,3], param w: f32[3]'")
    for m in matches:
        shape, dtype = _parse_type(m["type"], lineno)
        if m["name"] in env:
            raise ParseError(f"line {lineno}: input name {m['name']!r} appears twice")
        op = "param" if m["param"] else "input"
        env[m["name"]] = g.add(op, shape=shape, dtype=dtype, name=m["name"])
    return env


def _split_args(text: str) -> list[str]:
    return [a.strip() for a in text.split(",") if a.strip()]


def _lookup(env: dict[str, int], name: str, lineno: int) -> int:
    if name not in env:
        raise ParseError(f"line {lineno}: {name!r} is not defined before its use")
    return env[name]


def _parse_node(g: Graph, env: dict[str, int], line: str, lineno: int) -> None:
    m = _NODE.fullmatch(line)
    if m is None:
        raise ParseError(f"line {lineno}: expected '%K: TYPE = op(args) {{attrs}}', got {line!r}")
    if m["result"] in env:
        raise ParseError(f"line {lineno}: {m['result']} is defined twice")
    shape, dtype = _parse_type(m["type"], lineno)
    args = [_lookup(env, a, lineno) for a in _split_args(m["args"])]
    attrs = _parse_attrs(m["attrs"] or "", lineno, line)
    if m["op"] == "const" and "value" in attrs:
        # lists lose the dtype (float32 would come back float64): the type says which it is
        attrs["value"] = np.asarray(attrs["value"], dtype=to_numpy(dtype))
    try:
        nid = g.add(m["op"], args, name=m["name"], **attrs)
    except Exception as err:
        raise ParseError(f"line {lineno}: {type(err).__name__}: {err}") from err
    if (g.shape(nid), g.dtype(nid)) != (shape, dtype):
        raise ParseError(f"line {lineno}: {m['result']} is declared {m['type']} but {m['op']}'s "
                         f"rules give {type_str(g.shape(nid), g.dtype(nid))}")
    env[m["result"]] = nid


def _parse_attrs(text: str, lineno: int, line: str) -> dict[str, Any]:
    if not text:
        return {}
    elided = _ELIDED.search(text)
    if elided:
        raise ParseError(f"line {lineno}: an attribute value is elided as {elided.group(0)} (the "
                         "printer writes arrays of at most 8 elements), so this graph cannot be "
                         "read back; feed large constants as inputs instead")
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        raise ParseError(f"line {lineno}: cannot read the attributes {{{text}}}") from None
    assert isinstance(call, ast.Call)
    if call.args:
        raise ParseError(f"line {lineno}: attributes must be written name=value: {{{text}}}")
    return {kw.arg: _literal(kw.value, lineno) for kw in call.keywords if kw.arg is not None}


def _literal(node: ast.expr, lineno: int) -> Any:
    """A Python literal, as ``ast.literal_eval`` reads it, plus the bare names inf and nan
    (``repr(float('inf'))`` is ``inf``)."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    if isinstance(node, ast.Name) and node.id in ("inf", "nan"):
        return float(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand, lineno)
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e, lineno) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e, lineno) for e in node.elts]
    raise ParseError(f"line {lineno}: attribute value {ast.unparse(node)!r} is not a literal")
