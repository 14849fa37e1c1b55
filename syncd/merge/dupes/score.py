"""The duplicate score of two rows (0..1) and a person's explanation of it.

Titles (and any main text of the kind "title") are compared twice and the two figures averaged:

* word overlap weighted by rarity: each word counts by its inverse document frequency in the table
  (a word on every other row, "review", says less than "Oktoberfest"); words that differ by a typo
  or an abbreviation ("newsleter", "prod"/"product") count as nearly equal; qualifiers ("draft",
  "urgent") count a third;
* characters: rapidfuzz ``ratio`` of the sorted words, which forgives typos inside words and words
  split or joined differently.

A guard (``guards``) sets the score to 0. In a tracker the other columns then nudge the score: the
same campaign or channel adds a little, a different campaign takes off a lot (another campaign is
another task), a different owner or due date takes off a little (two people entering the same task
is exactly the case to catch). In a generic record every compared column counts alike: the score is
the weighted mean of the column similarities over the columns both rows fill.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from rapidfuzz import fuzz

from syncd.merge.dupes.fields import Field, Plan, normalise_value, similarity
from syncd.merge.dupes.guards import guard
from syncd.merge.dupes.text import Title
from syncd.model import Table, Value

QUALIFIER_WEIGHT = 0.3
#: (bonus when equal, penalty when different) for the tracker columns.
ROLE_NUDGE = {"campaign": (0.04, 0.25), "channel": (0.03, 0.08), "owner": (0.02, 0.03), "due": (0.02, 0.03),
              "other": (0.02, 0.05)}
#: The main text's weight in a generic record, relative to one other column.
MAIN_WEIGHT = 1.5


@dataclass(frozen=True, slots=True)
class PairScore:
    """One pair of rows (indices into the table, ``a < b``), its score and why."""

    a: int
    b: int
    score: float
    why: str
    guard: str | None = None


def _memo_column(kind: str, values: Sequence[Value]) -> list[object | None]:
    seen: dict = {}
    out = []
    for v in values:
        k = (type(v), v)
        got = seen.get(k, seen)
        if got is seen:
            got = seen[k] = normalise_value(kind, v)
        out.append(got)
    return out


class Prepared:
    """A table made ready for scoring: every compared cell normalised once, word weights counted."""

    def __init__(self, table: Table, plan: Plan) -> None:
        self.table = table
        self.plan = plan
        self.values: list[list[object | None]] = [
            _memo_column(f.kind, [row[f.index] for row in table.rows]) for f in plan.fields
        ]
        self.main = self.values[0]
        self.title_main = plan.main.kind == "title"
        df: Counter[str] = Counter()
        if self.title_main:
            for t in self.main:
                if t is not None:
                    df.update(set(t.words))
        n = max(len(table), 1)
        self.idf = {w: math.log((n + 1) / (c + 0.5)) + 0.5 for w, c in df.items()}
        self.default_idf = math.log((n + 1) / 1.5) + 0.5

    def main_key(self, i: int) -> str:
        """The text blocking and the vectorised pre-filter compare for row ``i`` ('' when empty)."""
        v = self.main[i]
        if v is None:
            return ""
        if isinstance(v, Title):
            return v.key or " ".join(sorted(v.words))
        if isinstance(v, tuple):
            return " ".join(sorted(v))
        return getattr(v, "key", None) or str(v)

    def words(self, i: int) -> tuple[str, ...]:
        """Row ``i``'s blocking words (content words of its main text, qualifiers left out)."""
        v = self.main[i]
        if isinstance(v, Title):
            return tuple(dict.fromkeys(w for w in v.words if w not in v.qualifiers))
        if isinstance(v, tuple):
            return tuple(dict.fromkeys(t for t in v if len(t) > 1))
        if v is None:
            return ()
        return tuple(sorted(getattr(v, "words", ()) or (str(v),)))

    # -- titles -------------------------------------------------------------------------------

    def _weight(self, title: Title, w: str) -> float:
        base = self.idf.get(w, self.default_idf)
        return base * QUALIFIER_WEIGHT if w in title.qualifiers else base

    def title_similarity(self, a: Title, b: Title) -> float:
        wa = {w: self._weight(a, w) for w in a.words}
        wb = {w: self._weight(b, w) for w in b.words}
        total = sum(wa.values()) + sum(wb.values())
        if not total:
            return 1.0 if not a.words and not b.words else 0.0
        matched = 0.0
        left_a = [w for w in wa if w not in wb]
        left_b = [w for w in wb if w not in wa]
        for w in wa.keys() & wb.keys():
            matched += wa[w] + wb[w]
        if left_a and left_b:
            candidates = []
            for x in left_a:
                for y in left_b:
                    s = _word_similarity(x, y)
                    if s:
                        candidates.append((s, x, y))
            used_a: set[str] = set()
            used_b: set[str] = set()
            for s, x, y in sorted(candidates, reverse=True):
                if x not in used_a and y not in used_b:
                    used_a.add(x)
                    used_b.add(y)
                    matched += s * (wa[x] + wb[y])
        overlap = matched / total
        chars = fuzz.ratio(a.key, b.key) / 100 if (a.key or b.key) else 1.0
        return 0.5 * overlap + 0.5 * chars

    def main_similarity(self, i: int, j: int) -> tuple[float, str | None]:
        a, b = self.main[i], self.main[j]
        if a is None or b is None:
            return (1.0 if a is None and b is None else 0.0), None
        if isinstance(a, Title) and isinstance(b, Title):
            why = guard(a, b)
            if why is not None:
                return 0.0, why
            return self.title_similarity(a, b), None
        return similarity(self.plan.main.kind, a, b), None

    # -- rows ---------------------------------------------------------------------------------

    def score(self, i: int, j: int) -> PairScore:
        """The duplicate score of rows ``i`` and ``j`` with its explanation."""
        main, why_not = self.main_similarity(i, j)
        name = self.plan.main.name
        if why_not is not None:
            return PairScore(min(i, j), max(i, j), 0.0, f"{name}: {why_not}", why_not)
        agree, differ = [], []
        sims: list[tuple[Field, float]] = []
        for n, f in enumerate(self.plan.others, 1):
            x, y = self.values[n][i], self.values[n][j]
            if x is None or y is None:
                continue
            s = similarity(f.kind, x, y)
            sims.append((f, s))
            (agree if s >= 0.8 else differ).append(f.name)
        if self.plan.tracker:
            total = main
            for f, s in sims:
                bonus, penalty = ROLE_NUDGE.get(f.role, ROLE_NUDGE["other"])
                total += bonus * s - penalty * (1 - s)
        else:
            weight = MAIN_WEIGHT + sum(f.weight for f, _ in sims)
            total = (MAIN_WEIGHT * main + sum(f.weight * s for f, s in sims)) / weight
        total = min(1.0, max(0.0, total))
        parts = [f"{name} {'the same' if main >= 0.999 else 'alike'} ({main:.2f})"]
        if agree:
            parts.append("same " + ", ".join(agree))
        if differ:
            parts.append("different " + ", ".join(differ))
        return PairScore(min(i, j), max(i, j), round(total, 4), "; ".join(parts))


def _word_similarity(x: str, y: str) -> float:
    """Two different words that are probably one word retyped: a typo, or a short form of it."""
    if x[0].isdigit() or y[0].isdigit():
        return 0.0  # numbers are equal or different, never alike
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if len(short) >= 3 and long.startswith(short) and len(short) * 2 >= len(long) - 1:
        return 0.85
    if len(short) >= 4:
        r = fuzz.ratio(x, y, score_cutoff=80)
        if r:
            return r / 100
    return 0.0
