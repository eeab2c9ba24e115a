"""The checkpoints: the automatic gates that grade each stage's pull request, and the reports.

    capstone check 1        grade stage 1 (or 2..5, or `all`); writes reports/checkpoint-1.md and .json
    capstone report         the mentor's view of MLflow: this commit's runs against champion and baseline

How it fits together:
- capstone.yaml (mentor-owned) lists each stage's gates and their thresholds;
- gates.py holds the registry: each automatic gate is one function, registered under its id;
- one module per stage holds that stage's gates (data.py, validation.py, features.py,
  experiments.py, deployment.py), plus integrity.py for the gate every stage runs;
- context.py gives the gates what they share (settings, the dataset schema, the champion model);
- check.py runs a stage's gates; report.py writes the PR report (Markdown) and its JSON twin.

Owned by the mentors (see .github/CODEOWNERS): teams run it, they do not change it.
"""
