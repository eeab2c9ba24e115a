"""Stage 2: the Great Expectations suites for the raw and the clean data.

The brief is docs/stages/2-validation.md. The code arrives with the pipeline template update.
"""
