"""``torch.return_types``: the named tuples some functions return (``torch.svd``,
``torch.linalg.eigh``, ``torch.max(x, dim)``...), printed as PyTorch prints them::

    >>> import tenkai as torch
    >>> torch.linalg.slogdet(torch.eye(2))
    torch.return_types.linalg_slogdet(
    sign=tensor(1.),
    logabsdet=tensor(0.))
"""

from __future__ import annotations

from typing import Any

from ._reduce import RETURN_TYPES


class _StructSeq(tuple):
    """A tuple with named fields; subclasses set ``_name`` and ``_fields``."""

    _name = ""
    _fields: tuple[str, ...] = ()

    def __new__(cls, *values: Any) -> _StructSeq:
        if len(values) == 1 and isinstance(values[0], tuple | list):
            values = tuple(values[0])
        if len(values) != len(cls._fields):
            raise TypeError(f"torch.return_types.{cls._name}() takes a {len(cls._fields)}-"
                            f"sequence ({len(values)}-sequence given)")
        return tuple.__new__(cls, values)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self, strict=True))
        return f"torch.return_types.{self._name}(\n{body})"

    def __reduce__(self) -> Any:
        return (type(self), (tuple(self),))


def _make(name: str, *fields: str) -> type:
    attrs: dict[str, Any] = {"_name": name, "_fields": fields, "__module__": "torch.return_types",
                             "n_fields": len(fields), "n_sequence_fields": len(fields)}
    for i, field in enumerate(fields):
        attrs[field] = property(lambda self, i=i: self[i])
    return type(name, (_StructSeq,), attrs)


svd = _make("svd", "U", "S", "V")
slogdet = _make("slogdet", "sign", "logabsdet")
qr = _make("qr", "Q", "R")
linalg_svd = _make("linalg_svd", "U", "S", "Vh")
linalg_slogdet = _make("linalg_slogdet", "sign", "logabsdet")
linalg_eigh = _make("linalg_eigh", "eigenvalues", "eigenvectors")
linalg_qr = _make("linalg_qr", "Q", "R")
linalg_lstsq = _make("linalg_lstsq", "solution", "residuals", "rank", "singular_values")
linalg_inv_ex = _make("linalg_inv_ex", "inverse", "info")
linalg_solve_ex = _make("linalg_solve_ex", "result", "info")
triangular_solve = _make("triangular_solve", "solution", "cloned_coefficient")
linalg_cholesky_ex = _make("linalg_cholesky_ex", "L", "info")
linalg_lu = _make("linalg_lu", "P", "L", "U")
linalg_lu_factor = _make("linalg_lu_factor", "LU", "pivots")
linalg_lu_factor_ex = _make("linalg_lu_factor_ex", "LU", "pivots", "info")
linalg_ldl_factor = _make("linalg_ldl_factor", "LD", "pivots")
linalg_ldl_factor_ex = _make("linalg_ldl_factor_ex", "LD", "pivots", "info")
max = RETURN_TYPES["max"]
min = RETURN_TYPES["min"]
