"""Deterministic test data for the benchmark: trackers, and the copies people mail back.

Everything is derived from a seed with ``random.Random``, so two runs (and two machines) time the
same work. Files are real .xlsx packages written here as raw streamed XML (``write_xlsx``) — the
fastest writer there is, and deliberately not syncd's own — and a copy made "from the canonical" is
cut from the canonical syncd wrote, read with python-calamine, so it carries the hidden row ids and
the ``_syncd`` sheet exactly as a person's saved copy would.

Prepared team folders are cached under ``cache_root()`` keyed by the parameters and by a hash of
syncd's and this file's source, so a change to either prepares them again.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import multiprocessing
import os
import random
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

ROOT = Path(__file__).resolve().parent.parent

COLUMNS = ("ID", "Task", "Owner", "Status", "Priority", "Channel", "Region", "Start", "Due", "Budget",
           "Spent", "Notes")
ID_COLUMN = "syncd id"  # syncd.model.ROW_ID_COLUMN, spelled out: this module writes files, not tables

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


# --- raw streamed .xlsx ----------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '{sheets}'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '</Types>'
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '</Relationships>'
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:creator>{author}</dc:creator><cp:lastModifiedBy>{author}</cp:lastModifiedBy>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
    '</cp:coreProperties>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets>'
    '</workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
    '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
# Style 1 is a date (numFmt 14), so readers type those cells as dates.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '</styleSheet>'
)
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = '</sheetData></worksheet>'
_XL_EPOCH = dt.date(1899, 12, 30)
_HIDDEN = ' state="hidden"'


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


_LETTERS = [""] + [_letters(n) for n in range(1, 200)]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, v) -> str:
    t = type(v)
    if t is str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{_esc(v)}</t></is></c>'
    if t is int or t is float:
        return f'<c r="{ref}"><v>{v!r}</v></c>'
    if t is bool:
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if t is dt.date:
        return f'<c r="{ref}" s="1"><v>{(v - _XL_EPOCH).days}</v></c>'
    if t is dt.datetime:
        days = (v - dt.datetime(1899, 12, 30)).total_seconds() / 86400
        return f'<c r="{ref}" s="1"><v>{days!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{_esc(str(v))}</t></is></c>'


def _sheet_chunks(rows: Iterable[Sequence]) -> Iterable[bytes]:
    yield _SHEET_HEAD.encode()
    buf: list[str] = []
    letters = _LETTERS
    for r, row in enumerate(rows, 1):
        cells = "".join(_cell(f"{letters[c]}{r}", v) for c, v in enumerate(row, 1) if v is not None)
        buf.append(f'<row r="{r}">{cells}</row>')
        if len(buf) >= 2000:
            yield "".join(buf).encode()
            buf = []
    buf.append(_SHEET_TAIL)
    yield "".join(buf).encode()


def write_xlsx(path: str | os.PathLike, sheets: Sequence[tuple[str, Iterable[Sequence], bool]],
               author: str = "bench", modified: dt.datetime | None = None) -> None:
    """A minimal valid .xlsx: ``sheets`` are (name, rows including the header, hidden), each row a
    sequence of str / int / float / bool / date / None. Streamed part by part, zlib default level."""
    when = (modified or dt.datetime(2026, 6, 1, 9, 0)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sheet_xml = "".join(
        f'<sheet name="{_esc(name)}" sheetId="{n}" r:id="rId{n}"{_HIDDEN if hidden else ""}/>'
        for n, (name, _, hidden) in enumerate(sheets, 1))
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="worksheets/sheet{n}.xml"/>' for n in range(1, len(sheets) + 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("docProps/core.xml", _CORE.format(author=_esc(author), when=when))
        z.writestr("xl/workbook.xml", _WORKBOOK.format(sheets=sheet_xml))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(rels=rels))
        z.writestr("xl/styles.xml", _STYLES)
        for n, (_, rows, _) in enumerate(sheets, 1):
            with z.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as out:
                for chunk in _sheet_chunks(rows):
                    out.write(chunk)


def write_copy(path: Path, columns: Sequence[str], rows: Sequence[Sequence], ids: Sequence[str | None] | None,
               meta: dict | None, author: str, modified: dt.datetime) -> None:
    """A copy as a person saves it: the tracker sheet (with syncd's id column when the rows carry
    ids), and the hidden ``_syncd`` sheet when it was made from a canonical."""
    if ids is not None and any(i is not None for i in ids):
        table = [[*columns, ID_COLUMN]] + [[*r, rid] for r, rid in zip(rows, ids)]
    else:
        table = [list(columns)] + [list(r) for r in rows]
    sheets: list[tuple[str, Iterable[Sequence], bool]] = [("Tasks", table, False)]
    if meta:
        sheets.append(("_syncd", [["key", "value"], *([k, v] for k, v in meta.items())], True))
    write_xlsx(path, sheets, author=author, modified=modified)
    stamp = modified.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerows(["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows)


def read_canonical(path: Path) -> tuple[list[str], list[list], list[str | None], dict]:
    """(columns, rows, hidden ids, _syncd meta) of a canonical, read with python-calamine."""
    import python_calamine as calamine

    wb = calamine.CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name("Tasks").to_python(skip_empty_area=True)
    header = [str(h) for h in grid[0]]
    at = header.index(ID_COLUMN)
    columns = [h for k, h in enumerate(header) if k != at]
    rows, ids = [], []
    for raw in grid[1:]:
        values = [None if v == "" else int(v) if isinstance(v, float) and v.is_integer() else v for v in raw]
        values += [None] * (len(header) - len(values))
        ids.append(values[at])
        rows.append([v for k, v in enumerate(values) if k != at])
    meta = {str(k): v for k, v in wb.get_sheet_by_name("_syncd").to_python()[1:4]}
    if isinstance(meta.get("generation"), float):
        meta["generation"] = int(meta["generation"])
    return columns, rows, ids, meta


# --- team folders ------------------------------------------------------------------------------


def cache_root() -> Path:
    return Path(os.environ.get("SYNCD_BENCH_CACHE") or Path(tempfile.gettempdir()) / "syncd-bench")


def source_hash() -> str:
    """Changes whenever syncd or this file changes: prepared folders depend on both."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "syncd").rglob("*.py")) + [Path(__file__)]:
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
