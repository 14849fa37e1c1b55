"""Guards: the tokens that make two similar titles two different tasks.

"Q3 budget review" and "Q4 budget review" share every word but one, and that one says *which*
review. A guard fires when both titles name a quarter (half, month, year, version, number) and they
name different ones; the pair is then never a duplicate, whatever else agrees. A token on one side
only is not a guard: "Draft the Q3 newsletter (v2)" is the same task as "Draft Q3 newsletter" —
the "(v2)" says which draft, not which newsletter.

Periods of different kinds are checked against each other too: "Q3 newsletter" and "September
newsletter" may be one task, "Q3 newsletter" and "November newsletter" are not.

The action is a guard as well: a task is something to *do*, and "Review the Diwali ads" and "Pause
the Diwali ads" are two things to do. A title's action is its first word when that is a verb, else its
last ("Diwali ads - review"); when both titles have one and the two are not synonyms ("draft"/"write",
"book"/"reserve", "host"/"run"), they are different tasks. A title without one never trips it.
"""

from __future__ import annotations

from syncd.merge.dupes.text import FEATURE_KINDS, MONTH_ORDER, Title
from syncd.merge.dupes.verbs import UNKNOWN, VERBS

def action_guard(a: Title, b: Title) -> str | None:
    """Why ``a`` and ``b`` name different actions (``"different action (Review / Pause)"``), or ``None``.

    Confident only when both titles start with a verb; a title that does not is judged by its last
    word, and only when the other's verb appears nowhere in it (so "t-shirts order for Brand
    Refresh" is not taken for a "refresh"). A mistyped first verb ("Reocrd") stops the guard."""
    fa, fb = a.first_verb, b.first_verb
    if fa == UNKNOWN or fb == UNKNOWN:
        return None
    if fa and fb:
        va, vb = fa, fb
    elif fa and b.last_verb and fa not in b.words:
        va, vb = fa, b.last_verb
    elif fb and a.last_verb and fb not in a.words:
        va, vb = a.last_verb, fb
    else:
        return None
    if VERBS[va] & VERBS[vb]:
        return None
    return f"different action ({a.show(va).capitalize()} / {b.show(vb).capitalize()})"


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
