"""Stage 3: the scikit-learn Pipeline and ColumnTransformer that turn clean rows into features.

The brief is docs/stages/3-features.md. The code arrives with the pipeline template update.
"""
