"""Stage 5: the BentoML service that loads the champion and answers predictions (docs/stages/5-deployment.md).

- service.py: yours. The service itself (POST /predict), with the input contract from capstone.serving.
- build.py: the pipeline's bento stage (the course kit imports the champion and builds a bento).
- serve.py: `make serve`.
"""
