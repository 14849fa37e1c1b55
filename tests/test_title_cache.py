"""The parsed titles a big tracker's sync keeps for the next one (``syncd.core.title_cache``).

What a user would notice: the second sync of a big tracker parses only the titles that changed
(seconds saved on 100,000 rows), finds exactly the duplicates it would have found anyway, and a
file planted or damaged in the state folder is never run and never breaks a sync.
"""

from __future__ import annotations

import os
import pathlib
import pickle

import pytest

import syncd.core.engine as engine
import syncd.merge.dupes.score as score
from builders import copy_from_canonical, set_value, write_copy
from scenario import COLUMNS, ROWS, Team, at
from syncd.core import title_cache, workers
from syncd.merge.dupes import DupeSettings, find_duplicates, parsed_titles
from syncd.model import Table
from syncd.workbook import deflate

TITLES = ["Draft Q3 newsletter", "Q3 newsletter – draft", "Book the venue", "Book venue", "Q4 budget review",
          "Order the cake"]


@pytest.fixture
def parsed(monkeypatch):
    """An empty memo of parsed cells, and every cell parsed from now on."""
    monkeypatch.setattr(score, "_memo", {})
    seen: list[object] = []
    real = score.normalise_value
    monkeypatch.setattr(score, "normalise_value", lambda kind, v: seen.append(v) or real(kind, v))
    return seen


def _table(titles=TITLES) -> Table:
    return Table.from_lists(["Task", "Owner"], [[t, "Ann"] for t in titles])


def test_titles_kept_are_not_parsed_again_and_the_search_finds_the_same(tmp_path, parsed):
    table = _table()
    first = find_duplicates(table, DupeSettings())
    kept = parsed_titles(table, DupeSettings())
    assert set(kept) == set(TITLES)
    path = tmp_path / "titles" / "t.pickle"
    title_cache.save(path, kept)
    score._memo.clear()
    title_cache._seen.clear()
    assert title_cache.load(path) == len(TITLES)
    parsed.clear()
    again = find_duplicates(table, DupeSettings())
    assert "Draft Q3 newsletter" not in parsed and "Book venue" not in parsed  # read from the file instead
    assert [c.rows for c in again.clusters] == [c.rows for c in first.clusters] and again.clusters


