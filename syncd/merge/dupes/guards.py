"""Guards: the tokens that make two similar titles two different tasks.

"Q3 budget review" and "Q4 budget review" share every word but one, and that one says *which*
review. A guard fires when both titles name a quarter (half, month, year, version, number) and they
name different ones; the pair is then never a duplicate, whatever else agrees. A token on one side
only is not a guard: "Draft the Q3 newsletter (v2)" is the same task as "Draft Q3 newsletter" —
the "(v2)" says which draft, not which newsletter.

Periods of different kinds are checked against each other too: "Q3 newsletter" and "September
newsletter" may be one task, "Q3 newsletter" and "November newsletter" are not.

The action is a guard as well: a task is something to *do*, and "Review the Diwali ads" and "Pause
the Diwali ads" are two things to do. When both titles name an action verb and no verb of one is a
synonym of a verb of the other ("draft"/"write", "book"/"reserve", "host"/"run"), they are different
tasks. A title with no known verb ("Diwali ads") never trips this guard.
"""

from __future__ import annotations

from syncd.merge.dupes.text import FEATURE_KINDS, MONTH_ORDER, Title

#: Groups of verbs that name the same action (stemmed as ``text.stem`` does). A verb may sit in
#: several groups: "create" is "make" and is "design", but "design" is not "build".
SYNONYMS = (
    ("write", "draft", "compose", "author", "prepare"), ("create", "make", "produce", "design"),
    ("create", "make", "build", "develop"), ("book", "reserve"), ("shoot", "take", "film", "photograph"),
    ("host", "run", "hold", "organiz", "organis"), ("send", "email", "mail", "distribute", "circulate"),
    ("review", "check", "proofread", "audit", "go"), ("plan", "organiz", "organis", "prepare"),
    ("update", "refresh", "revise", "edit", "change", "modify"), ("analyz", "analys", "evaluate", "assess"),
    ("publish", "post", "release", "launch", "go"), ("approve", "sign"), ("order", "buy", "purchase", "get"),
    ("pay", "settle"), ("schedule", "plan", "book"), ("cancel", "stop", "pause", "end"),
    ("call", "phone", "ring"), ("hire", "recruit"), ("fix", "repair"), ("select", "choose", "pick"),
    ("test", "try", "trial"), ("translate", "localiz", "localis"), ("present", "pitch", "demo"),
    ("research", "investigate", "explore", "study"), ("promote", "advertis", "advertiz", "market"),
    ("record", "film", "tape"), ("renew", "extend"), ("brief", "inform"), ("visit", "see", "inspect"),
    ("invite", "ask"), ("archive", "file"), ("clean", "tidy"), ("finaliz", "finalis", "finish", "complete"),
)
VERBS: dict[str, frozenset[int]] = {}
for _n, _group in enumerate(SYNONYMS):
    for _verb in _group:
        VERBS[_verb] = VERBS.get(_verb, frozenset()) | {_n}


def _verbs(title: Title) -> list[str]:
    return [w for w in title.words if w in VERBS and w not in title.qualifiers]


def action_guard(a: Title, b: Title) -> str | None:
    """Why ``a`` and ``b`` name different actions (``"different action (Review / Pause)"``), or ``None``."""
    va, vb = _verbs(a), _verbs(b)
    if not va or not vb:
        return None
    ga = frozenset().union(*(VERBS[v] for v in va))
    gb = frozenset().union(*(VERBS[v] for v in vb))
    if ga & gb:
        return None
    return f"different action ({'/'.join(dict.fromkeys(va)).capitalize()} / {'/'.join(dict.fromkeys(vb)).capitalize()})"


_LABELS = {
    "quarter": "quarter", "half": "half-year", "month": "month", "year": "year", "version": "version",
    "number": "number",
}
_QUARTER, _HALF, _MONTH = (FEATURE_KINDS.index(k) for k in ("quarter", "half", "month"))


def _show(tokens: frozenset[str]) -> str:
    return "/".join(sorted(t.upper() if t[0] in "qhv" and t[1:].isdigit() else t.capitalize() if t.isalpha() else t
                           for t in tokens))


def _months_of(title: Title) -> set[int] | None:
    """Months the title's quarter/half/month tokens cover (``None`` when it names no period)."""
    covered: set[int] | None = None
    for kind, tokens in ((_QUARTER, title.features[_QUARTER]), (_HALF, title.features[_HALF]),
                         (_MONTH, title.features[_MONTH])):
        if not tokens:
            continue
        months: set[int] = set()
        for t in tokens:
            if kind == _QUARTER:
                q = int(t[1])
                months |= {3 * q - 2, 3 * q - 1, 3 * q}
            elif kind == _HALF:
                h = int(t[1])
                months |= set(range(6 * h - 5, 6 * h + 1))
            else:
                months.add(MONTH_ORDER.index(t) + 1)
        covered = months if covered is None else covered & months
    return covered


def guard(a: Title, b: Title) -> str | None:
    """Why ``a`` and ``b`` are different tasks (``"different quarter (Q3 / Q4)"``), or ``None``."""
    for k, kind in enumerate(FEATURE_KINDS):
        fa, fb = a.features[k], b.features[k]
        if fa and fb and fa != fb:
            return f"different {_LABELS[kind]} ({_show(fa)} / {_show(fb)})"
    ma, mb = _months_of(a), _months_of(b)
    if ma is not None and mb is not None and not ma & mb:
        return "different period"
    return action_guard(a, b)
