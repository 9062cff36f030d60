"""Unchanged PyTorch scripts on tenkai: ``python -m tenkai.as_torch`` and ``tenkai bench
--script``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tenkai import _bench_script
from tenkai._bench_script import ScriptRun

SCRIPT = textwrap.dedent("""\
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    from torch import optim
    print(torch.__name__, nn.__name__, F.__name__, optim.__name__, DataLoader.__module__)
    x = torch.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    print("argv", sys.argv[1:], "grad", x.grad.tolist())
    """)


def _python(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300)


def test_import_torch_runs_on_tenkai(tmp_path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    done = _python("-m", "tenkai.as_torch", str(script), "--epochs", "2")
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.split()[:4] == ["tenkai", "tenkai.nn", "tenkai.nn.functional", "tenkai.optim"]
    assert first.split()[4].startswith("tenkai.utils.data")
    assert second == "argv ['--epochs', '2'] grad [2.0, 2.0, 2.0]"


def test_a_missing_torch_module_says_which_tenkai_module_was_looked_for(tmp_path) -> None:
    script = tmp_path / "bad.py"
    script.write_text("import torch.no_such_module\n")
    done = _python("-m", "tenkai.as_torch", str(script))
    assert done.returncode == 1
    assert ("ModuleNotFoundError: No module named 'torch.no_such_module' (running on tenkai, "
            "which has no 'tenkai.no_such_module')") in done.stderr


def test_bench_script_times_both_cache_states(tmp_path) -> None:
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    runs = _bench_script.time_script(str(script), threads=1, torch=False)
    assert [r.label for r in runs] == ["tenkai, empty cache", "tenkai, warm cache"]
    assert all(r.returncode == 0 and r.seconds > 0 for r in runs)
    assert runs[0].last_line == "argv [] grad [2.0, 2.0, 2.0]"


def test_bench_script_table_reports_ratios_and_failures() -> None:
    runs = [ScriptRun("PyTorch", 2.0, 0, "done 91%"), ScriptRun("tenkai, empty cache", 1.5, 0,
            "done 91%"), ScriptRun("tenkai, warm cache", 3.0, 1, "", "Boom: it broke")]
    text = "\n".join(_bench_script.format_runs("t.py", runs))
    assert "tenkai, empty cache      1.50      0.75x  done 91%" in text
    assert "FAILED (exit 1)" in text and "    Boom: it broke" in text
