"""Pipeline stage `evaluate`: score the best run on the test split; metrics.json and plots/.

The work is the course kit's (capstone.pipeline.evaluate); dvc.yaml runs this module.
"""

from capstone.pipeline.evaluate import main

if __name__ == "__main__":
    main()
