"""``python -m tenkai ...``: the same as the ``tenkai`` command."""

import sys

from .cli import main

sys.exit(main())
