"""Stage 1: the data's way in (docs/stages/1-data.md).

- clean.py: yours. clean_frame fixes the raw batch's defects (data/clean/clean.csv, reports/cleaning.json).
- ingest.py, split.py: pipeline stages run by the course kit (the raw batch in; training, validation
  and test sets out).

Each is a pipeline stage: `python -m <package>.data.<module>`, run by `dvc repro` (dvc.yaml).
"""
