"""How a gate words its findings: the small text helpers every gate's advice uses.

A failure's detail starts with one line saying what is wrong and what to do, then a list, then
paragraphs (docs: "every failure says what, where and what to do, in one line first").
"""

from capstone.checkpoints.registry import Outcome


def detail_text(first: str, items: list[str] = (), *paragraphs: str) -> str:
    """A failure detail in Markdown: one line saying what and what to do, a list, then paragraphs."""
    blocks = [first, "\n".join(items), *paragraphs]
    return "\n\n".join(block for block in blocks if block)


def failure(finding: str, advice: str, brief: str, expected: str = "", measured: str = "") -> Outcome:
    """A failed Outcome whose detail starts with the finding (one line), then says what to do, then the brief."""
    detail = f"{finding[0].upper()}{finding[1:]}.\n\n{advice}\n\nSee {brief}."
    return Outcome(False, measured or finding, expected, detail)


def names(values) -> str:
    """`a`, `b`, `c`: names in backticks, comma-separated."""
    return ", ".join(f"`{value}`" for value in values)


def listing(values: list[str], shown: int = 8) -> str:
    """Like names(), at most `shown` of them, then "and N more"."""
    more = f" and {len(values) - shown} more" if len(values) > shown else ""
    return names(values[:shown]) + more


def first_line(problem: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    return (str(problem).strip().splitlines() or [type(problem).__name__])[0]


def bulleted(lines) -> str:
    """`- line` per line."""
    return "\n".join(f"- {line}" for line in lines)


def counted(count: int, singular: str, plural: str = "") -> str:
    """'1 family', '3 families': a count with its noun in the right number."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
