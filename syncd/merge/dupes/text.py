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
from dataclasses import dataclass

#: Longest text looked at: a pasted essay in a title cell must not stall a sync.
MAX_CHARS = 300

_SPLIT = re.compile(r"\d+|[^\W\d_]+")
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


@dataclass(frozen=True, slots=True)
class Title:
    """A parsed title. ``words`` are the content tokens in their original order (features such as
    ``q3``, ``sep``, ``2026`` or ``12`` included, versions and filler words not); ``qualifiers`` the
    subset of ``words`` that weigh little; ``features`` one frozenset per ``FEATURE_KINDS`` entry."""

    words: tuple[str, ...]
    qualifiers: frozenset[str]
    features: tuple[frozenset[str], ...]

    @property
    def key(self) -> str:
        """The content words (qualifiers left out) sorted and joined: what character similarity is
        computed on, so word order never matters."""
        return " ".join(sorted(w for w in self.words if w not in self.qualifiers))


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
    text = _APOSTROPHES.sub("", text)
    text = text.replace("&", " and ").replace("+", " and ")
    text = _WITH.sub(lambda m: " without " if m.group(0) == "w/o" else " with ", text)
    text = _SLASHED_LETTERS.sub(r"\1\2", text)  # A/B test -> ab test
    return _SPLIT.findall(text)


def stem(word: str) -> str:
    """A light English stemmer: enough that ``banners``/``banner`` and ``planning``/``plan`` meet."""
    if len(word) <= 3 or not word.isalpha() or not word.isascii():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix, min_stem in (("ing", 4), ("ed", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem:
            base = word[: -len(suffix)]
            if len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ews")):
        return word[:-1]
    if word.endswith(("yse", "yze")):
        return word[:-3] + "yz"
    return word


def _year(digits: str) -> str | None:
    if len(digits) == 4 and digits[:2] in ("19", "20"):
        return digits
    return None


def parse_title(text: str) -> Title:
    """Parse one title (see the module docstring). Pure and cheap: callers memoise by text."""
    toks = raw_tokens(text)
    words: list[str] = []
    quals: set[str] = set()
    feats: dict[str, set[str]] = {k: set() for k in FEATURE_KINDS}
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < n else ""
        if t.isdigit():
            value = str(int(t)) if len(t) < 10 else t
            if nxt in _ORDINAL_SUFFIX:
                i += 1
                nxt = toks[i + 1] if i + 1 < n else ""
            if nxt in _QUARTER_WORDS and value in "1234" and len(value) == 1:
                _add(words, feats, "quarter", "q" + value)
                i += 2
                continue
            if nxt in _HALF_WORDS and value in ("1", "2"):
                _add(words, feats, "half", "h" + value)
                i += 2
                continue
            if nxt == "q" and value in ("1", "2", "3", "4"):  # "3Q"
                _add(words, feats, "quarter", "q" + value)
                i += 2
                continue
            year = _year(t)
            _add(words, feats, "year" if year else "number", year or value)
            i += 1
            continue
        if t in NUMBER_WORDS:
            value = str(NUMBER_WORDS[t])
            if nxt in _QUARTER_WORDS and value in "1234" and len(value) == 1:
                _add(words, feats, "quarter", "q" + value)
                i += 2
                continue
            if nxt in _HALF_WORDS and value in ("1", "2"):
                _add(words, feats, "half", "h" + value)
                i += 2
                continue
            if t in ("first", "second") and not nxt.isdigit():
                words.append(t)  # "first draft", "second round": ordinary words
                i += 1
                continue
            _add(words, feats, "number", value)
            i += 1
            continue
        if nxt.isdigit():
            if t == "q" and nxt in ("1", "2", "3", "4"):
                _add(words, feats, "quarter", "q" + nxt)
                i += 2
                continue
            if t in _QUARTER_WORDS and nxt in ("1", "2", "3", "4"):
                _add(words, feats, "quarter", "q" + nxt)
                i += 2
                continue
            if t == "h" and nxt in ("1", "2"):
                _add(words, feats, "half", "h" + nxt)
                i += 2
                continue
            if t in _VERSION_WORDS:
                feats["version"].add("v" + str(int(nxt)))
                i += 2
                continue
            if t == "fy" and len(nxt) in (2, 4):
                _add(words, feats, "year", nxt if len(nxt) == 4 else "20" + nxt)
                i += 2
                continue
            if t in _NUMBER_MARKERS:
                i += 1
                continue
        if t in MONTHS and not (t == "may" and words and words[-1] in ("we", "it", "you")):
            _add(words, feats, "month", MONTHS[t])
            i += 1
            continue
        if t == "e" and nxt == "mail":
            t, i = "email", i + 1
        word = ABBREVIATIONS.get(t, t)
        parts = COMPOUNDS.get(word, (word,))
        for part in parts:
            if part in STOP_WORDS:
                continue
            part = stem(part)
            if part in STOP_WORDS:
                continue
            words.append(part)
            if part in QUALIFIERS or t in QUALIFIERS:
                quals.add(part)
        i += 1
    if words and all(w in quals for w in words):
        quals = set()  # a title that is only "Draft" is about the draft
    return Title(tuple(words), frozenset(quals), tuple(frozenset(feats[k]) for k in FEATURE_KINDS))


def _add(words: list[str], feats: dict[str, set[str]], kind: str, token: str) -> None:
    feats[kind].add(token)
    words.append(token)
