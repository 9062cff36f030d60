"""``tenkai dump --stage memory`` reports the arena the executable really allocates: the
memory plan's slots plus the kernel scratch lowering adds (im2col column tiles, ...)."""

from __future__ import annotations

import re

import tenkai
from tenkai._cli_stages import stage_texts


def _conv_step():
    nn = tenkai.nn
    tenkai.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 3))
    opt = tenkai.optim.SGD(model.parameters(), lr=0.1)
    x, y = tenkai.randn(5, 2, 6, 6), tenkai.randint(0, 3, (5,))

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step, (x, y)


def test_memory_stage_reports_the_executables_arena() -> None:
    step, args = _conv_step()
    step(*args)  # the optimizer's state exists before tracing (as `tenkai dump` does)
    text = stage_texts(tenkai.trace(step, *args), "plan_memory")["plan_memory"]
    compiled = tenkai.compile(step)
    for _ in range(2):
        compiled(*args)
    executable = compiled.steps[-1].program.executable
    shown = re.search(r"what the executable allocates\): arena ([\d,]+) B", text)
    assert shown is not None, text
    assert int(shown.group(1).replace(",", "")) == executable.arena.size
    planned = re.search(r"^  arena ([\d,]+) B", text, re.M)
    assert planned is not None and int(planned.group(1).replace(",", "")) <= executable.arena.size
    # the im2col column tile: 2*3*3 rows, up to 5*6*6 pixels (chunks of whole images)
    assert re.search(r"^    t\d+_cols\s+float32\[18, (36|72|108|144|180)\]\s+\d+ B @\d+  in "
                     r"k\d+_conv2d", text, re.M), text
