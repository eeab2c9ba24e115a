"""Pipeline stage `register`: the best run becomes the `champion` if it beats it on the same data.

The work is the course kit's (capstone.pipeline.register); dvc.yaml runs this module.
"""

from capstone.pipeline.register import main

if __name__ == "__main__":
    main()
