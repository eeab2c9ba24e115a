"""`make pipeline` against its floor (pipeline_floor.py), both scaffolds, then `capstone check all`.

Items 3 and 7 of `make bench`; this command runs just those (benchmarks/run.py --only pipeline
--only check) and updates their rows of benchmarks/results.md. Targets: at most 60 s and 1.5 x
the floor; check all at most 60 s.
"""

import os
import sys
from pathlib import Path

run = Path(__file__).with_name("run.py")
os.execv(sys.executable, [sys.executable, str(run), "--only", "pipeline", "--only", "check", *sys.argv[1:]])
