"""A task's action: the verb it starts with ("Review the ads") or ends with ("ads - review").

Two tasks that do different things to the same object are different tasks; synonyms ("draft" /
"write", "book" / "reserve") are one action. Only verbs are listed that start a task title far more
often as a verb than as a noun.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from syncd.merge.dupes.stem import stem

#: Groups of verbs that name the same action. A verb may sit in several groups: "create" is
#: "make" and is "design", but "design" is not "build". Words that start a title as a noun as often
#: as a verb ("email", "post", "plan", "test", "release") are left out.
SYNONYMS = (
    ("write", "draft", "compose", "author", "prepare", "redraft"), ("create", "make", "produce", "design"),
    ("create", "make", "build", "develop"), ("book", "reserve"), ("shoot", "take", "photograph"),
    ("host", "run", "hold", "organize", "organise"), ("send", "distribute", "circulate", "mail"),
    ("review", "check", "proofread", "audit", "proof"), ("organize", "organise", "prepare", "arrange"),
    ("update", "refresh", "revise", "edit", "change", "modify", "amend"), ("analyze", "analyse", "evaluate", "assess"),
    ("publish", "launch", "announce"), ("approve", "sign", "authorize", "authorise"),
    ("order", "buy", "purchase"), ("pay", "settle"), ("schedule", "book", "arrange"),
    ("cancel", "stop", "pause", "end", "suspend"), ("call", "phone", "ring"), ("hire", "recruit"), ("fix", "repair"),
    ("select", "choose", "pick", "shortlist"), ("translate", "localize", "localise"), ("present", "pitch"),
    ("research", "investigate", "explore"), ("promote", "advertise", "advertize"), ("record", "tape", "film"),
    ("renew", "extend"), ("brief", "inform"), ("visit", "inspect"), ("invite",), ("archive",), ("clean", "tidy"),
    ("finalize", "finalise", "finish", "complete", "wrap"), ("collect", "gather"), ("upload",), ("download",),
    ("print",), ("ship", "deliver", "dispatch"), ("interview",), ("train", "coach"), ("onboard",), ("install",),
    ("migrate", "move"), ("delete", "remove"), ("follow",), ("contact", "reach", "email"),
)
VERBS: dict[str, frozenset[int]] = {}
for _n, _group in enumerate(SYNONYMS):
    for _verb in _group:
        VERBS[stem(_verb)] = VERBS.get(stem(_verb), frozenset()) | {_n}


_VERB_LIST = sorted(VERBS)
#: marks a first word that is a verb mistyped ("Reocrd", "Visti"): an action, but not a known one
UNKNOWN = "?"


@lru_cache(maxsize=1 << 14)
def _mistyped_verb(word: str) -> bool:
    if len(word) < 4 or not word.isalpha():
        return False
    return process.extractOne(word, _VERB_LIST, scorer=OSA.distance, score_cutoff=1) is not None


def actions(words: list[str], numbers_and_periods: set[str], qualifiers: set[str]) -> tuple[str | None, str | None]:
    """(first, last): the verb ``words`` start with (``UNKNOWN`` for a mistyped one) and the verb
    they end with; ``None`` for none. Numbers and periods are passed over, and so are qualifiers,
    except that a title may start with one that is a verb ("Draft the Q3 newsletter")."""
    content = [w for w in words if w not in numbers_and_periods and not w[0].isdigit()]
    head = next((w for w in content if w not in qualifiers or w in VERBS), None)
    if head is None:
        return None, None
    first = head if head in VERBS else UNKNOWN if _mistyped_verb(head) else None
    tail = [w for w in content if w not in qualifiers]
    last = tail[-1] if len(tail) > 1 and tail[-1] in VERBS else None
    return first, last
