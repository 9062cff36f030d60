"""``tenkai.optim.LBFGS``: limited-memory BFGS, optionally with a strong-Wolfe line search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _shape, _trace
from .._tensor import Tensor
from ..autograd import enable_grad, no_grad
from ._line_search import strong_wolfe
from .optimizer import Optimizer, ParamsT, check_nonnegative

_UNTRACEABLE = (
    "LBFGS.step(closure)",
    "L-BFGS re-evaluates the closure a data-dependent number of times (its stopping tests "
    "and line search read losses and gradients into Python), which a compiled replay "
    "cannot reproduce",
    "call LBFGS.step(closure) outside tenkai.compile (a compiled function may compute the "
    "closure's loss and gradients), or use tenkai.compile(fn, on_untraceable='eager')")


class LBFGS(Optimizer):
    """L-BFGS with PyTorch's algorithm, defaults and state; ``step`` needs a ``closure`` that
    clears the gradients, computes the loss, calls ``backward()`` and returns the loss.

    Scalars (curvature pairs' ``ro``, ``H_diag``, step lengths) are Python floats, where
    PyTorch keeps 0-d tensors of the parameters' dtype: the same numbers for float64
    parameters, float32 ones may differ in the last bits.

    Example::

        >>> w = tenkai.nn.Parameter(tenkai.tensor([3.0]))
        >>> opt = tenkai.optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad(); loss = ((w - 1) ** 2).sum(); loss.backward(); return loss
        >>> opt.step(closure); round(w.item(), 4)
        1.0
    """

    def __init__(self, params: ParamsT, lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_nonnegative(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    # ------------------------------------------------------------ flat views
    def _flat_grad(self) -> Tensor:
        views = [p.new_zeros(p.numel()) if p.grad is None else p.grad.reshape(-1)
                 for p in self._params]
        return _shape.cat(views, 0)

    def _add_to_params(self, step: float, direction: Tensor) -> None:
        offset = 0
        for p in self._params:
            numel = p.numel()
            p.add_(direction[offset:offset + numel].view_as(p), alpha=step)
            offset += numel

    def _evaluate(self, closure: Callable[[], Any], step: float,
                  direction: Tensor) -> tuple[float, Tensor]:
        """Loss and flat gradient at ``params + step * direction``; the params are restored."""
        saved = [p.clone() for p in self._params]
        self._add_to_params(step, direction)
        with enable_grad():
            loss = float(closure())
        grad = self._flat_grad()
        for p, value in zip(self._params, saved, strict=True):
            p.copy_(value)
        return loss, grad

    # ------------------------------------------------------------ the step
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; returns the first ``closure()`` loss."""
        if closure is None:
            raise RuntimeError("LBFGS.step requires a closure that reevaluates the model and "
                               "returns the loss")
        tracer = _trace.active()
        if tracer is not None:
            tracer.sites.append(_trace.Site(_trace.user_frame(), *_UNTRACEABLE))
        with no_grad():
            return self._iterate(closure)

    def _iterate(self, closure: Callable[[], Any]) -> Any:
        group = dict(self.param_groups[0])
        for key in ("max_iter", "max_eval", "history_size"):  # counts (a trace may wrap them)
            group[key] = int(group[key])
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss, evals = float(orig_loss), 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if float(flat_grad.abs().max()) <= group["tolerance_grad"]:
            return orig_loss
        for n_iter in range(1, group["max_iter"] + 1):
            state["n_iter"] += 1
            direction = self._direction(state, flat_grad, group["history_size"])
            if state.get("prev_flat_grad") is None:
                state["prev_flat_grad"] = flat_grad.clone()
            else:
                state["prev_flat_grad"].copy_(flat_grad)
            state["prev_loss"] = loss
            t = group["lr"]
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(flat_grad.abs().sum())) * group["lr"]
            state["t"] = t
            gtd = float(flat_grad.dot(direction))
            if gtd > -group["tolerance_change"]:  # not a descent direction
                break
            loss, flat_grad, t, used = self._move(closure, group, direction, t, loss,
                                                  flat_grad, gtd, n_iter, evals)
            state["t"] = t
            evals += used
            state["func_evals"] += used
            if self._converged(group, n_iter, evals, flat_grad, direction, t, loss,
                               state["prev_loss"]):
                break
        return orig_loss

    def _direction(self, state: dict[str, Any], flat_grad: Tensor, history_size: int) -> Tensor:
        """The search direction: steepest descent first, then the two-loop recursion over
        the stored curvature pairs (updated with the last step's when ``y . s > 1e-10``)."""
        if state["n_iter"] == 1:
            state.update(d=flat_grad.neg(), old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return state["d"]
        old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
        y = flat_grad.sub(state["prev_flat_grad"])
        s = state["d"].mul(state["t"])
        ys = float(y.dot(s))
        if ys > 1e-10:
            if len(old_dirs) == history_size:
                old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
            old_dirs.append(y)
            old_stps.append(s)
            ro.append(1.0 / ys)
            state["H_diag"] = ys / float(y.dot(y))
        al = state.setdefault("al", [None] * history_size)
        q = flat_grad.neg()
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = float(old_stps[i].dot(q)) * ro[i]
            q.add_(old_dirs[i], alpha=-al[i])
        r = q.mul(state["H_diag"])
        for i in range(len(old_dirs)):
            be_i = float(old_dirs[i].dot(r)) * ro[i]
            r.add_(old_stps[i], alpha=al[i] - be_i)
        state["d"] = r
        return r

    def _move(self, closure: Callable[[], Any], group: dict[str, Any], direction: Tensor,
              t: float, loss: float, flat_grad: Tensor, gtd: float, n_iter: int,
              evals: int) -> tuple[float, Tensor, float, int]:
        """Step along ``direction`` (fixed ``t``, or the line search's); returns the new loss,
        gradient, step length and the closure evaluations it took."""
        if group["line_search_fn"] is not None:
            if group["line_search_fn"] != "strong_wolfe":
                raise RuntimeError("only 'strong_wolfe' is supported")
            loss, flat_grad, t, used = strong_wolfe(
                lambda step: self._evaluate(closure, step, direction), direction, t, loss,
                flat_grad, gtd, max_ls=group["max_eval"] - evals)
            self._add_to_params(t, direction)
            return loss, flat_grad, t, used
        self._add_to_params(t, direction)
        if n_iter == group["max_iter"]:
            return loss, flat_grad, t, 0
        with enable_grad():
            loss = float(closure())
        return loss, self._flat_grad(), t, 1

    @staticmethod
    def _converged(group: dict[str, Any], n_iter: int, evals: int, flat_grad: Tensor,
                   direction: Tensor, t: float, loss: float, prev_loss: float) -> bool:
        return (n_iter == group["max_iter"] or evals >= group["max_eval"]
                or float(flat_grad.abs().max()) <= group["tolerance_grad"]
                or float(direction.mul(t).abs().max()) <= group["tolerance_change"]
                or abs(loss - prev_loss) < group["tolerance_change"])
