"""A task title reduced to the words that say which task it is, and the tokens that say which *one*.

``parse_title("Draft the Q3 newsletter (v2)")`` gives the content words ``draft newsletter q3`` and the
features ``quarter={q3}``, ``version={v2}``. Normalisation, in order:

* case, accents and compatibility forms folded (``Ｑ３`` = ``q3``, ``Café`` = ``cafe``), apostrophes
  dropped (``client's`` = ``clients``), punctuation turned into spaces;
* letters and digits split apart and joined back into the forms people mean: ``Q3``, ``Q 3``,
  ``3rd quarter``, ``third quarter`` → ``q3``; ``v2``, ``ver. 2``, ``version 2`` → ``v2``; ``#12``,
  ``no. 12`` → ``12``; ``H1``, ``first half`` → ``h1``; ``FY26`` → ``2026``; month names and their
  abbreviations → ``sep``; number words → digits;
* common abbreviations expanded (``mtg`` → ``meeting``, ``LP`` → ``landing page``, ``&`` → ``and``,
  ``w/`` → ``with``), compounds split (``kickoff`` → ``kick off``; but ``e-mail`` → ``email``), a
  light stemmer (``banners`` = ``banner``, ``planning`` = ``plan``);
* filler words dropped (``the``, ``of``, ``copy of``, ``re``); qualifiers people tack on (``draft``,
  ``wip``, ``urgent``...) kept but marked, so they weigh little.

Version tokens are features only: "(v2)" on one side is a qualifier, but "Banner v2" / "Banner v3" is
another deliverable — the guard (``guards``) decides that, not the similarity.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

from syncd.merge.dupes.stem import stem
from syncd.merge.dupes.verbs import actions

#: Longest text looked at: a pasted essay in a title cell must not stall a sync.
MAX_CHARS = 300

_SPLIT = re.compile(r"\d+|[^\W\d_]+")
_SPLIT_ASCII = re.compile(r"[0-9]+|[a-z]+")  # the same on folded ASCII text, several times faster
_APOSTROPHES = re.compile(r"[’'`´]")
_WITH = re.compile(r"\bw/o\b|\bw/(?=\s|\w)")
_SLASHED_LETTERS = re.compile(r"\b([^\W\d_])/([^\W\d_])\b")

STOP_WORDS = frozenset(
    "the a an of for to on in at by from into onto our my your their its this that these those is be "
    "re fw fwd cc copy about regarding please pls and with".split()
)
#: Words people tack onto a title that do not change which task it is; they weigh little.
QUALIFIERS = frozenset(
    "draft drafts wip todo tbc tbd new updated revised urgent asap final latest old again redo "
    "reminder important priority followup2 pending misc".split()
)
ABBREVIATIONS = {
    "mtg": "meeting", "mtgs": "meeting", "meet": "meeting", "newsltr": "newsletter", "nl": "newsletter",
    "nwsltr": "newsletter", "mgmt": "management", "mgt": "management", "mktg": "marketing", "mkt": "marketing",
    "info": "information", "promo": "promotion", "promos": "promotion", "pics": "photo", "pic": "photo",
    "photos": "photo", "img": "image", "imgs": "image", "doc": "document", "docs": "document",
    "pres": "presentation", "prez": "presentation", "rpt": "report", "rvw": "review", "cal": "calendar",
    "ig": "instagram", "insta": "instagram", "fb": "facebook", "li": "linkedin", "yt": "youtube",
    "lp": "landingpage", "pr": "pressrelease", "sm": "socialmedia", "wkly": "weekly", "wk": "week",
    "ep": "episode", "eps": "episode", "pt": "part", "prod": "product", "prods": "product", "cust": "customer",
    "abt": "about", "dept": "department", "mgr": "manager", "req": "request", "reqs": "request",
    "approx": "approximately", "vid": "video", "vids": "video", "govt": "government", "intl": "international",
    "natl": "national", "cmte": "committee", "conf": "conference", "admin": "administration",
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "rd": "road", "blvd": "boulevard",
    "dr": "drive", "ln": "lane", "ct": "court", "pl": "place", "sq": "square", "hwy": "highway",
    "apt": "apartment", "ste": "suite", "fl": "floor", "bldg": "building", "mt": "mount", "ft": "fort",
    "n": "north", "s": "south", "w": "west", "ne": "northeast", "nw": "northwest",
    "se": "southeast", "sw": "southwest", "co": "company", "corp": "corporation", "inc": "incorporated",
    "ltd": "limited", "intro": "introduction", "prep": "prepare", "eval": "evaluation", "reno": "renovation",
}
#: Words people write both as one and as two ("kick off", "kick-off", "kickoff"): always two, so
#: a typo in one half still leaves the other half to match.
COMPOUNDS = {
    "kickoff": ("kick", "off"), "followup": ("follow", "up"), "signoff": ("sign", "off"), "setup": ("set", "up"),
    "website": ("web", "site"), "checkin": ("check", "in"), "landingpage": ("landing", "page"),
    "pressrelease": ("press", "release"), "socialmedia": ("social", "media"), "workshop": ("work", "shop"),
    "lineup": ("line", "up"), "roadmap": ("road", "map"), "onboarding": ("on", "boarding"),
    "database": ("data", "base"), "handout": ("hand", "out"), "wrapup": ("wrap", "up"), "rollout": ("roll", "out"),
    "blogpost": ("blog", "post"), "newyork": ("new", "york"), "blackfriday": ("black", "friday"),
    "cybermonday": ("cyber", "monday"), "livestream": ("live", "stream"), "webinar": ("webinar",),
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}
_ORDINAL_SUFFIX = frozenset({"st", "nd", "rd", "th"})
MONTHS = {
    "jan": "jan", "january": "jan", "feb": "feb", "february": "feb", "mar": "mar", "march": "mar",
    "apr": "apr", "april": "apr", "may": "may", "jun": "jun", "june": "jun", "jul": "jul", "july": "jul",
    "aug": "aug", "august": "aug", "sep": "sep", "sept": "sep", "september": "sep", "oct": "oct",
    "october": "oct", "nov": "nov", "november": "nov", "dec": "dec", "december": "dec",
}
MONTH_ORDER = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_VERSION_WORDS = frozenset({"v", "ver", "version", "rev", "revision"})
_NUMBER_MARKERS = frozenset({"no", "nr", "num", "number"})
_QUARTER_WORDS = frozenset({"quarter", "qtr", "qrt", "quarterly"})
_HALF_WORDS = frozenset({"half"})

#: The kinds of distinguishing token, in the order a guard reports them.
FEATURE_KINDS = ("quarter", "half", "month", "year", "version", "number")


class Title(NamedTuple):
    """A parsed title. ``words`` are the content tokens in their original order (features such as
    ``q3``, ``sep``, ``2026`` or ``12`` included, versions and filler words not); ``qualifiers`` the
    subset of ``words`` that weigh little; ``features`` one frozenset per ``FEATURE_KINDS`` entry.

    A named tuple, not a frozen dataclass: a big tracker's sync makes 100,000 of them (parsed, or
    loaded from the last sync's ``title_cache``), and a tuple is built in C where a frozen
    dataclass sets each field in Python (loading 100,000 took 0.61 s, against 0.25 s now)."""

    words: tuple[str, ...]
    qualifiers: frozenset[str]
    features: tuple[frozenset[str], ...]
    #: each word as it was typed (folded), for messages: ``words`` may hold a stem ("updat")
    shown: tuple[str, ...] = ()
    #: the verb the title starts with and the one it ends with (``verbs.actions``)
    first_verb: str | None = None
    last_verb: str | None = None
    #: The content words (qualifiers left out) sorted and joined: what character similarity is
    #: computed on, so word order never matters. Worked out as the title is parsed, like
    #: ``content``: a search asks both of every row, and titles are parsed ahead (``warm_up``).
    key: str = ""
    #: the content words, each once, in order: what blocking files the title under
    content: tuple[str, ...] = ()

    def show(self, word: str) -> str:
        """How ``word`` (one of ``words``) was typed."""
        try:
            return self.shown[self.words.index(word)]
        except (ValueError, IndexError):
            return word


def fold(text: str) -> str:
    """Casefold, compatibility-fold and strip accents (``Ｑ３ Café`` → ``q3 cafe``)."""
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = text.casefold()
    return text


def raw_tokens(text: str) -> list[str]:
    """Folded letter runs and digit runs, split apart (``Q3-2026`` → ``q 3 2026``)."""
    text = fold(text[:MAX_CHARS])
    if "'" in text or not text.isascii():
        text = _APOSTROPHES.sub("", text)
    if "&" in text or "+" in text:
        text = text.replace("&", " and ").replace("+", " and ")
    if "/" in text:
        text = _WITH.sub(lambda m: " without " if m.group(0) == "w/o" else " with ", text)
        text = _SLASHED_LETTERS.sub(r"\1\2", text)  # A/B test -> ab test
    return (_SPLIT_ASCII if text.isascii() else _SPLIT).findall(text)


_MONTH_NAMES = [m for m in MONTHS if len(m) >= 5]


def _misspelt_month(word: str) -> str | None:
    """ "Feburary", "Drcember": a month name with one slip of the finger."""
    if len(word) < 6 or not word.isalpha():
        return None
    found = process.extractOne(word, _MONTH_NAMES, scorer=Levenshtein.distance, score_cutoff=1)
    if found is None:
        found = process.extractOne(word, _MONTH_NAMES, scorer=OSA.distance, score_cutoff=1)
    return MONTHS[found[0]] if found is not None else None


def _year(digits: str) -> str | None:
    if len(digits) == 4 and digits[:2] in ("19", "20"):
        return digits
    return None


@lru_cache(maxsize=1 << 16)
def _word(t: str) -> tuple[str | None, tuple[tuple[str, str, bool], ...]]:
    """One plain word: (its month, or None; else its parts as (word, as typed, is a qualifier)).
    Cached: a tracker repeats the same few hundred words on every row."""
    month = MONTHS.get(t) or _misspelt_month(t)
    if month is not None:
        return month, ()
    word = ABBREVIATIONS.get(t, t)
    parts = COMPOUNDS.get(word, (word,))
    out = []
    for part in parts:
        if part in STOP_WORDS:
            continue
        stemmed = stem(part)
        if stemmed in STOP_WORDS:
            continue
        out.append((stemmed, t if len(parts) == 1 else part, stemmed in QUALIFIERS or t in QUALIFIERS))
    return None, tuple(out)


_SPECIAL = (frozenset(NUMBER_WORDS) | _QUARTER_WORDS | _HALF_WORDS | _VERSION_WORDS | _NUMBER_MARKERS
            | {"q", "h", "fy", "e"})
_NONE: frozenset[str] = frozenset()
_NO_FEATURES = (_NONE,) * len(FEATURE_KINDS)


def parse_title(text: str) -> Title:
    """Parse one title (see the module docstring). Pure; callers memoise by text."""
    toks = raw_tokens(text)
    words: list[str] = []
    quals: set[str] = set()
    feats: dict[str, set[str]] = {}
    shown: dict[int, str] = {}
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        if not t[0].isdigit() and t not in _SPECIAL:  # the common case: a plain word
            _put_word(t, words, quals, feats, shown)
            i += 1
            continue
        i = _special(toks, i, words, quals, feats, shown)
    if quals and quals.issuperset(words):
        quals = set()  # a title that is only "Draft" is about the draft
    if feats:
        periods = feats.get("quarter", _NONE) | feats.get("half", _NONE) | feats.get("month", _NONE)
        features = tuple(frozenset(feats[k]) if k in feats else _NONE for k in FEATURE_KINDS)
    else:  # most titles name no period, number or version
        periods, features = _NONE, _NO_FEATURES
    first, last = actions(words, periods, quals)
    kept = tuple(words)
    plain = [w for w in words if w not in quals] if quals else kept
    key, content = " ".join(sorted(plain)), tuple(dict.fromkeys(plain))
    return Title(kept, frozenset(quals) if quals else _NONE, features,
                 tuple(shown.get(k, w) for k, w in enumerate(words)) if shown else kept, first, last, key, content)


def _special(toks: list[str], i: int, words: list[str], quals: set[str], feats: dict[str, set[str]],
             shown: dict[int, str]) -> int:
    """One token that may start a pattern ("Q 3", "3rd quarter", "v 2", "no. 12"...); returns the
    index of the next token to read."""
    n = len(toks)
    t = toks[i]
    nxt = toks[i + 1] if i + 1 < n else ""
    if t.isdigit():
        value = str(int(t)) if len(t) < 10 else t
        if nxt in _ORDINAL_SUFFIX:
            i += 1
            nxt = toks[i + 1] if i + 1 < n else ""
        if nxt in _QUARTER_WORDS and value in ("1", "2", "3", "4"):
            _add(words, feats, "quarter", "q" + value)
            return i + 2
        if nxt in _HALF_WORDS and value in ("1", "2"):
            _add(words, feats, "half", "h" + value)
            return i + 2
        if nxt == "q" and value in ("1", "2", "3", "4"):  # "3Q"
            _add(words, feats, "quarter", "q" + value)
            return i + 2
        year = _year(t)
        _add(words, feats, "year" if year else "number", year or value)
        return i + 1
    if t in NUMBER_WORDS:
        value = str(NUMBER_WORDS[t])
        if nxt in _QUARTER_WORDS and value in ("1", "2", "3", "4"):
            _add(words, feats, "quarter", "q" + value)
            return i + 2
        if nxt in _HALF_WORDS and value in ("1", "2"):
            _add(words, feats, "half", "h" + value)
            return i + 2
        if t in ("first", "second") and not nxt.isdigit():
            words.append(t)  # "first draft", "second round": ordinary words
            return i + 1
        _add(words, feats, "number", value)
        return i + 1
    if nxt.isdigit():
        if t in ("q", *_QUARTER_WORDS) and nxt in ("1", "2", "3", "4"):
            _add(words, feats, "quarter", "q" + nxt)
            return i + 2
        if t == "h" and nxt in ("1", "2"):
            _add(words, feats, "half", "h" + nxt)
            return i + 2
        if t in _VERSION_WORDS:
            feats.setdefault("version", set()).add("v" + str(int(nxt)))
            return i + 2
        if t == "fy" and len(nxt) in (2, 4):
            _add(words, feats, "year", nxt if len(nxt) == 4 else "20" + nxt)
            return i + 2
        if t in _NUMBER_MARKERS:
            return i + 1
    if t == "e" and nxt == "mail":
        t, i = "email", i + 1
    _put_word(t, words, quals, feats, shown)
    return i + 1


def _put_word(t: str, words: list[str], quals: set[str], feats: dict[str, set[str]], shown: dict[int, str]) -> None:
    """A plain word: a month name becomes a feature, anything else the word(s) it normalises to."""
    month, parts = _word(t)
    if month is not None:
        _add(words, feats, "month", month)
        return
    for part, shown_as, qualifier in parts:
        if shown_as != part:
            shown[len(words)] = shown_as
        words.append(part)
        if qualifier:
            quals.add(part)


def _add(words: list[str], feats: dict[str, set[str]], kind: str, token: str) -> None:
    feats.setdefault(kind, set()).add(token)
    words.append(token)
