"""``tenkai.device`` and the CUDA availability probe (through the driver library, no toolkit)."""

from __future__ import annotations

from typing import Any


class device:
    """``tenkai.device('cpu')`` / ``tenkai.device('cuda:0')``; prints like ``torch.device``."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if isinstance(type, int) and not isinstance(type, bool):  # device(0) is cuda:0
            type, index = "cuda", type
        kind, _, num = str(type).partition(":")
        if kind not in ("cpu", "cuda", "meta"):
            raise RuntimeError(f"Expected one of cpu, cuda, meta device type at start of device "
                               f"string: {type}")
        self.type = kind
        self.index = int(num) if num else index

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    # ``with tenkai.device("cuda"):``: the factories' default device inside the block
    def __enter__(self) -> device:
        _ENTERED.append(get_default_device())
        set_default_device(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        set_default_device(_ENTERED.pop())


CPU = device("cpu")
_ENTERED: list[device] = []  # the defaults ``with device(...)`` blocks replaced
# the device factory functions use when given none (``set_default_device``): None is the CPU
# (the factories' fast paths test ``DEFAULT[0] is None``), else a cuda device
DEFAULT: list[device | None] = [None]
# run once, when the first cuda tensor is made (tenkai/__init__ adds the host-op routing)
ON_CUDA: list[Any] = []
CURRENT_CUDA = [0]  # the current GPU (tenkai.cuda.set_device): what a bare 'cuda' means


def cuda_device_count() -> int:
    """GPUs visible through the CUDA driver API (0 when there is no driver): the runtime's
    driver (``tenkai.runtime.cuda``), which opens ``libcuda.so.1`` once and remembers a miss."""
    from tenkai.runtime.cuda import device_count

    return device_count()


def require_cuda(index: int | None = None) -> Any:
    """The runtime's context on GPU ``index`` (0 for None); without a driver or GPU the error
    says what is missing (PyTorch's words: "Found no NVIDIA driver on your system")."""
    from tenkai.runtime.cuda import context

    return context(0 if index is None else index)


NUMPY_MESSAGE = ("can't convert {device} device type tensor to numpy. Use Tensor.cpu() to copy "
                 "the tensor to host memory first.")


def check_device(dev: Any) -> device:
    """Resolve a device argument: ``cpu``, or ``cuda:N`` with its index (``cuda`` is the
    current GPU, as in PyTorch) once the GPU was found; without a driver or GPU, or with a
    bad ordinal, the runtime's RuntimeError (PyTorch's "Found no NVIDIA driver on your
    system" / "invalid device ordinal")."""
    d = device(dev) if not isinstance(dev, device) else dev
    if d.type == "cuda":
        if d.index is None:
            d = device("cuda", CURRENT_CUDA[0])
        require_cuda(d.index)
        return d
    if d.type == "meta":
        raise NotImplementedError("meta tensors are not supported")
    return d


def get_default_device() -> device:
    """The device factory functions use (``device(type='cpu')``; ``cuda:N`` after
    ``set_default_device("cuda")``, as PyTorch prints it)."""
    return CPU if DEFAULT[0] is None else DEFAULT[0]


def set_default_device(dev: Any) -> None:
    """``set_default_device("cuda")``: factory functions given no ``device=`` (``zeros``,
    ``randn``, ``tensor``, ``arange``, the parameters of modules built then ...) make their
    tensors there; ``*_like`` and ``x.new_*`` still follow their input, ``from_numpy`` stays on
    the CPU (as PyTorch). ``"cpu"`` or ``None`` resets it. Without a GPU, "cuda" fails as
    ``.cuda()`` does. ``with tenkai.device("cuda"):`` sets it for a block."""
    d = CPU if dev is None else check_device(dev)
    DEFAULT[0] = None if d.type == "cpu" else d
