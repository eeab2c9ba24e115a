"""capstone-kit: the course's machinery for an ML capstone, installed into every team repository.

The data feed, the stage checkpoints (`capstone check`), the mentor's report, and the plumbing a team
builds on (MLflow bookkeeping, Great Expectations runs, the bento). Teams use it; mentors release it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("capstone-kit")
except PackageNotFoundError:  # imported from a source tree that is not installed
    __version__ = "0+unknown"
