# A package, so pytest imports tests/feed/conftest.py as feed.conftest and does not replace the
# template's tests/conftest.py (the other test modules do `from bakery import bake`).
