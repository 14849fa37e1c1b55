"""Who wins a clash, and the Conflict record that keeps every value that did not win.

Policies (``MergeOptions.policy``):

* ``"newest"``: the value whose time is newer wins — the copy's own modified time against the
  time recorded for the canonical's value. A known time beats an unknown one; on a tie (or both
  unknown) the copy wins, since it arrived later. Times without a time zone are taken as UTC.
* ``"canonical"``: the canonical's value stays.
* ``"flag"``: the cell goes back to the value both sides started from, until a person decides.
  For a task two copies added at once there is no earlier value, so the cell stays empty until
  someone decides. (A copy merged a second time would then apply cleanly: merge each copy once.)
"""

from __future__ import annotations

import datetime as dt

from syncd.merge import messages
from syncd.merge.plan import Conflict, ConflictValue, Provenance, Revision
from syncd.model import Value


def as_utc(when: dt.datetime) -> dt.datetime:
    """A naive UTC time, so times with and without a zone compare (no zone is taken as UTC)."""
    if when.tzinfo is None:
        return when
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def age_key(when: dt.datetime | None) -> tuple:
    """Sort key putting unknown times first (oldest), then by time."""
    return (when is not None, as_utc(when) if when is not None else dt.datetime.min)


def copy_is_newer(copy_time: dt.datetime | None, canonical_time: dt.datetime | None) -> bool:
    """Whether a copy's value beats the canonical's under "newest" (ties go to the copy)."""
    if copy_time is None:
        return canonical_time is None
    if canonical_time is None:
        return True
    return as_utc(copy_time) >= as_utc(canonical_time)


def canonical_side(value: Value, provenance: Provenance | None) -> ConflictValue:
    """The canonical's value as one side of a conflict (who set it, when known)."""
    if provenance is None:
        return ConflictValue(value, messages.CANONICAL, None, None)
    return ConflictValue(value, provenance.label, provenance.author, provenance.modified)


def copy_side(value: Value, revision: Revision) -> ConflictValue:
    """The copy's value as one side of a conflict."""
    return ConflictValue(value, revision.label, revision.author, revision.modified)


def settle_edit(row_id: str, column: str, title: str, base: Value, ours: ConflictValue,
                theirs: ConflictValue, policy: str) -> tuple[ConflictValue, Conflict]:
    """Decide a same-cell clash between the canonical's value ``ours`` and a copy's ``theirs``.

    Returns the side whose value goes in the cell (for "flag", the base value) and the record
    that keeps the others.
    """
    if policy == "canonical":
        kept, others = ours, (theirs,)
    elif policy == "flag":
        kept, others = ConflictValue(base, messages.EARLIER, None, None), (ours, theirs)
    elif copy_is_newer(theirs.modified, ours.modified):
        kept, others = theirs, (ours,)
    else:
        kept, others = ours, (theirs,)
    message = messages.edit_conflict(column, title, (ours, theirs), kept, policy)
    return kept, Conflict(row_id, column, "edit", title, base, kept, others, message)


def row_kept(row_id: str, title: str, changer: ConflictValue, deleter: ConflictValue) -> Conflict:
    """A copy deleted a row the canonical changed since: kept. ``kept.value`` is the row's title."""
    kept = ConflictValue(title, changer.label, changer.author, changer.modified)
    return Conflict(row_id, None, "delete", title, None, kept, (deleter,),
                    messages.delete_kept(title, deleter, changer))


def row_revived(row_id: str, title: str, editor: ConflictValue) -> Conflict:
    """A copy edited a row deleted from the canonical since: back. ``kept.value`` is its title."""
    kept = ConflictValue(title, editor.label, editor.author, editor.modified)
    gone = ConflictValue(None, messages.CANONICAL, None, None)
    return Conflict(row_id, None, "delete", title, None, kept, (gone,),
                    messages.row_revived(title, editor))


def column_kept(row_id: str, column: str, title: str, base: Value, changer: ConflictValue,
                deleter: ConflictValue) -> Conflict:
    """A copy deleted a column whose cell in this row the canonical changed since: kept."""
    return Conflict(row_id, column, "delete", title, base, changer, (deleter,),
                    messages.column_kept(column, title, deleter, changer))


def column_revived(row_id: str, column: str, title: str, base: Value,
                   editor: ConflictValue) -> Conflict:
    """A copy edited a cell of a column deleted from the canonical since: the column is back."""
    gone = ConflictValue(None, messages.CANONICAL, None, None)
    return Conflict(row_id, column, "delete", title, base, editor, (gone,),
                    messages.column_revived(column, title, editor))
