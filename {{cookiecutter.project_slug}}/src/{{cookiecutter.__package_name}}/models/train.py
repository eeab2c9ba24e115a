"""Pipeline stage `train`: tune every candidate of candidates.py, one MLflow run each.

The kit logs each run with its tags (git sha, data version), metrics, plots and model; the
families and their search spaces are yours, in candidates.py and features/pipeline.py.

The work is the course kit's (capstone.pipeline.train); dvc.yaml runs this module.
"""

from capstone.pipeline.train import main

if __name__ == "__main__":
    main()
