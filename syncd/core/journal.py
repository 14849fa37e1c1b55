"""The journal: syncd's memory, one SQLite file in the state directory.

It keeps every generation of every canonical (so each copy merges against the generation it was made
from), every copy it has seen (by content hash, so a copy is applied once), the conflicts, the archived
rows and every superseded value. A sync writes its whole outcome as one *pending* generation in one
transaction, then the canonical file is put in place, then the generation is marked committed. A crash
between the two leaves a pending generation that ``recover`` either promotes (the file made it) or drops
(it did not), so the journal and the canonical always agree.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from syncd.core import codec
from syncd.workbook import deflate
from syncd.core.journal_records import CopyRecord, Generation, NewConflict, NewCopy, Outcome, StoredConflict
from syncd.errors import JournalError

# The record types live in journal_records; callers import them from here, so they are re-exported.
__all__ = ["MIGRATIONS", "CopyRecord", "Generation", "Journal", "NewConflict", "NewCopy", "Outcome", "StoredConflict"]

# Named, ordered migrations; the journal records which ran, so old state directories upgrade in place.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "001_initial",
        """
        CREATE TABLE tracker (name TEXT PRIMARY KEY, lineage TEXT NOT NULL);
        CREATE TABLE generation (
            tracker TEXT NOT NULL, gen INTEGER NOT NULL, status TEXT NOT NULL,
            created_at TEXT NOT NULL, table_blob BLOB NOT NULL, provenance BLOB NOT NULL,
            canonical_hash TEXT, summary TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (tracker, gen));
        CREATE TABLE copy (
            tracker TEXT NOT NULL, hash TEXT NOT NULL, name TEXT NOT NULL, location TEXT NOT NULL,
            size INTEGER, mtime REAL, status TEXT NOT NULL, reason TEXT, author TEXT,
            base_gen INTEGER, gen INTEGER, seen_at TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '{}');
        CREATE INDEX copy_hash ON copy (tracker, hash);
        CREATE TABLE conflict (
            id INTEGER PRIMARY KEY, tracker TEXT NOT NULL, gen INTEGER NOT NULL, row_id TEXT NOT NULL,
            col TEXT, kind TEXT NOT NULL, title TEXT, message TEXT NOT NULL, detail TEXT NOT NULL,
            resolved_gen INTEGER, resolution TEXT);
        CREATE TABLE archive (
            tracker TEXT NOT NULL, gen INTEGER NOT NULL, row_id TEXT NOT NULL, row_values TEXT NOT NULL,
            label TEXT, author TEXT, reason TEXT, archived_at TEXT NOT NULL);
        CREATE TABLE change (
            tracker TEXT NOT NULL, gen INTEGER NOT NULL, row_id TEXT NOT NULL, col TEXT NOT NULL,
            old TEXT, new TEXT, label TEXT);
        """,
    ),
    (
        # The team's decisions on possible duplicates, per pair of row ids (row_a < row_b), so a pair
        # someone decided to keep is never flagged again.
        "002_dupe_decision",
        """
        CREATE TABLE dupe_decision (
            tracker TEXT NOT NULL, row_a TEXT NOT NULL, row_b TEXT NOT NULL, decision TEXT NOT NULL,
            gen INTEGER NOT NULL, decided_at TEXT NOT NULL, PRIMARY KEY (tracker, row_a, row_b));
        """,
    ),
)


def _lit(text: str) -> str:
    """A SQL string literal (for subqueries repeated inside one statement); quotes are doubled."""
    return "'" + text.replace("'", "''") + "'"


def _journal_trouble(exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "full" in text:
        why = "the disk holding syncd's state folder is full — free some space and run syncd again"
    elif "locked" in text or "busy" in text:
        why = "another program is holding syncd's journal — wait a moment and run syncd again"
    elif "readonly" in text or "read-only" in text:
        why = "syncd's state folder is read-only — make it writable and run syncd again"
    else:
        why = f"{exc} — if this persists, move the state folder aside; syncd will start a new history from the canonical"
    return f"Could not record this sync in syncd's journal ({why}). Nothing is lost: the next run picks up where this one stopped."


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class Journal:
    """One open journal. Not thread-safe: each worker opens its own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise JournalError(
                f"Cannot open syncd's journal at {path}: {exc}. If the disk is full, free space; if the file is "
                "damaged, move it aside — syncd will start a new history from the canonical workbook."
            ) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS migration (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = {r[0] for r in self.db.execute("SELECT name FROM migration")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                for statement in sql.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute("INSERT INTO migration VALUES (?, ?)", (name, _now()))

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise JournalError(_journal_trouble(exc)) from None
            return self.db

        def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
            try:
                self.db.execute("ROLLBACK" if exc_type else "COMMIT")
            except sqlite3.Error as err:
                raise JournalError(_journal_trouble(err)) from None
            # nothing was half-written (rolled back); say so in a person's words instead of a traceback
            if isinstance(exc, sqlite3.Error):
                raise JournalError(_journal_trouble(exc)) from None

    def transaction(self) -> "Journal._Tx":
        return Journal._Tx(self.db)

    # -- lineage -------------------------------------------------------------------------------

    def lineage(self, tracker: str) -> str | None:
        row = self.db.execute("SELECT lineage FROM tracker WHERE name = ?", (tracker,)).fetchone()
        return row[0] if row else None

    def set_lineage(self, tracker: str, lineage: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO tracker VALUES (?, ?)", (tracker, lineage))

    # -- generations ---------------------------------------------------------------------------

    def _generation(self, row: Sequence[Any]) -> Generation:
        try:
            prov_raw = codec.loads(row[5]) if row[5] else []
            provenance = {(r, c): (label, author, m) for r, c, label, author, m in prov_raw}
            table = codec.decode_table(row[4])
            summary = codec.loads(row[7])
        except (ValueError, TypeError, KeyError, *deflate.ERRORS):  # bytes damaged on disk
            raise JournalError(
                f"syncd's journal at {self.path} is damaged: version {row[1]} of {row[0]} cannot be read. "
                "The canonical workbook is unchanged. Move the journal file aside and run syncd again — it "
                "will start a new history from the canonical workbook."
            ) from None
        return Generation(
            tracker=row[0], gen=row[1], status=row[2], created_at=dt.datetime.fromisoformat(row[3]),
            table=table, provenance=provenance, canonical_hash=row[6], summary=summary,
        )

    _GEN_COLS = "tracker, gen, status, created_at, table_blob, provenance, canonical_hash, summary"

    def latest(self, tracker: str) -> Generation | None:
        row = self.db.execute(
            f"SELECT {self._GEN_COLS} FROM generation WHERE tracker = ? AND status = 'committed' ORDER BY gen DESC LIMIT 1",
            (tracker,),
        ).fetchone()
        return self._generation(row) if row else None

    def generation(self, tracker: str, gen: int) -> Generation | None:
        row = self.db.execute(
            f"SELECT {self._GEN_COLS} FROM generation WHERE tracker = ? AND gen = ? AND status = 'committed'",
            (tracker, gen),
        ).fetchone()
        return self._generation(row) if row else None

    def recent(self, tracker: str, limit: int = 10, known: Mapping[int, Generation | None] | None = None) -> list[Generation]:
        """The last ``limit`` committed generations, newest first. Those in ``known`` (by number)
        are not decoded again: a 100,000-row table takes half a second."""
        gens = [g for (g,) in self.db.execute(
            "SELECT gen FROM generation WHERE tracker = ? AND status = 'committed' ORDER BY gen DESC LIMIT ?",
            (tracker, limit),
        )]
        got = [(known or {}).get(g) or self.generation(tracker, g) for g in gens]
        return [g for g in got if g is not None]

    def pending(self, tracker: str) -> Generation | None:
        row = self.db.execute(
            f"SELECT {self._GEN_COLS} FROM generation WHERE tracker = ? AND status = 'pending'", (tracker,)
        ).fetchone()
        return self._generation(row) if row else None

    def write_pending(self, tracker: str, outcome: "Outcome") -> None:
        """Record a whole sync's outcome as pending generation ``outcome.gen``, in one transaction."""
        o = outcome
        now = _now()  # one sync, one time: its records are written together
        # A big tracker's provenance is tens of thousands of cells set at the few times the copies
        # were saved: each time is written out once, not once per cell.
        times: dict[dt.datetime | None, object] = {}
        prov = []
        for (r, c), (label, author, m) in o.provenance.items():
            t = times.get(m)
            if t is None:
                t = times[m] = codec.encode_value(m)
            prov.append([r, c, label, author, t])
        dumps = codec.dumps
        with self.transaction() as db:
            self._drop_pending(db, tracker)
            if o.lineage is not None:
                db.execute("INSERT OR REPLACE INTO tracker VALUES (?, ?)", (tracker, o.lineage))
            db.execute(
                "INSERT INTO generation VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)",
                (tracker, o.gen, now, o.table_blob or codec.encode_table(o.table), dumps(prov), o.canonical_hash,
                 dumps(o.summary).decode()),
            )
            db.executemany(
                "INSERT INTO copy VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(tracker, c.hash, c.name, c.location, c.size, c.mtime, c.status, c.reason, c.author,
                  c.base_gen, o.gen, now, dumps(c.summary).decode()) for c in o.copies],
            )
            db.executemany(
                "INSERT INTO conflict (tracker, gen, row_id, col, kind, title, message, detail) VALUES (?,?,?,?,?,?,?,?)",
                [(tracker, o.gen, c.row_id, c.column, c.kind, c.title, c.message, dumps(c.detail).decode())
                 for c in o.new_conflicts],
            )
            db.executemany(
                "UPDATE conflict SET resolved_gen = ?, resolution = ? WHERE id = ? AND tracker = ?",
                [(o.gen, resolution, cid, tracker) for cid, resolution in o.resolved],
            )
            db.executemany(
                "INSERT INTO archive VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(tracker, o.gen, a.row_id, dumps([list(x) for x in a.values]).decode(), a.label, a.author,
                  a.reason, now) for a in o.archived],
            )
            db.executemany(
                "INSERT INTO change VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(tracker, o.gen, ch.row_id, ch.column, dumps(ch.old).decode(), dumps(ch.new).decode(), ch.label)
                 for ch in o.changes],
            )
            db.executemany(
                "INSERT OR REPLACE INTO dupe_decision VALUES (?, ?, ?, ?, ?, ?)",
                [(tracker, *sorted((row_a, row_b)), decision, o.gen, now) for row_a, row_b, decision in o.dupe_decisions],
            )

    def commit_pending(self, tracker: str, canonical_hash: str | None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE generation SET status = 'committed', canonical_hash = ? WHERE tracker = ? AND status = 'pending'",
                (canonical_hash, tracker),
            )

    def drop_pending(self, tracker: str) -> None:
        with self.transaction() as db:
            self._drop_pending(db, tracker)

    @staticmethod
    def _drop_pending(db: sqlite3.Connection, tracker: str) -> None:
        row = db.execute("SELECT gen FROM generation WHERE tracker = ? AND status = 'pending'", (tracker,)).fetchone()
        if row is None:
            return
        gen = row[0]
        for table in ("copy", "conflict", "archive", "change", "dupe_decision"):
            db.execute(f"DELETE FROM {table} WHERE tracker = ? AND gen = ?", (tracker, gen))
        db.execute("UPDATE conflict SET resolved_gen = NULL, resolution = NULL WHERE tracker = ? AND resolved_gen = ?",
                   (tracker, gen))
        db.execute("DELETE FROM generation WHERE tracker = ? AND gen = ?", (tracker, gen))

    # -- copies --------------------------------------------------------------------------------

    def _committed(self, tracker: str) -> str:
        # rows tied to a pending generation do not count until it is committed
        return f"(gen IS NULL OR gen IN (SELECT gen FROM generation WHERE tracker = {_lit(tracker)} AND status = 'committed'))"

    def seen(self, tracker: str, digest: str) -> CopyRecord | None:
        row = self.db.execute(
            "SELECT hash, name, location, status, reason, author, base_gen, gen, seen_at, summary FROM copy "
            f"WHERE tracker = ? AND hash = ? AND {self._committed(tracker)} ORDER BY rowid LIMIT 1",
            (tracker, digest),
        ).fetchone()
        return self._copy(row) if row else None

    def record_copies(self, tracker: str, copies: Sequence["NewCopy"]) -> None:
        """Remember copies that made no new generation (refused ones, or ones that changed nothing)."""
        with self.transaction() as db:
            for c in copies:
                db.execute(
                    "INSERT INTO copy VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                    (tracker, c.hash, c.name, c.location, c.size, c.mtime, c.status, c.reason, c.author,
                     c.base_gen, _now(), codec.dumps(c.summary).decode()),
                )

    def copies(self, tracker: str, limit: int = 50) -> list[CopyRecord]:
        rows = self.db.execute(
            "SELECT hash, name, location, status, reason, author, base_gen, gen, seen_at, summary FROM copy "
            f"WHERE tracker = ? AND {self._committed(tracker)} ORDER BY rowid DESC LIMIT ?",
            (tracker, limit),
        ).fetchall()
        return [self._copy(r) for r in rows]

    @staticmethod
    def _copy(row: Sequence[Any]) -> CopyRecord:
        return CopyRecord(
            hash=row[0], name=row[1], location=row[2], status=row[3], reason=row[4], author=row[5],
            base_gen=row[6], gen=row[7], seen_at=dt.datetime.fromisoformat(row[8]), summary=codec.loads(row[9]),
        )

    # -- conflicts, archive, changes -----------------------------------------------------------

    def conflicts(self, tracker: str, *, open_only: bool = False) -> list[StoredConflict]:
        # a resolution recorded by a pending generation does not count until that generation is committed
        done = f"(resolved_gen IS NOT NULL AND resolved_gen IN (SELECT gen FROM generation WHERE tracker = {_lit(tracker)} AND status = 'committed'))"
        sql = (
            f"SELECT id, gen, row_id, col, kind, title, message, detail, CASE WHEN {done} THEN resolved_gen END, "
            f"CASE WHEN {done} THEN resolution END FROM conflict WHERE tracker = ? AND {self._committed(tracker)}"
        )
        if open_only:
            sql += f" AND NOT ({done})"
        rows = self.db.execute(sql + " ORDER BY id", (tracker,)).fetchall()
        return [
            StoredConflict(id=r[0], gen=r[1], row_id=r[2], column=r[3], kind=r[4], title=r[5], message=r[6],
                           detail=codec.loads(r[7]), resolved_gen=r[8], resolution=r[9])
            for r in rows
        ]

    def archive(self, tracker: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT gen, row_id, row_values, label, author, reason, archived_at FROM archive "
            f"WHERE tracker = ? AND {self._committed(tracker)} ORDER BY rowid",
            (tracker,),
        ).fetchall()
        return [
            {"gen": r[0], "row_id": r[1], "values": [tuple(x) for x in codec.loads(r[2])], "label": r[3],
             "author": r[4], "reason": r[5], "archived_at": dt.datetime.fromisoformat(r[6])}
            for r in rows
        ]

    def dupe_decisions(self, tracker: str) -> dict[tuple[str, str], str]:
        """The team's committed decisions on possible duplicates: ``{(row_a, row_b): decision}`` with
        ``row_a < row_b``; decision is "keep both" or "merge"."""
        rows = self.db.execute(
            f"SELECT row_a, row_b, decision FROM dupe_decision WHERE tracker = ? AND {self._committed(tracker)}",
            (tracker,),
        ).fetchall()
        return {(a, b): d for a, b, d in rows}

    def changes(self, tracker: str, row_id: str | None = None) -> Iterator[dict[str, Any]]:
        sql = f"SELECT gen, row_id, col, old, new, label FROM change WHERE tracker = ? AND {self._committed(tracker)}"
        args: tuple[Any, ...] = (tracker,)
        if row_id is not None:
            sql += " AND row_id = ?"
            args += (row_id,)
        for r in self.db.execute(sql + " ORDER BY rowid", args):
            yield {"gen": r[0], "row_id": r[1], "column": r[2], "old": codec.loads(r[3]), "new": codec.loads(r[4]),
                   "label": r[5]}
