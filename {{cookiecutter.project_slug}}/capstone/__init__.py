"""Course machinery for the capstone: the data feed, the checkpoints and the `capstone` CLI.

Owned by the mentors (see .github/CODEOWNERS). Teams use it; they do not change it.
"""
