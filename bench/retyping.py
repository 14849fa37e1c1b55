"""How a person retypes a task's title in their own copy of a tracker: typos, words moved around,
their own abbreviations, qualifiers such as "(v2)" or "- draft", articles added or dropped, accents
lost. Used by the labelled evaluation sets (``bench.make_dupes_eval``, ``bench.make_records_eval``);
none of it looks at how syncd scores.
"""

from __future__ import annotations

import random
import unicodedata

# How people shorten words in their own copy (whole words, any case).
ABBREVIATIONS = {
    "meeting": ["mtg"], "newsletter": ["newsltr", "NL"], "management": ["mgmt"], "marketing": ["mktg"],
    "and": ["&", "+"], "with": ["w/"], "episode": ["ep.", "ep"], "information": ["info"], "photos": ["pics"],
    "promotion": ["promo"], "kickoff": ["kick-off", "kick off"], "email": ["e-mail", "mail"],
    "instagram": ["IG", "Insta"], "facebook": ["FB"], "linkedin": ["LI"], "landing page": ["LP"],
    "press release": ["PR"], "report": ["rpt"], "review": ["rvw"], "calendar": ["cal"],
    "social media": ["social", "SM"], "about": ["abt", "re"], "number": ["no."], "january": ["Jan"],
    "february": ["Feb"], "march": ["Mar"], "april": ["Apr"], "june": ["Jun"], "july": ["Jul"],
    "august": ["Aug"], "september": ["Sept", "Sep"], "october": ["Oct"], "november": ["Nov"],
    "december": ["Dec"], "weekly": ["wkly"], "week": ["wk"], "presentation": ["pres", "prez"],
    "products": ["prods"], "product": ["prod"], "customer": ["cust"], "document": ["doc"],
}
QUARTER_WORDS = {"Q1": ["first quarter", "1st quarter", "Q1"], "Q2": ["second quarter", "2nd quarter", "Q2"],
                 "Q3": ["third quarter", "3rd quarter", "Q3"], "Q4": ["fourth quarter", "4th quarter", "Q4"]}
PREFIXES = ["Copy of ", "RE: ", "TODO: ", "NEW - ", "[WIP] ", "Fwd: ", "!! "]
SUFFIXES = [" (v2)", " - draft", " (draft)", " (copy)", " - updated", " (urgent)", " - tbc", " – draft",
            " v2", " (final)", " - ASAP", "!!", " (updated)"]
KEYBOARD = {c: n for c, n in zip("qwertyuiopasdfghjklzxcvbnm", "wqrtyuiopoasdfghjklkzxcvbnb")}


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def typo(rng: random.Random, title: str) -> str:
    words = title.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return title
    i = rng.choice(long)
    w = words[i]
    p = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        w = w[:p] + w[p + 1] + w[p] + w[p + 2:]
    elif kind == 1:
        w = w[:p] + w[p + 1:]
    elif kind == 2:
        w = w[:p] + w[p] + w[p:]
    else:
        w = w[:p] + KEYBOARD.get(w[p].lower(), w[p]) + w[p + 1:]
    words[i] = w
    return " ".join(words)


def reorder(rng: random.Random, title: str) -> str:
    if ": " in title:
        head, tail = title.split(": ", 1)
        return f"{tail} - {head}"
    words = title.split()
    if len(words) < 3:
        return title
    if rng.random() < 0.6:
        sep = rng.choice([" - ", " – ", " ", ": "])
        return " ".join(words[1:]) + sep + words[0].lower()
    i = rng.randrange(len(words) - 1)
    words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def abbreviate(rng: random.Random, title: str) -> str:
    low = title.lower()
    for q, forms in QUARTER_WORDS.items():
        if q in title.split() and rng.random() < 0.6:
            return title.replace(q, rng.choice(forms[:2]))
    found = [w for w in ABBREVIATIONS if f" {w} " in f" {low} "]
    if not found:
        return title
    word = rng.choice(found)
    at = f" {low} ".index(f" {word} ")
    return title[:at] + rng.choice(ABBREVIATIONS[word]) + title[at + len(word):]


def qualify(rng: random.Random, title: str) -> str:
    if rng.random() < 0.35:
        return rng.choice(PREFIXES) + title
    return title + rng.choice(SUFFIXES)


def recase(rng: random.Random, title: str) -> str:
    return rng.choice([title.lower(), title.upper(), title.title(), title[0].lower() + title[1:]])


def articles(rng: random.Random, title: str) -> str:
    words = title.split()
    if "the" in words:
        words.remove("the")
        return " ".join(words)
    i = rng.randrange(1, len(words)) if len(words) > 1 else 0
    words.insert(i, rng.choice(["the", "a", "our"]))
    return " ".join(words)


def punctuate(rng: random.Random, title: str) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        return title + "."
    if choice == 1:
        return title.replace(" ", "  ", 1)
    if choice == 2:
        return strip_accents(title)
    return title.replace(":", " -").replace(" - ", ": ", 1) if (":" in title or " - " in title) else " " + title


def plural(rng: random.Random, title: str) -> str:
    words = title.split()
    i = rng.randrange(len(words))
    w = words[i]
    if not w.isalpha() or len(w) < 4:
        return title
    words[i] = w[:-1] if w.endswith("s") and not w.endswith("ss") else w + "s"
    return " ".join(words)


EDITS = [(typo, 5), (reorder, 3), (abbreviate, 4), (qualify, 4), (recase, 2), (articles, 2), (punctuate, 3),
         (plural, 1)]


def edited(rng: random.Random, title: str) -> str:
    """``title`` after one to three of the edits above, as someone else might type it."""
    funcs, weights = zip(*EDITS)
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        title = rng.choices(funcs, weights)[0](rng, title)
    return title
