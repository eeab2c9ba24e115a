"""Pipeline stages `validate_raw` and `validate_clean`: run the suites of suites.py (`raw` or `clean`).

gx/ is kept in step with suites.py, reports/validation/<raw|clean>.json is written, the Data Docs are
built, and a failing suite stops the pipeline with the failing expectations.

The work is the course kit's (capstone.pipeline.validate); dvc.yaml runs this module.
"""

from capstone.pipeline.validate import main

if __name__ == "__main__":
    main()
