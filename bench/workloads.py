"""Deterministic test data for the benchmark: trackers, and the copies people mail back.

Everything is derived from a seed with ``random.Random``, so two runs (and two machines) time the
same work. Files are real .xlsx packages written as raw streamed XML (``bench.files``), and a copy made
"from the canonical" is cut from the canonical syncd wrote, read with python-calamine, so it
carries the hidden row ids and the ``_syncd`` sheet exactly as a person's saved copy would.

Prepared team folders are cached under ``cache_root()`` keyed by the parameters and by a hash of
syncd's and the benchmark's file-making source, so a change to either prepares them again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from bench.files import read_canonical, write_copy, write_csv

ROOT = Path(__file__).resolve().parent.parent

COLUMNS = ("ID", "Task", "Owner", "Status", "Priority", "Channel", "Region", "Start", "Due", "Budget",
           "Spent", "Notes")

_VERBS = ("Draft", "Review", "Approve", "Publish", "Design", "Plan", "Book", "Brief", "Schedule", "Edit",
          "Translate", "Launch", "Test", "Audit", "Update", "Film", "Write", "Order", "Send", "Prepare")
_THINGS = ("newsletter", "press release", "landing page", "social banners", "webinar", "trade show stand",
           "email campaign", "product video", "case study", "blog post", "partner deck", "price list",
           "customer survey", "brand guidelines", "podcast episode", "billboard", "radio spot",
           "influencer brief", "event venue", "sales brochure", "SEO audit", "ad copy", "app store page",
           "holiday mailing", "loyalty offer", "catering", "photo shoot", "giveaways", "retargeting ads")
_FOR = ("Berlin", "Paris", "Madrid", "Milan", "Warsaw", "Lisbon", "Vienna", "Prague", "Dublin", "Oslo",
        "the spring sale", "the autumn launch", "partners", "new customers", "the board", "retail stores",
        "the summit", "key accounts", "students", "the anniversary")
_PEOPLE = ("Ann", "Bob", "Cleo", "Dev", "Eva", "Farid", "Gita", "Hugo", "Ines", "Jon", "Kemal", "Lena",
           "Mo", "Nina", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tara")
_STATUSES = ("Not started", "In progress", "Blocked", "In review", "Done")
_PRIORITIES = ("Low", "Medium", "High", "Urgent")
_CHANNELS = ("Email", "Social", "Web", "Print", "Events", "Radio", "TV", "Partners")
_REGIONS = ("DACH", "France", "Iberia", "Italy", "Nordics", "CEE", "UK & Ireland", "Benelux")
_NOTES = ("waiting for legal sign-off", "budget approved by finance", "agency briefed, first draft due Friday",
          "needs translation into 3 languages", "moved after the re-org", "check with the regional lead",
          "supplier quote attached in the shared drive", "depends on the product photos",
          "follow up after the steering meeting", "printer booked; proofs next week")
_EPOCH = dt.date(2026, 1, 5)


_CAMPAIGNS = ("Spring Sale", "Summer Launch", "Back to School", "Black Friday", "Holiday Gift Guide",
              "Brand Refresh", "Partner Summit", "Customer Stories", "Loyalty Program", "Earth Day",
              "Year in Review", "Employer Branding", "Community Meetup", "Café Opening", "Oktoberfest",
              "São Paulo Roadshow", "Zürich Office Launch", "App 2.0 Launch", "Webinar Series", "Free Trial Push",
              "Referral Program", "Pricing Update", "Winter Clearance", "Nordic Expansion", "Green Week",
              "Developer Days", "Retail Partners", "Diwali Sale", "Cyber Monday", "Valentine's Day",
              "Product Hunt Launch", "Recruiting Drive", "Kraków Hackathon", "Mother's Day", "Trade Fair",
              "Student Offer", "Anniversary", "Premium Tier", "Reseller Kit", "Charity Run")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def task_title(rng: random.Random, start: dt.date) -> str:
    """Titles as a big team writes them: campaign, what, for whom, when — mostly unique, as tasks are."""
    return (f"{rng.choice(_CAMPAIGNS)}: {rng.choice(_VERBS)} {rng.choice(_THINGS)} for {rng.choice(_FOR)}, "
            f"{_MONTHS[start.month - 1]} {start.year}")


def tracker_row(rng: random.Random, number: int) -> list:
    start = _EPOCH + dt.timedelta(days=rng.randrange(0, 360))
    budget = rng.choice((None, rng.randrange(1, 200) * 50))
    return [
        f"T-{number:06d}",
        task_title(rng, start),
        rng.choice(_PEOPLE),
        rng.choice(_STATUSES),
        rng.choice(_PRIORITIES),
        rng.choice(_CHANNELS),
        rng.choice(_REGIONS),
        start,
        start + dt.timedelta(days=rng.randrange(3, 60)),
        budget,
        round(budget * rng.random(), 2) if budget and rng.random() < 0.6 else None,
        rng.choice(_NOTES) if rng.random() < 0.35 else None,
    ]


def tracker(rows: int, seed: int = 7) -> tuple[tuple[str, ...], list[list]]:
    """A realistic 12-column marketing tracker of ``rows`` tasks (same seed, same rows)."""
    rng = random.Random(seed)
    return COLUMNS, [tracker_row(rng, n) for n in range(1, rows + 1)]


# --- editing a copy the way people do -------------------------------------------------------------


@dataclass(frozen=True)
class Edits:
    """What one person does to their copy: cells edited in ``edited`` rows, rows added and deleted,
    and whether they re-sorted the sheet."""

    edited: int
    added: int
    deleted: int
    resort: bool = False


def _edit_cell(rng: random.Random, row: list, columns: Sequence[str]) -> None:
    col = rng.choice(("Owner", "Status", "Status", "Priority", "Due", "Budget", "Notes", "Task"))
    at = columns.index(col)
    old = row[at]
    if col == "Owner":
        row[at] = rng.choice([p for p in _PEOPLE if p != old])
    elif col == "Status":
        row[at] = rng.choice([s for s in _STATUSES if s != old])
    elif col == "Priority":
        row[at] = rng.choice([p for p in _PRIORITIES if p != old])
    elif col == "Due":
        row[at] = (old or _EPOCH) + dt.timedelta(days=rng.randrange(1, 21))
    elif col == "Budget":
        row[at] = (old or 0) + rng.randrange(1, 40) * 25
    elif col == "Notes":
        row[at] = rng.choice(_NOTES) + f" ({rng.choice(_PEOPLE)})"
    else:  # a retyped title: same task, words fixed
        row[at] = (old or "") + " (revised)"


def edit_copy(columns: Sequence[str], rows: list[list], ids: list[str | None] | None, edits: Edits,
              rng: random.Random, next_number: int) -> tuple[list[list], list[str | None]]:
    """``rows`` (and their hidden ids) after one person's edits; new rows get IDs from ``next_number``
    and no hidden id. The inputs are not modified."""
    ids = list(ids) if ids is not None else [None] * len(rows)
    table = [(list(r), rid) for r, rid in zip(rows, ids)]
    for k in rng.sample(range(len(table)), min(edits.deleted, len(table))):
        table[k] = None  # type: ignore[call-overload]
    table = [t for t in table if t is not None]
    for k in rng.sample(range(len(table)), min(edits.edited, len(table))):
        _edit_cell(rng, table[k][0], columns)
        if rng.random() < 0.3:
            _edit_cell(rng, table[k][0], columns)
    for n in range(edits.added):
        row = tracker_row(rng, next_number + n)
        table.insert(rng.randrange(0, len(table) + 1), (row, None))
    if edits.resort:
        owner, due = columns.index("Owner"), columns.index("Due")
        table.sort(key=lambda t: (t[0][owner] or "", t[0][due] or _EPOCH, t[0][0] or ""))
    return [r for r, _ in table], [rid for _, rid in table]


# --- team folders ------------------------------------------------------------------------------


def cache_root() -> Path:
    return Path(os.environ.get("SYNCD_BENCH_CACHE") or Path(tempfile.gettempdir()) / "syncd-bench")


def source_hash() -> str:
    """Changes whenever syncd, this file or ``bench.files`` changes: prepared folders depend on them."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "syncd").rglob("*.py")) + [Path(__file__), ROOT / "bench" / "files.py"]:
        h.update(path.relative_to(ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def write_config(team: Path, key: str | None = None) -> Path:
    lines = ['state_dir = ".syncd"', "", "[[tracker]]", 'name = "tasks"', 'canonical = "canonical/Tasks.xlsx"',
             'sheet = "Tasks"']
    if key:
        lines.append(f'key = "{key}"')
    lines += ["", "[[tracker.source]]", 'type = "folder"', 'path = "inbox"', ""]
    config = team / "syncd.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    (team / "inbox").mkdir(parents=True, exist_ok=True)
    return config


def first_sync(team: Path, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Make the team's canonical from the tracker as it was before syncd (generation 1)."""
    from syncd.config import load_config
    from syncd.core.engine import sync

    seed = team / "inbox" / "Tracker before syncd.xlsx"
    write_copy(seed, columns, rows, None, None, "Ann", dt.datetime(2026, 5, 29, 17, 0))
    sync(load_config(team / "syncd.toml"))
    (team / "setup").mkdir(exist_ok=True)
    seed.rename(team / "setup" / seed.name)


def when(n: int) -> dt.datetime:
    """Distinct save times a few hours apart, in the order the copies were made."""
    return dt.datetime(2026, 6, 1, 8, 0) + dt.timedelta(hours=3 * n)


def prepared(name: str, params: dict, build) -> Path:
    """The cached team folder for ``name`` and ``params``, built by ``build(folder)`` on first use."""
    key = hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest()[:10]
    # SYNCD_BENCH_KEEP_SETUP=1 reuses folders prepared by another version of syncd (while profiling)
    version = "any" if os.environ.get("SYNCD_BENCH_KEEP_SETUP") else source_hash()
    folder = cache_root() / f"{name}-{key}-{version}"
    if (folder / "READY").exists():
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # Built in a forked process: the runner stays small, so the memory it holds never shows up in
    # the peak of a child it starts later (ru_maxrss carries over an exec).
    worker = multiprocessing.get_context("fork").Process(target=build, args=(folder,))
    worker.start()
    worker.join()
    if worker.exitcode != 0:
        raise RuntimeError(f"preparing {folder} failed (exit code {worker.exitcode})")
    (folder / "READY").write_text(repr(params))
    return folder


def fresh_copy(folder: Path, scratch: Path) -> Path:
    """A throwaway copy of a prepared team folder to run one timed sync in."""
    if scratch.exists():
        shutil.rmtree(scratch)
    shutil.copytree(folder, scratch)
    return scratch


def build_mail(folder: Path, rows: int, copies: int, edits: Edits, with_ids: bool, seed: int) -> None:
    """A team whose canonical holds ``rows`` tasks, with ``copies`` edited copies in ``pending/``.

    With ``with_ids`` the copies are made from the canonical (hidden ids, ``_syncd`` sheet); without,
    from the tracker as it was before syncd (no ids), as copies mailed before the team started."""
    columns, base = tracker(rows, seed)
    write_config(folder)
    first_sync(folder, columns, base)
    if with_ids:
        columns, base, ids, meta = read_canonical(folder / "canonical" / "Tasks.xlsx")
    else:
        ids, meta = None, None
    pending = folder / "pending"
    pending.mkdir()
    rng = random.Random(seed * 1000 + copies)
    next_number = rows + 1
    for n in range(copies):
        person = _PEOPLE[n % len(_PEOPLE)]
        out, out_ids = edit_copy(columns, base, ids, edits, rng, next_number)
        next_number += edits.added
        write_copy(pending / f"{n + 1:02d} Tracker from {person}.xlsx", columns, out,
                   out_ids if with_ids else None, meta, person, when(n))


def build_merge3(folder: Path, rows: int, seed: int) -> None:
    """``base``, ``ours`` and ``theirs`` of one table of ``rows`` tasks (no ids), as .csv and .xlsx."""
    columns, base = tracker(rows, seed)
    rng = random.Random(seed + 1)
    share = max(1, rows // 100)
    ours, _ = edit_copy(columns, base, None, Edits(share, share // 2, share // 2), rng, rows + 1)
    theirs, _ = edit_copy(columns, base, None, Edits(share, share // 2, share // 2, resort=True), rng,
                          rows + 1 + share)
    for label, table in (("base", base), ("ours", ours), ("theirs", theirs)):
        write_csv(folder / f"{label}.csv", columns, table)
        write_copy(folder / f"{label}.xlsx", columns, table, None, None, label, when(0))
