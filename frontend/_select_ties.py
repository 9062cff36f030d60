"""Which of several equal entries ``kthvalue`` reports, as PyTorch's CPU kernel does.

PyTorch selects the k-th smallest entry of a line with a quickselect (a median-of-three pivot,
then a two-sided partition of the values and their positions together) and reports the
position that ends up at slot ``k``. When the k-th value occurs once, that is the position
a stable sort gives; when it is tied, the partition's swaps decide which of the equal entries
lands there. The lines with a tie are replayed here step by step (nan counts as the largest
value); the others keep the sorted position.
"""

from __future__ import annotations

import numpy as np


def _greater(a: float, b: float) -> bool:
    """``a > b`` with nan above every number (and not above another nan)."""
    return (a != a and b == b) or a > b  # noqa: PLR0124 (a != a: nan test on a Python float)


def _quickselect_position(line: list, k: int) -> int:
    """The original position that a median-of-three quickselect leaves at slot ``k``."""
    values, where = list(line), list(range(len(line)))

    def swap(a: int, b: int) -> None:
        values[a], values[b] = values[b], values[a]
        where[a], where[b] = where[b], where[a]

    lo, hi = 0, len(values) - 1
    while hi > lo:
        if hi == lo + 1:
            if _greater(values[lo], values[hi]):
                swap(lo, hi)
            break
        # order slots lo+1 <= lo <= hi so the pivot (slot lo) is the median of three
        swap(lo + (hi - lo) // 2, lo + 1)
        if _greater(values[lo + 1], values[hi]):
            swap(lo + 1, hi)
        if _greater(values[lo], values[hi]):
            swap(lo, hi)
        if _greater(values[lo + 1], values[lo]):
            swap(lo + 1, lo)
        i, j, pivot = lo + 1, hi, values[lo]
        while True:
            i += 1
            while _greater(pivot, values[i]):
                i += 1
            j -= 1
            while _greater(values[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return where[k]


def kth_positions(data: np.ndarray, axis: int, index: np.ndarray, k: int) -> np.ndarray:
    """``index`` (the stable-sort position of each line's k-th smallest entry, size 1 along
    ``axis``) with the lines whose k-th value is tied (a nan k-th value counts as tied)
    replayed as PyTorch's quickselect picks them."""
    last = axis == data.ndim - 1
    lines = data if last else np.moveaxis(data, axis, -1)
    picks = index if last else np.moveaxis(index, axis, -1)
    kth = np.take_along_axis(lines, picks, -1)
    tied = np.count_nonzero(lines == kth, axis=-1) > 1
    if lines.dtype.kind in "fc":  # nan != nan: a nan k-th value may be tied too
        tied |= np.isnan(kth[..., 0])
    if not tied.any():
        return index
    picks = picks.copy()
    for at in map(tuple, np.argwhere(tied)):
        picks[at] = _quickselect_position(lines[at].tolist(), k)
    return np.moveaxis(picks, -1, axis)


def kth_rows(rows: np.ndarray, pick: np.ndarray, k: int, tied: np.ndarray) -> np.ndarray:
    """:func:`kth_positions` for float ``rows`` (R, n), their stable-sort positions ``pick``
    (R,) of the k-th smallest entry and the rows whose k-th value is ``tied``."""
    pick = pick.copy()
    for at in np.flatnonzero(tied):
        pick[at] = _quickselect_position(rows[at].tolist(), k)
    return pick


def all_nan_position(n: int) -> int:
    """The position ``nanmedian`` reports along a line of ``n`` nans, as PyTorch's: its
    selection (a median-of-three introselect for slot 0) compares no nan below another, so
    only the pivot swaps move positions: the middle one goes first, the partition reverses the
    rest, and the search narrows to the front part until at most three are left."""
    where, lo, hi = list(range(n)), 0, n
    while hi - lo > 3:
        mid = lo + (hi - lo) // 2
        where[lo], where[mid] = where[mid], where[lo]
        first, last = lo + 1, hi
        while True:
            last -= 1
            if first >= last:
                break
            where[first], where[last] = where[last], where[first]
            first += 1
        hi = first
    return where[lo]
