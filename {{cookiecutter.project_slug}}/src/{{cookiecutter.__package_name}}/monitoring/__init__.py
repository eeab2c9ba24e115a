"""Stage 6: operations: is the model still right for the data it sees? (docs/stages/6-operations.md).

- monitor.py: yours. Compare what the model sees now with its training data, column by column, and
  decide whether to retrain.
- check.py: the pipeline's monitor stage (the course kit gathers the data, calls your monitor and
  writes reports/monitoring.json and reports/monitoring.html).
"""
