"""`make serve`: serve the champion on 127.0.0.1 ($PORT, else serve.port in params.yaml).

The work is the course kit's (capstone.pipeline.serve); dvc.yaml runs this module.
"""

from capstone.pipeline.serve import main

if __name__ == "__main__":
    main()
