"""The pipeline's stages, run by the team's thin entry points (`python -m <package>.data.ingest`, ...).

Each module here is the plumbing of one DVC stage (ingest, validate, clean, split, train, evaluate,
register, bento) or what they share (tracking: MLflow bookkeeping and tags; runtime: thread
settings; splits, scoring, plots). The team's own code is reached through capstone.hooks only.
"""
