"""The course side for a whole cohort: bake every team's repository from a roster, put them on GitHub.

    capstone cohort bake ROSTER.csv --template gh:my-course/ml-capstone [--github ORG [--apply]]

roster.py reads and checks the roster (one row per team), bake.py writes one answers file per team,
bakes each repository and writes the cohort file the MLflow logins read, github.py plans (or runs,
through `gh`) what puts the repositories online.
"""
