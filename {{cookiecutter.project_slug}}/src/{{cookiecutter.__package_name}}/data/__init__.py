"""Stage 1: ingest the raw batch into data/raw and clean it into data/clean.

The brief is docs/stages/1-data.md. The code arrives with the pipeline template update.
"""
