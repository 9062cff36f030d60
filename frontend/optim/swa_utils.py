"""``tenkai.optim.swa_utils`` (``torch.optim.swa_utils``): stochastic weight averaging and
exponential moving averages of a model's weights.

* :class:`AveragedModel` holds a deep copy of the model and folds the model's current weights
  into it with :meth:`AveragedModel.update_parameters`: the running mean by default (SWA), or
  ``avg_fn`` / ``multi_avg_fn`` (``get_ema_multi_avg_fn(0.999)`` gives an EMA). Its first
  update copies the weights; buffers follow the model unless ``use_buffers=True`` averages
  them too.
* :class:`SWALR` anneals each group's lr to ``swa_lr`` over ``anneal_epochs`` epochs ("cos" or
  "linear") and holds it there.
* :func:`update_bn` recomputes BatchNorm running statistics with one pass over a loader
  (cumulative averages: ``momentum=None`` during the pass).

The updates run with gradient recording off, on eager tensors, in PyTorch's order and
formulas (the CPU path: SWA's ``avg + (p - avg) / (n + 1)`` per tensor, the EMA's ``lerp``).
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import _creation
from .._tensor import Tensor
from ..autograd import no_grad
from ..nn import BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm
from ..nn.module import Module
from .lr_scheduler import LRScheduler
from .optimizer import Optimizer

__all__ = ["SWALR", "AveragedModel", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn", "update_bn"]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable:
    """An EMA over lists of tensors: ``ema.lerp_(current, 1 - decay)`` for each pair."""
    _check_decay(decay)

    def ema_update(ema_params: list, current_params: list, _: Any) -> None:
        with no_grad():
            for ema, cur in zip(ema_params, current_params, strict=True):
                if ema.is_floating_point():
                    ema.lerp_(cur, 1 - decay)
                else:
                    ema.copy_(ema * decay + cur * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn() -> Callable:
    """The running mean over lists of tensors: ``avg.lerp_(p, 1 / (n + 1))``."""
    def swa_update(averaged: list, current: list, num_averaged: Any) -> None:
        with no_grad():
            if averaged and averaged[0].is_floating_point():
                weight = 1 / (num_averaged + 1)
                for avg, cur in zip(averaged, current, strict=True):
                    avg.lerp_(cur, weight.item() if isinstance(weight, Tensor) else weight)
                return
            for avg, cur in zip(averaged, current, strict=True):
                diff = cur - avg
                if isinstance(num_averaged, Tensor):
                    avg.addcdiv_(diff, num_averaged + 1)
                else:
                    avg.add_(diff, alpha=1.0 / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable:
    """An EMA of one tensor: ``decay * ema + (1 - decay) * current``."""
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn() -> Callable:
    """The running mean of one tensor: ``avg + (current - avg) / (n + 1)``."""
    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """``swa_model = AveragedModel(model)``; ``swa_model.update_parameters(model)`` after each
    averaging step; ``swa_model(x)`` runs the averaged copy."""

    def __init__(self, model: Module, device: Any = None, avg_fn: Callable | None = None,
                 multi_avg_fn: Callable | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _creation.tensor(0, dtype="int64", device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _pairs(self, model: Module) -> tuple[list[Tensor], list[Tensor]]:
        mine: Iterable[Tensor] = self.parameters()
        theirs: Iterable[Tensor] = model.parameters()
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        averaged, current = [], []
        for p_avg, p_model in zip(mine, theirs, strict=False):
            averaged.append(p_avg.detach())
            current.append(p_model.detach().to(p_avg.device))
        return averaged, current

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s weights into the average (copy them at the first call)."""
        averaged, current = self._pairs(model)
        n = int(self.n_averaged.item())
        with no_grad():
            if n == 0:
                for avg, cur in zip(averaged, current, strict=True):
                    avg.copy_(cur)
            elif self.avg_fn is not None and self.multi_avg_fn is None:
                for avg, cur in zip(averaged, current, strict=True):
                    avg.copy_(self.avg_fn(avg, cur, self.n_averaged))
            else:
                for group in _by_dtype(averaged, current):
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(group[0], group[1], self.n_averaged)
                    else:  # the CPU's default: SWA's formula tensor by tensor
                        swa = get_swa_avg_fn()
                        for avg, cur in zip(*group, strict=True):
                            avg.copy_(swa(avg, cur, self.n_averaged))
            if not self.use_buffers:  # buffers follow the model
                for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=False):
                    b_avg.detach().copy_(b_model.detach().to(b_avg.device))
            self.n_averaged += 1


def _by_dtype(averaged: list[Tensor], current: list[Tensor]) -> list[tuple[list, list]]:
    """The pairs grouped by (device, dtype), in first-seen order (PyTorch's foreach groups)."""
    groups: dict[tuple, tuple[list, list]] = {}
    for avg, cur in zip(averaged, current, strict=True):
        key = (str(avg.device), str(avg.dtype))
        a, c = groups.setdefault(key, ([], []))
        a.append(avg)
        c.append(cur)
    return list(groups.values())


# PyTorch's _BatchNorm subclasses (InstanceNorm is not one of them there)
_BATCH_NORMS = (BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute every BatchNorm's running statistics with one pass of ``loader`` (each item
    an input, or a list/tuple whose first entry is the input) through ``model``."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BATCH_NORMS):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr from its value to ``swa_lr`` over ``anneal_epochs`` epochs,
    then keep ``swa_lr`` (``anneal_strategy``: "cos" or "linear")."""

    def __init__(self, optimizer: Optimizer, swa_lr: Any, anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        groups = optimizer.param_groups
        lrs = list(swa_lr) if isinstance(swa_lr, (list, tuple)) else [swa_lr] * len(groups)
        if len(lrs) != len(groups):
            raise ValueError(f"swa_lr must have the same length as optimizer.param_groups: "
                             f"swa_lr has {len(lrs)}, optimizer.param_groups has {len(groups)}")
        for lr, group in zip(lrs, groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" \
            else self._linear_anneal
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        span = max(1, self.anneal_epochs)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / span)))
        prev = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha)
                for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / span)))
        return [g["swa_lr"] * alpha + lr * (1 - alpha)
                for g, lr in zip(self.optimizer.param_groups, prev, strict=True)]
