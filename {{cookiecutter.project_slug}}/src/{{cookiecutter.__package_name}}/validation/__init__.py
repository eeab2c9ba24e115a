"""Stage 2: the Great Expectations suites for the raw and the clean data (docs/stages/2-validation.md).

- suites.py: yours. The expectations, as code: `raw_expectations` and `clean_expectations`.
- validate.py: `python -m <package>.validation.validate raw|clean`; the course kit keeps gx/ in step
  with suites.py, runs the suite, writes reports/validation/<raw|clean>.json and stops the pipeline
  on a failure.

gx/ is committed, except gx/uncommitted/ (validation results and the Data Docs). The Data Docs
(gx/uncommitted/data_docs/local_site/index.html) load their styles from public CDNs and a GX logo
whose address carries this project's data_context_id: offline they render unstyled, and opening
them online tells those servers that the page was opened.
"""
