"""Pipeline stage `split`: data/clean/clean.csv into training, validation and test sets (data/split/).

The work is the course kit's (capstone.pipeline.split); dvc.yaml runs this module.
"""

from capstone.pipeline.split import main

if __name__ == "__main__":
    main()
