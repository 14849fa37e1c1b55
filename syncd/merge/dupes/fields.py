"""Which columns say whether two rows are the same, what kind of value each holds, and how alike two
values of that kind are (0..1).

A tracker with no configuration is compared on its title column plus the columns whose names say
campaign, channel, owner/assignee or due date. ``columns`` (``[tracker.duplicates]`` or ``syncd dupes
--columns``) names them instead; the first is the main text. Each column's kind comes from its name
and its values: dates, numbers, phone numbers (compared as digits), e-mail addresses (case-folded),
people's names (nicknames and initials meet: "Bob Smith" = "Robert Smith" = "R. Smith"), addresses
(street abbreviations expanded, house numbers must agree) and plain text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from syncd.merge.dupes.text import MAX_CHARS, fold, parse_title, raw_tokens
from syncd.merge.memo import remembered
from syncd.merge.values import is_empty, normalise_name, value_text
from syncd.model import Table, Value

#: Tracker columns recognised by name, and the part they play.
ROLE_WORDS = {
    "campaign": ("campaign", "project", "initiative", "programme", "program", "workstream", "stream", "epic"),
    "channel": ("channel", "medium", "platform", "media", "outlet"),
    "owner": ("owner", "assignee", "assigned", "assignedto", "responsible", "who", "lead", "person", "doer"),
    "due": ("due", "duedate", "deadline", "dueby", "enddate", "targetdate", "due on"),
}
_PHONE_NAMES = ("phone", "tel", "telephone", "mobile", "cell", "fax", "contactnumber")
_EMAIL_NAMES = ("email", "mail", "emailaddress")
_ADDRESS_NAMES = ("address", "street", "addr", "addressline", "address1", "address2", "road")
_PERSON_NAMES = ("name", "fullname", "firstname", "lastname", "surname", "givenname", "forename", "person",
                 "contact", "owner", "assignee", "customer", "author", "employee", "member")
_MAIN_NAMES = ("name", "fullname", "title", "task", "taskname", "subject", "summary", "product", "productname",
               "item", "itemname", "company", "companyname", "organisation", "organization", "business", "description")
_NON_DIGIT = re.compile(r"\D+")
_PHONE_TEXT = re.compile(r"^[\d\s()+./-]{7,25}$")

NICKNAMES = {
    "bob": "robert", "rob": "robert", "bobby": "robert", "robbie": "robert", "bert": "robert",
    "bill": "william", "will": "william", "billy": "william", "willy": "william", "liam": "william",
    "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth", "lizzie": "elizabeth", "eliza": "elizabeth",
    "kate": "katherine", "katie": "katherine", "kathy": "katherine", "kat": "katherine", "catherine": "katherine",
    "cathy": "katherine", "kathryn": "katherine", "mike": "michael", "mick": "michael", "mikey": "michael",
    "jim": "james", "jimmy": "james", "jamie": "james", "jen": "jennifer", "jenny": "jennifer",
    "maggie": "margaret", "peggy": "margaret", "meg": "margaret", "rick": "richard", "dick": "richard",
    "rich": "richard", "ricky": "richard", "tom": "thomas", "tommy": "thomas", "chris": "christopher",
    "dan": "daniel", "danny": "daniel", "joe": "joseph", "joey": "joseph", "sue": "susan", "susie": "susan",
    "pat": "patricia", "trish": "patricia", "patty": "patricia", "tony": "anthony", "alex": "alexander",
    "nick": "nicholas", "jon": "jonathan", "johnny": "john", "jack": "john", "sam": "samuel", "andy": "andrew",
    "drew": "andrew", "dave": "david", "davy": "david", "sally": "sarah", "steve": "steven", "stephen": "steven",
    "greg": "gregory", "matt": "matthew", "ben": "benjamin", "ed": "edward", "eddie": "edward", "ted": "edward",
    "ken": "kenneth", "larry": "lawrence", "jerry": "gerald", "frank": "francis", "fred": "frederick",
    "charlie": "charles", "chuck": "charles", "hank": "henry", "harry": "henry", "pete": "peter",
    "ron": "ronald", "don": "donald", "tim": "timothy", "vicky": "victoria", "abby": "abigail", "sandy": "sandra",
    "debbie": "deborah", "deb": "deborah", "becky": "rebecca", "nate": "nathan", "josh": "joshua",
    "zach": "zachary", "jeff": "jeffrey", "phil": "philip", "ray": "raymond", "al": "albert", "gabe": "gabriel",
}


@dataclass(frozen=True)
class Field:
    """One compared column. ``kind``: "title" (text compared as a task title, with guards), "text",
    "person", "address", "phone", "email", "date", "number". ``role``: "main", "campaign",
    "channel", "owner", "due" or "other". ``weight`` scales its say in a generic comparison."""

    index: int
    name: str
    kind: str
    role: str
    weight: float = 1.0


@dataclass(frozen=True)
class Plan:
    """The columns a table is compared on. ``tracker``: scored as a task tracker (title first, the
    other columns nudge), else as a generic record (every column counts alike)."""

    main: Field
    others: tuple[Field, ...]
    tracker: bool

    @property
    def fields(self) -> tuple[Field, ...]:
        return (self.main, *self.others)


class UnknownColumn(ValueError):
    """A configured column is not in the table; ``str()`` names it and lists the table's columns."""


