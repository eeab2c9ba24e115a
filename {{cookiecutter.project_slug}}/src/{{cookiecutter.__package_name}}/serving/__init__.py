"""Stage 5: the BentoML service that loads the champion and answers predictions.

The brief is docs/stages/5-deployment.md. The code arrives with the pipeline template update.
"""
