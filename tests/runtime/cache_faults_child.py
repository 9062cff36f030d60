"""Run by test_cache_faults.py in a subprocess: damage the compiled-step cache in each named
way, then compile and train a step against eager; print one JSON line per case. A crash inside
LLVM (a segfault, an abort) kills this process, and the parent reports the case it was in."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import warnings

import numpy as np

import tenkai
import tenkai.nn as nn
import tenkai.nn.functional as F
from tenkai.compiler import step_cache as _step_cache
from tenkai.runtime.cache import _PREFIX, CacheWarning, DiskCache, decode, encode, load_secret, sign

CACHE = os.environ["TENKAI_CACHE_DIR"]
SECRET = load_secret(os.environ["TENKAI_CACHE_KEY_FILE"])


def _model() -> tuple[nn.Module, tenkai.optim.Optimizer]:
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    return model, tenkai.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


# the compiled runs reuse one model and optimizer, reset to their initial state: a new
# optimizer object would get another name in the traced graph, so another cache key
COMPILED = _model()
INITIAL = [p.detach().clone() for p in COMPILED[0].parameters()]


def _train(compiled: bool) -> tuple[list, object]:
    """Per step: loss, parameters, gradients and momentum buffers."""
    model, opt = COMPILED if compiled else _model()
    if compiled:
        with tenkai.no_grad():
            for p, value in zip(model.parameters(), INITIAL, strict=True):
                p.copy_(value)
                p.grad = None
        opt.state.clear()

    def train_step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    fn = tenkai.compile(train_step) if compiled else train_step
    gen = np.random.default_rng(0)
    # batch 64: every GEMM above SMALL_GEMM, so the step calls the library's (cases damage it)
    x = tenkai.tensor(gen.standard_normal((64, 6), dtype=np.float32))
    y = tenkai.tensor(gen.integers(0, 3, 64))
    trajectory = []
    for _ in range(4):
        loss = fn(x, y).item()
        state = [p.detach().numpy().copy() for p in model.parameters()]
        state += [p.grad.numpy().copy() for p in model.parameters()]
        state += [np.asarray(s["momentum_buffer"]).copy() for s in opt.state.values()]
        trajectory.append((loss, state))
    return trajectory, fn


def _same(a: list, b: list) -> bool:
    return all(np.isclose(la, lb, rtol=1e-5) and all(
        np.allclose(u, v, rtol=1e-5, atol=1e-6) for u, v in zip(sa, sb, strict=True))
        for (la, sa), (lb, sb) in zip(a, b, strict=True))


def _entry_path() -> str:
    # the step's entry (the eager random kernels that initialized the model have their own)
    cache = DiskCache(CACHE)
    dirs = [n for n in os.listdir(CACHE) if n.endswith(".tkc")
            and os.path.isdir(os.path.join(CACHE, n))]  # the directory_as_entry case
    if dirs:
        return os.path.join(CACHE, dirs[0])
    [key] = [key for key, components in cache.entries() if "graph" in components]
    return cache.path(key)


def _library_path() -> str:
    # the library's pieces (the pool, the GEMM): the largest one is the GEMM
    paths = [os.path.join(CACHE, n) for n in os.listdir(CACHE) if n.startswith("lib-")]
    return max(paths, key=os.path.getsize)


def _rewrite(path: str, change) -> None:
    """Decode the entry at ``path``, let ``change`` alter it, re-sign it with the key."""
    key = os.path.basename(path)[:-4].removeprefix("lib-")
    with open(path, "rb") as f:
        entry = decode(f.read(), key, SECRET)
    change(entry)
    with open(path, "wb") as f:
        f.write(encode(entry, SECRET))


def _rewrite_header(path: str, change) -> None:
    """Change the JSON header itself, then re-sign the file."""
    with open(path, "rb") as f:
        data = f.read()
    magic, version, length = _PREFIX.unpack_from(data)
    header = json.loads(data[_PREFIX.size:_PREFIX.size + length])
    change(header)
    text = json.dumps(header).encode()
    body = _PREFIX.pack(magic, version, len(text)) + text + data[_PREFIX.size + length:-32]
    with open(path, "wb") as f:
        f.write(body + sign(body, SECRET))


def _object(change):
    def apply(entry) -> None:
        entry.blobs["object"] = change(entry.blobs["object"])
    return apply


def _rename_import(obj: bytes) -> bytes:
    for name in (b"tk_gemm_f32\0", b"memset\0", b"memcpy\0"):
        if name in obj:
            return obj.replace(name, name[:-2] + b"Z\0")
    raise AssertionError("the object imports nothing known")


def _unsigned_flip(path: str) -> None:
    """Flip a byte and recompute a plain SHA-256 trailer (the old format's checksum)."""
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[-200] ^= 0xFF
    body = bytes(data[:-32])
    with open(path, "wb") as f:
        f.write(body + hashlib.sha256(body).digest())


def _machine(obj: bytes) -> bytes:
    return obj[:18] + (40).to_bytes(2, "little") + obj[20:]  # e_machine = ARM


def _directory(path: str) -> None:
    os.unlink(path)
    os.mkdir(path)


DAMAGE = {
    "clean": lambda p: None,
    "header_lacks_meta": lambda p: _rewrite_header(p, lambda h: h.pop("meta")),
    "header_blob_span": lambda p: _rewrite_header(p, lambda h: h["blobs"].update(object="x")),
    "header_components_list": lambda p: _rewrite_header(
        p, lambda h: h.update(components=[1, 2])),
    "meta_table_garbage": lambda p: _rewrite(p, lambda e: e.meta.update(table="garbage")),
    "unsigned_flip": _unsigned_flip,
    "signed_truncated_object": lambda p: _rewrite(p, _object(lambda o: o[:len(o) // 2])),
    "signed_tiny_object": lambda p: _rewrite(p, _object(lambda o: o[:10])),
    "signed_unknown_import": lambda p: _rewrite(p, _object(_rename_import)),
    "signed_not_elf": lambda p: _rewrite(p, _object(lambda o: b"MZ" + o[2:])),
    "signed_other_machine": lambda p: _rewrite(p, _object(_machine)),
    "signed_section_table_past_end": lambda p: _rewrite(
        p, _object(lambda o: o[:40] + (len(o) - 8).to_bytes(8, "little") + o[48:])),
    "directory_as_entry": _directory,
}


def run_case(case: str) -> dict:
    if case == "file_as_cache_dir":
        os.environ["TENKAI_CACHE_DIR"] = os.path.join(CACHE, "a-file")
        with open(os.environ["TENKAI_CACHE_DIR"], "w") as f:
            f.write("not a directory")
    elif case == "damaged_library":
        _rewrite(_library_path(), _object(lambda o: o[:len(o) // 3]))
    elif case != "clean":
        DAMAGE[case](_entry_path())
    _step_cache.clear_memory()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled, fn = _train(True)
    eager, _ = _train(False)
    if case == "directory_as_entry":
        shutil.rmtree(_entry_path())
    os.environ["TENKAI_CACHE_DIR"] = CACHE
    return {"case": case, "same_as_eager": _same(compiled, eager),
            "hits": fn.stats["disk_cache_hits"], "misses": fn.stats["disk_cache_misses"],
            "warnings": [str(w.message) for w in caught if w.category is CacheWarning],
            "other_warnings": [str(w.message) for w in caught
                               if w.category is not CacheWarning]}


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"case {name}", file=sys.stderr, flush=True)
        print(json.dumps(run_case(name)), flush=True)
