"""The journal remembers generations, copies, conflicts and archived rows, and only commits what made it to disk."""

import datetime as dt

import pytest

from syncd.core import codec
from syncd.core.journal import Journal, NewConflict, NewCopy, Outcome
from syncd.errors import JournalError
from syncd.model import Table

T = Table.from_lists(["Task", "Due", "Done"], [["Plan", dt.date(2026, 5, 1), False], ["Ship", dt.datetime(2026, 5, 2, 9, 30), True]],
                     row_ids=["r1", "r2"])


def _outcome(gen, copies=(), conflicts=()):
    return Outcome(gen=gen, lineage="L1", table=T, provenance={("r1", "Task"): ("a.xlsx", "Ann", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))},
                   canonical_hash=None, summary={}, copies=tuple(copies), new_conflicts=tuple(conflicts))


def test_table_codec_keeps_types():
    back = codec.decode_table(codec.encode_table(T))
    assert back == T
    assert type(back.rows[0][1]) is dt.date and type(back.rows[1][1]) is dt.datetime


def test_pending_generation_is_invisible_until_committed(tmp_path):
    with Journal(tmp_path / "j.sqlite") as j:
        copy = NewCopy("h1", "a.xlsx", "/in/a.xlsx", 10, 1.0, "taken", None, "Ann", None, {})
        j.write_pending("t", _outcome(1, [copy]))
        assert j.latest("t") is None and j.seen("t", "h1") is None
        j.commit_pending("t", "hash")
        latest = j.latest("t")
        assert latest.gen == 1 and latest.table == T and latest.canonical_hash == "hash"
        assert latest.provenance[("r1", "Task")][1] == "Ann"
        assert j.seen("t", "h1").name == "a.xlsx"
        assert j.lineage("t") == "L1"


def test_dropped_pending_leaves_no_trace(tmp_path):
    with Journal(tmp_path / "j.sqlite") as j:
        j.write_pending("t", _outcome(1, [NewCopy("h1", "a.xlsx", "/a", 1, 1.0, "taken", None, None, None, {})],
                                      [NewConflict("r1", "Task", "edit", "Plan", "clash", {"kept": {"value": 1}})]))
        j.drop_pending("t")
        assert j.pending("t") is None and j.seen("t", "h1") is None and j.conflicts("t") == []


def test_journal_survives_reopen_and_migrations_run_once(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        j.write_pending("t", _outcome(1))
        j.commit_pending("t", None)
    with Journal(path) as j:
        assert j.latest("t").gen == 1
        from syncd.core.journal import MIGRATIONS

        applied = [r[0] for r in j.db.execute("SELECT name FROM migration ORDER BY name")]
        assert applied == sorted(name for name, _ in MIGRATIONS)


def test_conflicts_resolve_in_a_later_generation(tmp_path):
    with Journal(tmp_path / "j.sqlite") as j:
        j.write_pending("t", _outcome(1, conflicts=[NewConflict("r1", "Done", "edit", "Plan", "clash", {"base": None})]))
        j.commit_pending("t", None)
        (c,) = j.conflicts("t", open_only=True)
        j.write_pending("t", Outcome(gen=2, lineage=None, table=T, provenance={}, canonical_hash=None, summary={},
                                     resolved=((c.id, "edited in the canonical"),)))
        assert len(j.conflicts("t", open_only=True)) == 1  # still pending
        j.commit_pending("t", None)
        assert j.conflicts("t", open_only=True) == []
        assert j.conflicts("t")[0].resolution == "edited in the canonical"


def test_database_errors_become_a_message_for_a_person(tmp_path):
    import sqlite3

    import pytest

    from syncd.errors import JournalError

    with Journal(tmp_path / "j.sqlite") as j:
        with pytest.raises(JournalError, match="disk holding syncd's state folder is full"):
            with j.transaction():
                raise sqlite3.OperationalError("database or disk is full")
        j.write_pending("t", _outcome(1))  # the failed transaction was rolled back; the journal still works
        j.commit_pending("t", None)
        assert j.latest("t").gen == 1


def test_recent_generations_come_newest_first_and_a_known_one_is_not_decoded_again(tmp_path):
    with Journal(tmp_path / "j.sqlite") as j:
        for gen in (1, 2, 3):
            j.write_pending("t", _outcome(gen))
            j.commit_pending("t", f"hash{gen}")
        j.write_pending("t", _outcome(4))  # pending: not a generation anyone can start from
        assert [g.gen for g in j.recent("t", 10)] == [3, 2, 1]
        latest = j.latest("t")
        got = j.recent("t", 2, known={3: latest})
        assert [g.gen for g in got] == [3, 2] and got[0] is latest and got[1].table == T


def test_a_generation_damaged_on_disk_is_a_message_for_a_person(tmp_path):
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        j.write_pending("t", _outcome(1))
        j.commit_pending("t", None)
        j.db.execute("UPDATE generation SET table_blob = ? WHERE gen = 1", (b"x\x9c" + b"\xff" * 40,))
    with Journal(path) as j, pytest.raises(JournalError) as e:
        j.latest("t")
    text = str(e.value)
    assert "damaged" in text and "Move the journal file aside" in text and "unchanged" in text
