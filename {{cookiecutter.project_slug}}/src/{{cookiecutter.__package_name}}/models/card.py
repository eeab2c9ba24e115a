"""Pipeline stage `model_card`: reports/model_card.md from MLflow and your words in model_card.yaml.

The work is the course kit's (capstone.pipeline.model_card); dvc.yaml runs this module.
"""

from capstone.pipeline.model_card import main

if __name__ == "__main__":
    main()
