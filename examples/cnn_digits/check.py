"""Check `zkcc run` on the example against the numpy int model (reference.py), bit for bit.

    python examples/cnn_digits/check.py [PLAN]

See examples/digits_check.py (shared with the other digits example).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from digits_check import check  # noqa: E402

if __name__ == "__main__":
    check(HERE, sys.argv[1:])
