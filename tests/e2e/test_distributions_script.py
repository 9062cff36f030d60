"""End to end: examples/distributions_rl_vae.py, an unchanged PyTorch script on
torch.distributions, runs under ``tenkai.as_torch`` and learns (the REINFORCE policy finds
the rewarded action for most states, far above the 1/3 of a uniform policy)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "distributions_rl_vae.py"


def test_rl_vae_script_learns_under_tenkai() -> None:
    done = subprocess.run([sys.executable, "-m", "tenkai.as_torch", str(SCRIPT)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    found = re.fullmatch(r"policy accuracy ([\d.]+), vae loss ([\d.]+)\n", done.stdout)
    assert found, done.stdout
    assert float(found.group(1)) >= 0.6 and float(found.group(2)) < 8.5
