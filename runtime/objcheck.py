"""Structural checks of ELF object code before it is handed to LLVM's RuntimeDyld.

RuntimeDyld trusts its input: a truncated file, a section or relocation pointing past the end,
or a call to a symbol nothing defines (MCJIT aborts the process on the last) would crash or
kill the interpreter. :func:`check_object` parses the ELF header, the section table, the symbol
table and every relocation with ``struct`` alone and raises :class:`ObjectRejected` naming the
first problem. It proves the file is *well formed* for this host, not that its machine code is
the code tenkai generated: that is the job of the cache's keyed signature (see
:mod:`tenkai.runtime.cache`). Only x86-64 and AArch64 little-endian ELF64 relocatable objects
(what the CPU codegen's ``emit_object`` makes on Linux) are accepted.
Imports no other part of tenkai.
"""

from __future__ import annotations

import platform
import struct
import sys
from collections.abc import Callable

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")  # ELF64 file header
_SHDR = struct.Struct("<IIQQQQIIQQ")  # ELF64 section header
_SYM = struct.Struct("<IBBHQQ")  # ELF64 symbol
_RELA = struct.Struct("<QQq")  # ELF64 relocation with addend
_REL = struct.Struct("<QQ")
SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOBITS, SHT_REL = 2, 3, 4, 8, 9
ET_REL, SHN_UNDEF, SHN_LORESERVE = 1, 0, 0xFF00
MACHINES = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183}


class ObjectRejected(ValueError):
    """Object code that must not be linked into this process (the message says why)."""


def host_machine() -> int | None:
    """The ELF ``e_machine`` of this host, or None on a host this checker does not know."""
    return MACHINES.get(platform.machine().lower())


def check_object(obj: bytes, resolvable: Callable[[str], bool]) -> list[str]:
    """Raise :class:`ObjectRejected` unless ``obj`` is a well-formed ELF64 relocatable object
    for this host whose undefined symbols all satisfy ``resolvable``; returns those symbols."""
    sections = _sections(obj)
    undefined: list[str] = []
    for index, section in enumerate(sections):
        kind = section[0]
        if kind == SHT_SYMTAB:
            undefined += _symbols(obj, sections, index)
        elif kind in (SHT_RELA, SHT_REL):
            _relocations(obj, sections, index, _RELA if kind == SHT_RELA else _REL)
    missing = sorted({name for name in undefined if not resolvable(name)})
    if missing:
        raise ObjectRejected(f"it calls functions nothing defines: {missing}")
    return sorted(set(undefined))


def _sections(obj: bytes) -> list[tuple[int, int, int, int, int, int, int]]:
    """``(type, flags, offset, size, link, info, entsize)`` of every section, bounds-checked."""
    if len(obj) < _EHDR.size:
        raise ObjectRejected(f"truncated object ({len(obj)} bytes, no ELF header)")
    (ident, e_type, machine, _version, _entry, _phoff, shoff, _flags, ehsize, _phentsize,
     _phnum, shentsize, shnum, shstrndx) = _EHDR.unpack_from(obj)
    if ident[:4] != b"\x7fELF":
        raise ObjectRejected("not an ELF object (bad magic)")
    if ident[4] != 2 or ident[5] != 1 or sys.byteorder != "little":
        raise ObjectRejected("not a little-endian 64-bit ELF object for this host")
    if e_type != ET_REL:
        raise ObjectRejected(f"not a relocatable object (ELF type {e_type})")
    if host_machine() is None or machine != host_machine():
        raise ObjectRejected(f"object for machine {machine}, this host is "
                             f"{platform.machine()} ({host_machine()})")
    if ehsize != _EHDR.size or shentsize != _SHDR.size or shnum == 0 or shstrndx >= shnum:
        raise ObjectRejected("malformed ELF header (header sizes or section count)")
    if shoff + shnum * _SHDR.size > len(obj):
        raise ObjectRejected(f"truncated object ({len(obj)} bytes; the section table ends at "
                             f"{shoff + shnum * _SHDR.size})")
    out = []
    for k in range(shnum):
        (_name, kind, flags, _addr, offset, size, link, info, _align,
         entsize) = _SHDR.unpack_from(obj, shoff + k * _SHDR.size)
        if kind != SHT_NOBITS and offset + size > len(obj):
            raise ObjectRejected(f"section {k} lies outside the object (bytes {offset}.."
                                 f"{offset + size} of {len(obj)})")
        if link >= shnum and kind in (SHT_SYMTAB, SHT_RELA, SHT_REL):
            raise ObjectRejected(f"section {k} links to section {link} of {shnum}")
        out.append((kind, flags, offset, size, link, info, entsize))
    return out


def _symbols(obj: bytes, sections: list, index: int) -> list[str]:
    """Undefined global symbol names of symbol table ``index`` (names bounds-checked)."""
    _kind, _flags, offset, size, link, _info, entsize = sections[index]
    if entsize != _SYM.size or size % _SYM.size:
        raise ObjectRejected(f"symbol table {index} has entries of {entsize} bytes")
    str_kind, _, str_offset, str_size, *_ = sections[link]
    if str_kind != SHT_STRTAB:
        raise ObjectRejected(f"symbol table {index} names its strings in a non-string section")
    undefined = []
    for k in range(size // _SYM.size):
        name_at, info, _other, shndx, _value, _size = _SYM.unpack_from(obj, offset + k * _SYM.size)
        if name_at >= str_size:
            raise ObjectRejected(f"symbol {k} has its name outside the string table")
        if shndx != SHN_UNDEF and shndx < SHN_LORESERVE and shndx >= len(sections):
            raise ObjectRejected(f"symbol {k} lies in section {shndx} of {len(sections)}")
        if shndx == SHN_UNDEF and k > 0 and info >> 4 != 0:  # a global/weak undefined symbol
            end = obj.find(b"\0", str_offset + name_at, str_offset + str_size)
            if end < 0:
                raise ObjectRejected(f"symbol {k} has an unterminated name")
            undefined.append(obj[str_offset + name_at:end].decode("latin-1"))
    return undefined


def _relocations(obj: bytes, sections: list, index: int, layout: struct.Struct) -> None:
    """Every relocation of section ``index`` names an existing symbol and patches bytes inside
    the section it applies to."""
    _kind, _flags, offset, size, link, info, entsize = sections[index]
    if entsize != layout.size or size % layout.size:
        raise ObjectRejected(f"relocation section {index} has entries of {entsize} bytes")
    if info >= len(sections):
        raise ObjectRejected(f"relocation section {index} applies to section {info} of "
                             f"{len(sections)}")
    symbols = sections[link][3] // _SYM.size
    target_size = sections[info][3]
    for k in range(size // layout.size):
        r_offset, r_info = layout.unpack_from(obj, offset + k * layout.size)[:2]
        if r_info >> 32 >= symbols:
            raise ObjectRejected(f"relocation {k} of section {index} names symbol "
                                 f"{r_info >> 32} of {symbols}")
        if r_offset >= target_size:
            raise ObjectRejected(f"relocation {k} of section {index} patches byte {r_offset} "
                                 f"of a {target_size}-byte section")
