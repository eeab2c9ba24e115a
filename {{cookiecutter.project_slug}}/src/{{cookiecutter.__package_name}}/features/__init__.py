"""Stage 3: the scikit-learn feature pipeline (docs/stages/3-features.md).

- pipeline.py: yours. build_features turns the raw columns into a numeric matrix, inside the model.
"""
