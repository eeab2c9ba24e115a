"""Pipeline stage `monitor`: your monitor on what the model sees now; reports/monitoring.json and .html.

The work is the course kit's (capstone.pipeline.monitor); dvc.yaml runs this module.
"""

from capstone.pipeline.monitor import main

if __name__ == "__main__":
    main()
