"""`make help`: the Makefile's `target: ## description` lines, each description wrapped to 80 columns."""

import sys
import textwrap

for line in sys.stdin:
    target, description = line.split(":", 1)[0], line.split("## ", 1)[1].strip()
    print(textwrap.fill(description, 80, initial_indent=f"  make {target:<16} ", subsequent_indent=" " * 24))
