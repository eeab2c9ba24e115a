"""Stage 1: the data's way in (docs/stages/1-data.md).

- ingest.py: the raw batch (company feed or the team's CSV) into data/raw/batch.csv.
- clean.py: the defects fixed, into data/clean/clean.csv, with reports/cleaning.json.
- split.py: training, validation and test sets in data/split/.

Each is a pipeline stage: `python -m <package>.data.<module>`, run by `dvc repro` (dvc.yaml).
"""
