"""Stage 4: train and tune with MLflow tracking, evaluate, and register the champion.

The brief is docs/stages/4-experiments.md. The code arrives with the pipeline template update.
"""
