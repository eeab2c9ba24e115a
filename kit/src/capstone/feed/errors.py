"""The one exception type of the feed.

Every problem a user can fix (a wrong domain name, a missing file, a bad target column) raises
FeedError with a single line that says what is wrong, where, and what to do. The CLI prints it as
`ERROR: <message>` and exits with code 1; the pipeline can do the same.
"""


class FeedError(Exception):
    """A problem the user can fix; the message is one line: what, where, and what to do."""
