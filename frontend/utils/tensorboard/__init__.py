"""``tenkai.utils.tensorboard``: PyTorch's ``SummaryWriter``, writing TensorBoard event files
through the ``tensorboard`` package (``pip install tenkai[tensorboard]``), as PyTorch does.

    from tenkai.utils.tensorboard import SummaryWriter
    writer = SummaryWriter()                 # runs/<date>_<host>
    writer.add_scalar("loss/train", loss.item(), step)
"""

from __future__ import annotations

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
