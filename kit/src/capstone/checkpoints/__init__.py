"""The checkpoints: the automatic gates that grade each stage's pull request, and the reports.

    capstone check 1        grade stage 1 (or 2..5, or `all`); writes reports/checkpoint-1.md and .json
    capstone report         the mentor's view of MLflow: this commit's runs against champion and baseline

How it fits together (imports only go down this list, never up; kit/tests checks there is no cycle):
- registry.py: Outcome, NotReady, the @gate decorator, threshold(), load_all();
- gates/: one module per automatic gate, named after its id (gates/data_tracked.py is `data-tracked`),
  with its advice text (ADVICE) at the top; load_all() imports every module of the package;
- probes.py: the measurements several gates share (and the team's tests, through capstone.testing);
- evidence.py, runs.py, service.py, versioning.py: the loaders (fresh deliveries and the team's
  hooks, the MLflow runs, the bento and the running service, what DVC and git say);
- context.py: the typed Context every gate gets (settings, schema, the team's hooks, the champion,
  the holdout, and the Evidence the gates share);
- check.py runs a stage's gates; report.py writes the PR report (Markdown) and its JSON twin;
  advice.py shortens a failed gate's advice for the console.

capstone.yaml (mentor-owned) lists each stage's gates and their thresholds. The course releases
the kit; teams run it, they do not change it.
"""
