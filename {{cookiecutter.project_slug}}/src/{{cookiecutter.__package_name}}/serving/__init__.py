"""Stage 5: the BentoML service that loads the champion and answers predictions.

The brief is docs/stages/5-deployment.md.

- contract.py: the input contract (columns, types, bounds, categories) and its pydantic classes
- build.py: the pipeline's bento stage: the champion into the BentoML store, then a bento
- service.py: the service itself (POST /predict)
- serve.py: `make serve`
"""
