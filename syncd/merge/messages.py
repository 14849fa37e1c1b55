"""Sentences for people: how a conflict or a kept row is described in the canonical's report.

A reader is a project manager, not a programmer: name the person (or the file), the column, the
task's title and the values as they would see them, say what syncd kept, and what to do about it.
"""

from __future__ import annotations

import datetime as dt

from syncd.merge.plan import ConflictValue
from syncd.merge.values import is_empty, value_text
from syncd.model import Value

#: The label used for values that were in the canonical before any copy we know of changed them.
CANONICAL = "canonical"
#: The label used for the value both sides started from, when it is what a conflict keeps.
EARLIER = "earlier version"

_MAX_SHOWN = 60


def show_value(value: Value) -> str:
    """A value as a person would recognise it in a sentence: quoted text, plain numbers."""
    if is_empty(value):
        return "(empty)"
    if isinstance(value, dt.datetime) and (value.hour, value.minute, value.second) != (0, 0, 0):
        return f"{value.day} {value:%b %Y %H:%M}"
    if isinstance(value, dt.datetime) or isinstance(value, dt.date):
        return f"{value.day} {value:%b %Y}"
    text = value_text(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    if isinstance(value, str):
        return f'"{text}"'
    return text


def show_time(when: dt.datetime | None) -> str:
    """A copy's modified time the short way people write it: "3 May 10:02"."""
    if when is None:
        return ""
    return f"{when.day} {when:%b %H:%M}"


def who(side: ConflictValue, start: bool = True) -> str:
    """The person, else the file, else "The canonical" ("the canonical" mid-sentence)."""
    if side.author:
        return side.author
    if side.label in (CANONICAL, EARLIER):
        return "The canonical" if start else "the canonical"
    return side.label


def details(side: ConflictValue) -> str:
    """" (file, time)" with whatever ``who`` did not already say, else ""."""
    label = side.label if side.author and side.label not in (CANONICAL, EARLIER) else ""
    parts = [p for p in (label, show_time(side.modified)) if p]
    return f" ({', '.join(parts)})" if parts else ""


def title_phrase(title: str) -> str:
    return f'"{title}"' if title else "an untitled row"


def edit_conflict(column: str, title: str, sides: tuple[ConflictValue, ConflictValue],
                  kept: ConflictValue, policy: str) -> str:
    """'Ann set Status of "X" to "Done" (ann.xlsx, 3 May 10:02), Bob set it to "Blocked"
    (bob.xlsx, 4 May 09:00): kept "Blocked" (newest).' plus what to do."""
    first, second = sides
    text = (f"{who(first)} set {column} of {title_phrase(title)} to {show_value(first.value)}"
            f"{details(first)}, {who(second, False)} set it to {show_value(second.value)}{details(second)}")
    if policy == "flag":
        return (f"{text}: kept {show_value(kept.value)}, the value before both changes, until "
                f"someone decides — type the right value into the canonical.")
    reason = "newest" if policy == "newest" else "the canonical's value wins clashes, as configured"
    return (f"{text}: kept {show_value(kept.value)} ({reason}). If the other value is right, "
            f"type it into the canonical.")


def delete_kept(title: str, deleter: ConflictValue, changer: ConflictValue) -> str:
    """A copy deleted a row someone changed since: the row stays."""
    return (f"{who(deleter)} deleted {title_phrase(title)}{details(deleter)}, but "
            f"{who(changer, False)} changed it since{details(changer)}: kept the row. "
            f"Delete it in the canonical if it should go.")


def row_revived(title: str, editor: ConflictValue) -> str:
    """A copy edited a row deleted from the canonical since the copy was made: it is back."""
    return (f"{who(editor)} edited {title_phrase(title)}{details(editor)}, which had been deleted "
            f"from the canonical since that copy was made: brought it back with those edits. "
            f"Delete it again if it should stay gone.")


def column_kept(column: str, title: str, deleter: ConflictValue, changer: ConflictValue) -> str:
    """A copy deleted a column someone changed since: the column stays."""
    return (f"{who(deleter)} deleted the column {column}{details(deleter)}, but "
            f"{who(changer, False)} changed it for {title_phrase(title)} since"
            f"{details(changer)}: kept the column. Delete it in the canonical if it should go.")


def column_revived(column: str, title: str, editor: ConflictValue) -> str:
    """A copy edited a column deleted from the canonical since: the column is back."""
    return (f"{who(editor)} changed {column} of {title_phrase(title)}{details(editor)}, a column "
            f"deleted from the canonical since that copy was made: brought the column back. "
            f"Delete it again if it should stay gone.")
