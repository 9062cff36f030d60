"""End-to-end smoke test (well under 5 s, no PyTorch needed): tensor ops, printing, autograd
and a few eager gradient-descent steps."""

from __future__ import annotations

import tenkai as torch


def test_smoke() -> None:
    x = torch.tensor([[100, 200, 300], [400, 500, 600]])
    x = x + torch.tensor([1, 2, 3])
    assert x.type() == "torch.LongTensor" and x.shape == torch.Size([2, 3])
    assert repr(x.view(3, 2)) == "tensor([[101, 202],\n        [303, 401],\n        [502, 603]])"
    x[x > 300] = 2
    assert x.tolist() == [[101, 202, 2], [2, 2, 2]]
    assert str(torch.device("cuda" if torch.cuda.is_available() else "cpu")) in ("cpu", "cuda")

    w = torch.tensor([[0.6, -0.2]], requires_grad=True)
    b = torch.tensor([0.8], requires_grad=True)
    y = torch.tanh(torch.tensor([[1.0, 2.0]]) @ w.T + b)
    assert repr(y) == "tensor([[0.7616]], grad_fn=<TanhBackward0>)"
    loss = ((y - torch.tensor([[1.0]])) ** 2).mean()
    loss.backward()
    assert repr(w.grad) == "tensor([[-0.2002, -0.4005]])"

    t = torch.tensor(10.0, requires_grad=True)
    for _ in range(50):
        loss = (t - 3) ** 2
        loss.backward()
        with torch.no_grad():
            t -= 0.1 * t.grad
        t.grad.zero_()
    assert abs(t.item() - 3) < 1e-3 and f"{loss:.2f}" == "0.00"
