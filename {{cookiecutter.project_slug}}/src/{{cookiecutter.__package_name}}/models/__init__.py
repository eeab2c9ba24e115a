"""Stage 4: experiments, tuning and the champion in the MLflow registry (docs/stages/4-experiments.md).

- candidates.py: yours. The model families to compare and their search spaces.
- train.py, evaluate.py, register.py: pipeline stages run by the course kit (each run tracked in
  MLflow with its git sha and data version; the champion moves only when it is better).
"""
