"""Bake time: `cookiecutter . --no-input` as an instructor runs it, 11 bakes, against copying the files.

Item 1 of `make bench`; this command runs just that item (benchmarks/run.py --only bake) and
updates its row of benchmarks/results.md. Target: median at most 3 s.
"""

import os
import sys
from pathlib import Path

run = Path(__file__).with_name("run.py")
os.execv(sys.executable, [sys.executable, str(run), "--only", "bake", *sys.argv[1:]])
