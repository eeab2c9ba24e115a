"""A failed gate's advice on the console: a few lines wrapped to the terminal; the report keeps the rest.

A gate's detail is paragraphs (checkpoints.text.failure): the finding, what to do, then "See <brief>.".
A paragraph may end in a list ("- item" lines): the console shows its first MAX_ITEMS items.
"""

import textwrap

MAX_ITEMS = 3  # list items shown per gate; the rest are in the report
MAX_LINES = 4  # wrapped lines of a paragraph's text shown per gate


def paragraphs(detail: str) -> list[str]:
    return [part.strip() for part in detail.split("\n\n") if part.strip()]


def finding(detail: str, fallback: str = "") -> str:
    """What is wrong: the detail's first paragraph."""
    return next(iter(paragraphs(detail)), fallback)


def what_to_do(detail: str, fallback: str = "") -> str:
    """What to do: the detail's second paragraph, else what is wrong."""
    parts = paragraphs(detail)
    if len(parts) > 1 and not parts[1].startswith("See "):
        return parts[1]
    return finding(detail, fallback)


def wrapped(prefix: str, paragraph: str, width: int, report: str) -> list[str]:
    """`prefix` + the paragraph's text, wrapped with a hanging indent; then its first list items."""
    lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
    text = " ".join(line for line in lines if not line.startswith("- "))
    items = [line.removeprefix("- ") for line in lines if line.startswith("- ")]
    if text.endswith(":") and not items:  # the list it announces is in a later paragraph
        text += f" see {report}"
    width = max(width, 40)
    shown = textwrap.wrap(
        prefix + text, width, subsequent_indent="    ", max_lines=MAX_LINES, placeholder=f" ... (in {report})"
    ) or [prefix.rstrip()]
    for item in items[:MAX_ITEMS]:
        shown += textwrap.wrap(
            f"- {item}", width, initial_indent="    ", subsequent_indent="      ", max_lines=2, placeholder=" ..."
        )
    if len(items) > MAX_ITEMS:
        shown.append(f"    ({len(items) - MAX_ITEMS} more in {report})")
    return shown