def _planted(path: pathlib.Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(title_cache.MAGIC + title_cache._fingerprint() + deflate.compress(payload))


class _Touch:
    def __init__(self, target: pathlib.Path) -> None:
        self.target = target

    def __reduce__(self):
        return (pathlib.Path.touch, (self.target,))


def test_a_planted_file_that_would_run_code_is_not_run(tmp_path, parsed):
    marker = tmp_path / "code ran"
    path = tmp_path / "titles" / "t.pickle"
    _planted(path, pickle.dumps({"Book the venue": _Touch(marker)}))
    title_cache._seen.clear()
    assert title_cache.load(path) == 0
    assert not marker.exists()
    _planted(path, pickle.dumps({"Book the venue": "not a parsed title"}))
    title_cache._seen.clear()
    assert title_cache.load(path) == 0
    assert find_duplicates(_table(), DupeSettings()).clusters  # the titles are parsed as ever


def test_a_damaged_foreign_or_oversized_file_is_ignored(tmp_path, parsed, monkeypatch):
    table = _table()
    find_duplicates(table, DupeSettings())
    path = tmp_path / "t.pickle"
    title_cache.save(path, parsed_titles(table, DupeSettings()))
    whole = path.read_bytes()

    def loads(data: bytes) -> int:
        path.write_bytes(data)
        title_cache._seen.clear()
        score._memo.clear()
        return title_cache.load(path)

    assert loads(whole) == len(TITLES)
    assert loads(whole[: len(whole) // 2]) == 0  # cut short
    head = len(title_cache.MAGIC)
    assert loads(whole[:head] + b"0" * 32 + whole[head + 32:]) == 0  # written by another version of syncd
    installed = title_cache.rapidfuzz.__version__
    monkeypatch.setattr(title_cache.rapidfuzz, "__version__", "0.0.1")  # rapidfuzz upgraded since
    title_cache._fingerprint.cache_clear()
    assert loads(whole) == 0
    monkeypatch.setattr(title_cache.rapidfuzz, "__version__", installed)
    title_cache._fingerprint.cache_clear()
    assert loads(whole) == len(TITLES)
    monkeypatch.setattr(title_cache, "MAX_INFLATED", 100)  # a deflate bomb stops at the cap
    assert loads(whole) == 0
    monkeypatch.setattr(title_cache, "MAX_INFLATED", 1 << 30)
    monkeypatch.setattr(title_cache, "MAX_BYTES", 10)
    assert loads(whole) == 0
    monkeypatch.setattr(title_cache, "MAX_BYTES", 1 << 30)
    assert loads(b"") == 0 and loads(b"garbage") == 0
    assert find_duplicates(table, DupeSettings()).clusters


def test_a_file_loaded_once_is_not_read_again_until_it_changes(tmp_path, parsed):
    table = _table()
    find_duplicates(table, DupeSettings())
    path = tmp_path / "t.pickle"
    title_cache.save(path, parsed_titles(table, DupeSettings()))
    title_cache._seen.clear()
    assert title_cache.load(path) == len(TITLES)
    assert title_cache.load(path) == 0  # the daemon keeps them in memory between syncs
    os.utime(path, ns=(1, 1))
    assert title_cache.load(path) == len(TITLES)


# --- in a real sync ------------------------------------------------------------------------------


def test_a_big_trackers_sync_keeps_its_titles_and_the_next_sync_parses_only_new_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "BESIDE_ROWS", 0)  # the scenario's tracker counts as big
    monkeypatch.setattr(workers, "cores", lambda: 2)
    log = tmp_path / "parsed.txt"  # the search runs in a child: it notes what it parses in a file
    real = score.normalise_value

    def noting(kind, v):
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{v}\n")
        return real(kind, v)

    monkeypatch.setattr(score, "normalise_value", noting)
    monkeypatch.setattr(score, "_memo", {})
    team = Team(tmp_path)
    dup_rows = ROWS + [["T-7", "Q3 newsletter – draft", "Bob", "Not started", None, 650]]
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, dup_rows, author="Maria", modified=at(1))
    team.sync()  # the first sync searches here and keeps the titles from a child
    (kept,) = (tmp_path / ".syncd" / title_cache.FOLDER).iterdir()
    assert kept.stat().st_size > 0 and not list(kept.parent.glob("*.tmp"))
    before = kept.stat().st_mtime_ns

    score._memo.clear()  # as in a new process
    log.unlink(missing_ok=True)
    copy_from_canonical(team.canonical, team.inbox / "ann.xlsx", author="Ann", modified=at(2),
                        edit=lambda ws: set_value(ws, "T-2", "Task", "Book the big venue"))
    team.sync()  # the search runs beside the write this time, and keeps the titles afterwards
    titles = {r[1] for r in dup_rows}
    parsed = set(log.read_text(encoding="utf-8").splitlines())
    assert "Book the big venue" in parsed and not titles & parsed
    (listed,) = team.sheet("Duplicates")
    assert listed["Tasks"].splitlines() == ["Draft Q3 newsletter", "Q3 newsletter – draft"]
    assert kept.stat().st_mtime_ns != before
    title_cache._seen.clear()
    score._memo.clear()
    assert title_cache.load(kept) == len(titles)  # the edited title took the old one's place
    assert "Book the big venue" in score._memo[("title", str)] and ROWS[1][1] not in score._memo[("title", str)]


def test_a_dry_run_keeps_nothing(tmp_path, monkeypatch, parsed):
    monkeypatch.setattr(engine, "BESIDE_ROWS", 0)
    monkeypatch.setattr(workers, "cores", lambda: 2)
    team = Team(tmp_path)
    write_copy(team.inbox / "tracker.xlsx", COLUMNS, ROWS, author="Maria", modified=at(1))
    team.sync("--dry-run")
    assert not (tmp_path / ".syncd" / title_cache.FOLDER).exists()


def test_titles_that_would_overfill_the_memo_are_not_taken(tmp_path, parsed, monkeypatch):
    table = _table()
    find_duplicates(table, DupeSettings())
    path = tmp_path / "t.pickle"
    title_cache.save(path, parsed_titles(table, DupeSettings()))
    score._memo.clear()
    title_cache._seen.clear()
    monkeypatch.setattr(score, "MEMO_LIMIT", len(TITLES) - 1)  # the memo's bound holds for kept titles too
    assert title_cache.load(path) == 0 and not score._memo.get(("title", str))


def _kept_in_parts(tmp_path, monkeypatch) -> tuple[Table, pathlib.Path]:
    """25 titles parsed and kept in parts of 10, then forgotten by this process."""
    table = _table([f"Campaign task number {n}" for n in range(25)])
    find_duplicates(table, DupeSettings())
    path = tmp_path / "titles" / "t.pickle"
    monkeypatch.setattr(title_cache, "PART", 10)
    title_cache.save(path, parsed_titles(table, DupeSettings()))
    score._memo.clear()
    title_cache._seen.clear()
    return table, path


def test_titles_load_a_part_at_a_time_so_a_waiting_merge_is_not_held_back(tmp_path, parsed, monkeypatch):
    # The sync loads the last sync's titles while a core waits for the last copy; when the copy
    # comes in, the merge must not wait for the whole file: the load stops between two parts.
    table, path = _kept_in_parts(tmp_path, monkeypatch)
    steps = title_cache.loading(path)
    assert next(steps) == 10 and len(score._memo[("title", str)]) == 10
    assert list(steps) == [10, 5]
    parsed.clear()
    find_duplicates(table, DupeSettings())
    assert not [t for t in parsed if isinstance(t, str) and t.startswith("Campaign")]  # all 25 came from the file


def test_a_load_left_halfway_is_taken_up_again_by_the_next_one(tmp_path, parsed, monkeypatch):
    # the daemon's pass may end before it loaded every part (nothing new to merge): its next pass
    # must still load the rest, not take the file for loaded
    table, path = _kept_in_parts(tmp_path, monkeypatch)
    steps = title_cache.loading(path)
    assert next(steps) == 10
    steps.close()  # abandoned halfway
    assert title_cache.load(path) == 25 and title_cache.load(path) == 0
