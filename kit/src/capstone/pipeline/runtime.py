"""Thread settings for the model stages: call calm_threads() first thing in a stage.

Measured on a 2-core machine with other work running: gradient boosting's OpenMP threads (they
split every tree node between the cores) made a 7 s search take 10 to 160 s, and BLAS threads on
small matrices made logistic regression 6 times slower. One thread each is faster and steady.
Random forests still grow their trees on every core (n_jobs=-1 in candidates.py): a whole tree
is a big enough piece of work to share. A variable set in the environment wins over these.
"""

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def calm_threads() -> None:
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # The variables only count for libraries not loaded yet. Under `make pipeline` the warm runner
    # (capstone.runner, in the course kit) has loaded numpy and scikit-learn already: limit their pools directly.
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=_count("OMP_NUM_THREADS"), user_api="openmp")
    threadpool_limits(limits=_count("OPENBLAS_NUM_THREADS"), user_api="blas")


def _count(variable: str) -> int:
    try:
        return max(1, int(os.environ[variable]))
    except ValueError:
        return 1
