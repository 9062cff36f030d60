"""``tenkai.nn.utils.rnn``: padded and packed batches of variable-length sequences.

A :class:`PackedSequence` holds the time steps of a batch sorted by length, longest first:
``data`` is (sum of lengths, *), ``batch_sizes[t]`` how many sequences are still running at
step t. Packing and unpacking are one ``index_select`` each (registry ops, differentiable),
with the index built on the host from the lengths, as PyTorch requires them on the CPU::

    packed = pack_padded_sequence(x, [5, 3, 2], batch_first=True)
    out, h = nn.GRU(8, 16, batch_first=True)(packed)
    padded, lengths = pad_packed_sequence(out, batch_first=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..._creation import full
from ..._ops import tensor_of
from ..._shape import cat, stack
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence"]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """A packed batch (see the module docstring); RNN modules accept it as input."""

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise ValueError("PackedSequence: batch_sizes is required (build packed "
                             "sequences with pack_padded_sequence or pack_sequence)")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data: Tensor) -> PackedSequence:
        if data is self.data:
            return self
        out = type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)
        if "_host" in self.__dict__:
            out._host = self._host
        return out

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self._with_data(self.data.to(*args, **kwargs))

    def cpu(self) -> PackedSequence:
        return self

    def double(self) -> PackedSequence:
        return self._with_data(self.data.double())

    def float(self) -> PackedSequence:
        return self._with_data(self.data.float())

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    if permutation is None:
        return None
    perm = _host_ints(permutation)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size, dtype=np.int64)
    return tensor_of(inverse, "int64")


def _host_ints(values: Any) -> np.ndarray:
    """Lengths / permutations live on the host (PyTorch requires CPU int64 for them)."""
    if isinstance(values, Tensor):
        return np.asarray(values.tolist(), dtype=np.int64).reshape(-1)
    return np.asarray(list(values), dtype=np.int64).reshape(-1)


def _host_meta(sequence: PackedSequence) -> tuple[np.ndarray, np.ndarray | None]:
    """``batch_sizes`` and ``unsorted_indices`` as host arrays. Packing keeps its own copy, so
    a compiled step never reads these tensors back (they are constants of the trace); a
    PackedSequence built by hand from traced tensors is read with ``.tolist()`` (reported)."""
    host = sequence.__dict__.get("_host")
    if host is not None:
        return host
    unsorted = sequence.unsorted_indices
    return _host_ints(sequence.batch_sizes), None if unsorted is None else _host_ints(unsorted)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    return np.array([(lengths > t).sum() for t in range(int(lengths.max()))], dtype=np.int64)


def _packed_index(batch_sizes: np.ndarray, batch: int) -> np.ndarray:
    """Rows of a time-major (T*B) layout that the packed data holds, in packed order."""
    return np.concatenate([t * batch + np.arange(bs) for t, bs in enumerate(batch_sizes)])


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded (T, B, *) batch (``batch_first``: (B, T, *)) of the given lengths."""
    lens = _host_ints(lengths)
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    batch_dim = 0 if batch_first else 1
    if lens.size != input.shape[batch_dim]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={input.shape[batch_dim]})")
    order = None
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = tensor_of(order.astype(np.int64), "int64")
        lens = lens[order]
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[0], input.shape[1]
    if lens.max() > steps:
        raise RuntimeError(f"pack_padded_sequence: a length ({int(lens.max())}) exceeds the "
                           f"padded sequence length ({steps})")
    sizes = _batch_sizes(lens)
    flat = input.reshape(steps * batch, *input.shape[2:])
    data = flat.index_select(0, tensor_of(_packed_index(sizes, batch), "int64"))
    unsorted = None if order is None else np.argsort(order)
    packed = PackedSequence(data, tensor_of(sizes, "int64"), sorted_indices,
                            None if unsorted is None else tensor_of(unsorted, "int64"))
    packed._host = (sizes, unsorted)
    return packed


def packed_to_padded(sequence: PackedSequence, padding_value: float = 0.0,
                     total_length: int | None = None) -> tuple[Tensor, list[int]]:
    """(T, B, *) padded batch in the packed (sorted) order, and the sorted lengths."""
    sizes = _host_meta(sequence)[0]
    batch, steps = int(sizes[0]), int(sizes.size)
    lengths = [int((sizes > b).sum()) for b in range(batch)]
    total = steps if total_length is None else total_length
    data = sequence.data
    feature = tuple(data.shape[1:])
    pad_row = full((1, *feature), padding_value, dtype=data.dtype)
    source = np.full(total * batch, data.shape[0], dtype=np.int64)  # default: the pad row
    source[_packed_index(sizes, batch)] = np.arange(data.shape[0])
    rows = cat([data, pad_row]).index_select(0, tensor_of(source, "int64"))
    return rows.reshape(total, batch, *feature), lengths


def padded_to_packed(padded: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack a time-major batch that is already in ``like``'s sorted order."""
    sizes = _host_meta(like)[0]
    steps, batch = padded.shape[0], padded.shape[1]
    flat = padded.reshape(steps * batch, *padded.shape[2:])
    data = flat.index_select(0, tensor_of(_packed_index(sizes, batch), "int64"))
    packed = PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)
    packed._host = _host_meta(like)
    return packed


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Inverse of :func:`pack_padded_sequence`: ``(padded, lengths)`` in the original order."""
    sizes, unsorted = _host_meta(sequence)
    steps = int(sizes.size)
    if total_length is not None and total_length < steps:
        raise ValueError("Expected total_length to be at least the length of the longest "
                         f"sequence in input, but got total_length={total_length} and max "
                         f"sequence length being {steps}")
    padded, lengths = packed_to_padded(sequence, padding_value, total_length)
    lens = np.asarray(lengths, dtype=np.int64)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lens = lens[unsorted]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor_of(lens, "int64")


def pad_sequence(sequences: Sequence[Tensor] | Tensor, batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack (L_i, *) tensors into (T, B, *) (``batch_first``: (B, T, *)), padding the ends."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    seqs = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not seqs:
        raise RuntimeError("received an empty list of sequences")
    steps = max(s.shape[0] for s in seqs)
    padded = []
    for s in seqs:
        missing = steps - s.shape[0]
        if missing:
            pad = full((missing, *s.shape[1:]), padding_value, dtype=s.dtype)
            s = cat([s, pad]) if padding_side == "right" else cat([pad, s])
        padded.append(s)
    return stack(padded, 0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) tensors (``pack_sequence([a, b, c])``)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """The list of unpadded sequences of a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences.unbind(0), _host_ints(lengths),
                                           strict=True)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences of a packed batch, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
