"""Pipeline stage `bento`: the champion into the project's BentoML store, then a bento of service.py.

The work is the course kit's (capstone.pipeline.bento); dvc.yaml runs this module.
"""

from capstone.pipeline.bento import main

if __name__ == "__main__":
    main()
