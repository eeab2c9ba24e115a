"""{{ cookiecutter.project_slug }}: the team's ML code, one subpackage per stage.

- data: stage 1, ingest the raw batch and clean it
- validation: stage 2, Great Expectations suites written as code
- features: stage 3, the scikit-learn feature pipeline
- models: stage 4, training, evaluation and the champion in the MLflow registry
- serving: stage 5, the BentoML service
"""
