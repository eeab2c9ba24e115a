"""The checkpoint gates that grade each stage's pull request, and the PR report.

The checkpoints arrive with a later template update; capstone.yaml already lists the gates.
"""
