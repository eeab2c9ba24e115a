"""Bake time: `cookiecutter . --no-input` run as an instructor runs it (a new process each time).

Target: median at most 3 s. Prints the median, the min and the max of 11 bakes.
Run it with `make bench` from the template root.
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
RUNS = 11
TARGET_SECONDS = 3.0


def bake_once(cookiecutter: Path, work: Path, index: int) -> float:
    config = work / "config.yaml"
    config.write_text(f"cookiecutters_dir: {work / 'templates'}\nreplay_dir: {work / 'replay'}\n")
    start = time.perf_counter()
    subprocess.run(
        [cookiecutter, str(TEMPLATE), "--no-input", "--config-file", str(config), "-o", str(work / f"out{index}")],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> int:
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    with tempfile.TemporaryDirectory() as work:
        times = [bake_once(cookiecutter, Path(work), index) for index in range(RUNS)]
    median = statistics.median(times)
    print(
        f"bake (cookiecutter . --no-input, {RUNS} runs): median {median:.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s; target <= {TARGET_SECONDS:.1f} s"
    )
    return 0 if median <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
