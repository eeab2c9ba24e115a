"""Pipeline stage `ingest`: the batch named in params.yaml (`data`) into data/raw/.

The work is the course kit's (capstone.pipeline.ingest); dvc.yaml runs this module.
"""

from capstone.pipeline.ingest import main

if __name__ == "__main__":
    main()