def _role(name: str) -> str | None:
    norm = normalise_name(name)
    words = set(re.findall(r"[a-z]+", name.casefold()))
    for role, names in ROLE_WORDS.items():
        if norm in {normalise_name(n) for n in names} or words & set(names):
            return role
    return None


def _filled(table: Table, col: int, limit: int = 2000) -> list[Value]:
    out = []
    for row in table.rows:
        if not is_empty(row[col]):
            out.append(row[col])
            if len(out) >= limit:
                break
    return out


def detect_kind(table: Table, col: int, *, main: bool = False) -> str:
    """The kind of values in column ``col`` (see ``Field``), from its name first, then its values."""
    name = normalise_name(table.columns[col])
    values = _filled(table, col)
    if not values:
        return "title" if main else "text"
    share = lambda test: sum(1 for v in values if test(v)) / len(values)  # noqa: E731
    if share(lambda v: isinstance(v, (dt.date, dt.datetime))) >= 0.6:
        return "date"
    if any(n in name for n in _EMAIL_NAMES) or share(lambda v: isinstance(v, str) and "@" in v) >= 0.6:
        return "email"
    if any(n in name for n in _PHONE_NAMES) or share(_phone_like) >= 0.8 and not main:
        return "phone"
    if share(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)) >= 0.8:
        return "number"
    if any(n in name for n in _ADDRESS_NAMES):
        return "address"
    if name in _PERSON_NAMES or any(name.endswith(n) for n in ("firstname", "lastname", "surname", "fullname")):
        return "person"
    return "title" if main else "text"


def _phone_like(v: Value) -> bool:
    if isinstance(v, int) and not isinstance(v, bool):
        return 7 <= len(str(abs(v))) <= 15
    return isinstance(v, str) and bool(_PHONE_TEXT.match(v.strip())) and 7 <= len(_NON_DIGIT.sub("", v)) <= 15


def find_column(table: Table, name: str) -> int:
    """Index of the column called ``name`` (exactly, else ignoring case, spaces and punctuation)."""
    if name in table.columns:
        return table.columns.index(name)
    wanted = normalise_name(name)
    for i, c in enumerate(table.columns):
        if normalise_name(c) == wanted:
            return i
    raise UnknownColumn(f"there is no column called '{name}' (the columns are: {', '.join(table.columns)})")


def _low_cardinality(table: Table, col: int) -> bool:
    values = [value_text(v).casefold() for v in _filled(table, col)]
    distinct = len(set(values))
    return len(values) >= 20 and (distinct <= 12 or distinct / len(values) < 0.05)


#: Rows (evenly spaced) the title column is detected on in a large table.
TITLE_SAMPLE = 5000


