"""A script run against a checkout of zkcc in a fresh process, for the before/after modes of
the benchmarks (bench/compile.py --baseline and --load-baseline, bench/zk.py --baseline):
they alternate another checkout's code with this one's, since runs of one code on a shared
machine move by a few percent from minute to minute."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_script(checkout: Path, script: str, *args: object) -> Any:
    """What `script` prints as JSON, run as `python -c script checkout args...` (the script
    puts its argv[1], the checkout, first on its path)."""
    out = subprocess.run(
        [sys.executable, "-c", script, str(checkout), *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)
