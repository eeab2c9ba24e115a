"""`make pipeline` on the default 20 000-row batch, against its floor (pipeline_floor.py), and
`capstone check all` after it.

Bakes a default team repo (churn) per scaffold into a temporary folder, runs `make setup`, then
times `make pipeline` (all nine DVC stages with GX, MLflow and BentoML) and the plain-script floor
in the same repo. Targets: at most 60 s, and at most 1.5 x the floor. In the reference repo it then
pushes the data and times `capstone check all` (every gate of the five stages): at most 60 s.
Run with `make bench`.
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))

from cookiecutter.main import cookiecutter  # noqa: E402
from teamrepo import TEMPLATE, run  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_RATIO = 1.5
TARGET_CHECK_SECONDS = 60.0


def timed(repo: Path, *command: str) -> float:
    started = time.perf_counter()
    run(repo, *command)
    return time.perf_counter() - started


def main() -> int:
    ok = True
    work = Path(tempfile.mkdtemp(prefix="ml-capstone-bench-"))
    config = work / "config.yaml"
    config.write_text(f"cookiecutters_dir: {work / 'cc'}\nreplay_dir: {work / 'replay'}\n")
    for scaffold in ("skeleton", "reference"):
        repo = Path(
            cookiecutter(
                str(TEMPLATE),
                no_input=True,
                output_dir=str(work / scaffold),
                config_file=str(config),
                extra_context={"scaffold": scaffold},
            )
        )
        run(repo, "make", "setup")
        pipeline = timed(repo, "make", "pipeline")
        floor = timed(repo, str(repo / ".venv" / "bin" / "python"), str(HERE / "pipeline_floor.py"))
        ratio = pipeline / floor
        ok &= pipeline <= TARGET_SECONDS and ratio <= TARGET_RATIO
        print(
            f"{scaffold:>9}: make pipeline {pipeline:.1f} s (target <= {TARGET_SECONDS:.0f} s); "
            f"floor {floor:.1f} s; ratio {ratio:.2f} (target <= {TARGET_RATIO})",
            flush=True,
        )
        if scaffold == "reference":
            run(repo, "make", "push")
            started = time.perf_counter()
            graded = run(repo, ".venv/bin/capstone", "check", "all", check=False)
            check = time.perf_counter() - started
            ok &= check <= TARGET_CHECK_SECONDS and graded.returncode == 0
            verdict = "all gates passed" if graded.returncode == 0 else "some gates FAILED"
            print(f"{scaffold:>9}: capstone check all {check:.1f} s (target <= 60 s); {verdict}", flush=True)
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