@remembered
def _sampled_title(table: Table, key: int | None) -> int | None:
    """The most varied text column, ``key`` left out. A sample decides as well as every row: which
    column is the most varied text shows in a few thousand rows, and scanning 100,000 costs
    seconds. Remembered: a sync's search plans the same table twice (0.1 s each on 100,000 rows)."""
    from syncd.merge.fuzzy import detect_title

    rows = table.rows
    step = max(1, len(rows) // TITLE_SAMPLE)
    return detect_title(rows[::step] if step > 1 else rows, (), table.columns, None, exclude=key)


def plan_fields(table: Table, columns: Sequence[str] = (), title: str | None = None, *,
                generic_fallback: bool = False, tracker: bool = False) -> Plan | None:
    """The columns to compare ``table`` on; ``None`` when there is nothing to compare (no text column).

    With ``columns`` (raises ``UnknownColumn`` for a name the table lacks) those are compared, the
    first as the main text: as a generic record, or with ``tracker`` as a tracker (the first is the
    title; campaign, channel, owner and due columns play their part, any other nudges a little). Otherwise the title column (``title``, else the most
    varied text column) plus the tracker columns found by name; with ``generic_fallback`` a table with
    no such column is compared on all its columns except id-like ones (for ``syncd dupes``).
    """
    from syncd.merge.rows import looks_like_key_name

    if columns:
        idx = [find_column(table, c) for c in columns]
        idx = list(dict.fromkeys(idx))
        if tracker:
            others = []
            for i in idx[1:]:
                role = _role(table.columns[i]) or "other"
                kind = "date" if role == "due" else "person" if role == "owner" else detect_kind(table, i)
                others.append(Field(i, table.columns[i], kind, role))
            return Plan(Field(idx[0], table.columns[idx[0]], "title", "main"), tuple(others), tracker=True)
        main = Field(idx[0], table.columns[idx[0]], detect_kind(table, idx[0], main=True), "main")
        others = tuple(Field(i, table.columns[i], kind := detect_kind(table, i), _role(table.columns[i]) or "other",
                             0.5 if kind in ("text", "title") and _low_cardinality(table, i) else 1.0) for i in idx[1:])
        return Plan(main, others, tracker=False)
    t = None
    if title is not None:
        try:
            t = find_column(table, title)
        except UnknownColumn:
            t = None
    if t is None:
        key = next((i for i, c in enumerate(table.columns) if looks_like_key_name(c)), None)
        t = _sampled_title(table, key)
    if t is None:
        return None
    others = []
    for i, name in enumerate(table.columns):
        role = _role(name) if i != t else None
        if role is not None and not any(f.role == role for f in others):
            kind = "date" if role == "due" else "person" if role == "owner" else "text"
            others.append(Field(i, name, kind, role))
    if others or not generic_fallback:
        return Plan(Field(t, table.columns[t], "title", "main"), tuple(others), tracker=True)
    # A record's main text is the column that names it, when one is called so ("Name", "Product").
    named = [i for i, c in enumerate(table.columns) if normalise_name(c) in _MAIN_NAMES and _filled(table, i, 1)]
    if named:
        t = named[0]
    rest = [i for i, c in enumerate(table.columns) if i != t and not looks_like_key_name(c) and _filled(table, i, 1)]
    fields = tuple(Field(i, table.columns[i], kind := detect_kind(table, i), "other",
                         0.5 if kind in ("text", "title") and _low_cardinality(table, i) else 1.0) for i in rest)
    main_kind = detect_kind(table, t, main=True)
    return Plan(Field(t, table.columns[t], main_kind if main_kind != "text" else "title", "main"), fields,
                tracker=False)


# ---- values of one kind, normalised once and compared ------------------------------------------------

@dataclass(frozen=True, slots=True)
class Words:
    """Text reduced for comparison: its sorted key and its words, numbers apart."""

    key: str
    words: frozenset[str]
    numbers: frozenset[str]


def _parse_date(v: Value) -> int | None:
    if isinstance(v, dt.datetime):
        return v.date().toordinal()
    if isinstance(v, dt.date):
        return v.toordinal()
    if not isinstance(v, str):
        return None
    text = v.strip()[:40]
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y",
                "%Y/%m/%d", "%m/%d/%y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date().toordinal()
        except ValueError:
            continue
    return None


def normalise_value(kind: str, v: Value) -> object | None:
    """``v`` in the form ``similarity`` compares for ``kind``; ``None`` for an empty cell."""
    if is_empty(v):
        return None
    if kind == "title":
        return parse_title(value_text(v))
    if kind == "phone":
        digits = _NON_DIGIT.sub("", value_text(v))[:20]
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        return digits or None
    if kind == "email":
        return fold(value_text(v).strip())[:MAX_CHARS]
    if kind == "date":
        d = _parse_date(v)
        return d if d is not None else _words(value_text(v))
    if kind == "number":
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        try:
            return float(value_text(v).replace(",", ""))
        except ValueError:
            return _words(value_text(v))
    if kind == "person":
        toks = [NICKNAMES.get(t, t) for t in raw_tokens(value_text(v)) if not t.isdigit()]
        return tuple(toks) or None
    return _words(value_text(v))


def _words(text: str) -> Words | None:
    title = parse_title(text)
    words = [w for w in title.words]
    if not words:
        return None
    numbers = frozenset(w for w in words if w.isdigit())
    return Words(" ".join(sorted(words)), frozenset(words), numbers)


def similarity(kind: str, a: object, b: object) -> float:
    """How alike two normalised, non-empty values of ``kind`` are, 0..1."""
    if a == b:
        return 1.0
    if kind == "phone":
        if len(a) >= 7 and len(b) >= 7 and (a.endswith(b) or b.endswith(a)):  # one without the area code
            return 0.9
        d = Levenshtein.distance(a, b, score_cutoff=2)
        return {1: 0.7, 2: 0.3}.get(d, 0.0)
    if kind == "email":
        la, lb = a.split("@")[0], b.split("@")[0]
        if la == lb:
            return 0.8
        return 0.6 * fuzz.ratio(a, b) / 100 if fuzz.ratio(la, lb) >= 85 else 0.0
    if kind == "date" and isinstance(a, int) and isinstance(b, int):
        return _date_similarity(a, b)
    if kind == "number" and isinstance(a, float) and isinstance(b, float):
        scale = max(abs(a), abs(b))
        return 0.8 if scale and abs(a - b) / scale <= 0.01 else 0.0
    if kind == "person" and isinstance(a, tuple) and isinstance(b, tuple):
        return person_similarity(a, b)
    if isinstance(a, Words) and isinstance(b, Words):
        return _words_similarity(a, b)
    return 0.0


def _date_similarity(a: int, b: int) -> float:
    if abs(a - b) <= 3:
        return 0.7
    if abs(a - b) <= 14:
        return 0.4
    da, db = dt.date.fromordinal(a), dt.date.fromordinal(b)
    if (da.day, da.month) == (db.month, db.day) and da.year == db.year:
        return 0.7  # day and month read the other way round
    if (da.month, da.day) == (db.month, db.day) or (da.year, da.month) == (db.year, db.month):
        return 0.3  # one part mistyped
    return 0.0


def _words_similarity(a: Words, b: Words) -> float:
    sim = max(fuzz.token_sort_ratio(a.key, b.key), fuzz.token_set_ratio(a.key, b.key) * 0.9) / 100
    if a.numbers and b.numbers and a.numbers != b.numbers:
        if a.numbers < b.numbers or b.numbers < a.numbers:
            sim *= 0.9  # one also gives a flat number: the same house, said more precisely
        else:
            sim *= 0.3  # "12 Oak St" and "14 Oak St" are different houses
    return sim


def _name_token_similarity(x: str, y: str) -> float:
    if x == y:
        return 1.0
    if len(x) == 1 or len(y) == 1:
        return 0.85 if x[0] == y[0] else 0.0
    if len(x) >= 3 and len(y) >= 3 and (x.startswith(y) or y.startswith(x)):
        return 0.8
    r = fuzz.ratio(x, y) / 100
    return r if r >= 0.75 else 0.0


def person_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """People's names: word order free ("Smith, John"), nicknames already mapped, initials and short
    forms count ("J. Smith" = "John Smith"), one-letter typos forgiven; an extra middle name costs little."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    free = list(long)
    total = 0.0
    for x in sorted(short, key=len, reverse=True):
        best, at = 0.0, -1
        for k, y in enumerate(free):
            s = _name_token_similarity(x, y)
            if s > best:
                best, at = s, k
        if at >= 0:
            free.pop(at)
        total += best
    matched = total / len(short)
    extra = sum(0.5 if len(y) == 1 else 1.0 for y in free)
    return matched * (len(short) / (len(short) + 0.25 * extra))
