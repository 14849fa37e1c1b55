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
from itertools import chain
from operator import attrgetter
from typing import Callable, Iterator, Sequence

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from syncd.merge.dupes.fields import Field, Plan, normalise_value, similarity
from syncd.merge.dupes.guards import guard
from syncd.merge.dupes.text import Title
from syncd.model import Table, Value

QUALIFIER_WEIGHT = 0.3
#: (bonus when equal, penalty when different) for the tracker columns.
ROLE_NUDGE = {"campaign": (0.04, 0.25), "channel": (0.03, 0.08), "owner": (0.02, 0.03), "due": (0.02, 0.03),
              "other": (0.02, 0.05)}
#: Tracker columns whose values are names: alike only when retyped, else simply different.
NAMED_ROLES = frozenset({"campaign", "channel"})
#: The most (least) the other columns of a tracker can add to (take from) the title's similarity.
MAX_NUDGE = sum(bonus for role, (bonus, _) in ROLE_NUDGE.items() if role != "other")
MAX_PENALTY = sum(penalty for role, (_, penalty) in ROLE_NUDGE.items() if role != "other")
#: The main text's weight in a generic record, relative to one other column.
MAIN_WEIGHT = 1.5
#: Kinds of value that single out one record, and what a flat mismatch in one costs.
IDENTIFYING = frozenset({"phone", "email", "date", "number"})
IDENTIFYING_MISMATCH = 0.1


@dataclass(frozen=True, slots=True)
class PairScore:
    """One pair of rows (indices into the table, ``a < b``), its score and why (``why`` may be empty
    for pairs scored in bulk: ``Prepared.explain`` fills it in)."""

    a: int
    b: int
    score: float
    why: str = ""
    guard: str | None = None


#: How a batch of independent pure computations is run: ``mapper(fn, items)`` returns ``fn(items)``
#: (a list, in order), however it splits the work. The caller decides (``syncd.core.workers`` uses a
#: second core); this package only ever computes.
Mapper = Callable[[Callable[[Sequence], list], Sequence], list]


def in_order(fn: Callable[[Sequence], list], items: Sequence) -> list:
    return fn(items)


#: Normalised cells kept between searches in one process (the daemon, a batch of syncs): the next
#: search of the same tracker only parses the titles that are new. Emptied when it grows past this.
MEMO_LIMIT = 250_000
#: (kind, type of the value) -> value -> normalised. By type, since 1, 1.0 and True are equal and
#: normalise differently; then by the value itself, whose hash a text keeps (a (kind, type, text)
#: key is hashed anew at every look: 0.05 s per 100,000 cells, each time).
_memo: dict[tuple[str, type], dict] = {}


def _memo_size() -> int:
    return sum(map(len, _memo.values()))


def _distinct_by_type(values: Sequence[Value]) -> dict[type, list]:
    """The distinct non-empty-typed ``values`` (None left out: it normalises to None), by type."""
    types = set(map(type, values))
    types.discard(type(None))
    if len(types) == 1:  # the usual column: text (and empty cells)
        distinct = dict.fromkeys(values)
        distinct.pop(None, None)
        return {types.pop(): list(distinct)}
    return {t: list(dict.fromkeys(v for v in values if type(v) is t)) for t in types}


def _memo_column(kind: str, values: Sequence[Value], mapper: Mapper = in_order) -> list[object | None]:
    # each distinct value is normalised once (owners, campaigns, retyped titles repeat); the new ones
    # in one batch, for ``mapper`` to spread
    by_type = _distinct_by_type(values)
    new = [(t, v) for t, distinct in by_type.items() for v in distinct if v not in _memo.get((kind, t), ())]
    if _memo_size() + len(new) > MEMO_LIMIT:
        _memo.clear()
        new = [(t, v) for t, distinct in by_type.items() for v in distinct]
    for (t, v), got in zip(new, mapper(lambda chunk: [normalise_value(kind, v) for _, v in chunk], new)):
        _memo.setdefault((kind, t), {})[v] = got
    if len(by_type) <= 1:
        t = next(iter(by_type), str)
        return list(map(_memo.get((kind, t), {}).get, values))  # None for None: it is empty
    memos = {t: _memo[(kind, t)] for t in by_type}
    return [None if v is None else memos[type(v)][v] for v in values]


def warm_column(kind: str, values: Sequence[Value], chunk: int) -> Iterator[int]:
    """Normalise ahead, into the memo ``_memo_column`` reads, the distinct ``values`` it lacks,
    ``chunk`` at a time: yields after each chunk (how many it did), and 0 once it has found them,
    so a caller with a core to spare does the work in slices it can stop between. Leaves the memo
    alone when they would not fit in it (the search would empty it and parse everything anyway)."""
    new = [(t, v) for t, distinct in _distinct_by_type(values).items()
           for v in distinct if v not in _memo.get((kind, t), ())]
    if _memo_size() + len(new) > MEMO_LIMIT:
        return
    yield 0
    for start in range(0, len(new), chunk):
        part = new[start:start + chunk]
        for t, v in part:
            _memo.setdefault((kind, t), {})[v] = normalise_value(kind, v)
        yield len(part)


def remembered_texts(kind: str, values: Sequence[Value]) -> dict[str, object]:
    """The texts among ``values`` already normalised in this process, with what they became (for a
    caller to keep them beyond it: ``remember_texts`` puts them back)."""
    memo = _memo.get((kind, str), {})
    return {v: memo[v] for v in dict.fromkeys(values) if type(v) is str and v in memo}


def remember_texts(kind: str, normalised: dict[str, object]) -> int:
    """Put texts normalised earlier (``remembered_texts``, of this same code) back in the memo, so
    a search parses only the others; how many were taken (0, and the memo left alone, when they
    would not fit in it)."""
    memo = _memo.setdefault((kind, str), {})
    if _memo_size() + len(normalised) > MEMO_LIMIT:
        return 0
    memo.update(normalised)
    return len(normalised)


_CONTENT, _QUALIFIERS = attrgetter("content"), attrgetter("qualifiers")


class Prepared:
    """A table made ready for scoring: every compared cell normalised once, word weights counted."""

    def __init__(self, table: Table, plan: Plan, mapper: Mapper = in_order) -> None:
        self.table = table
        self.plan = plan
        self.values: list[list[object | None]] = [
            _memo_column(f.kind, [row[f.index] for row in table.rows], mapper) for f in plan.fields
        ]
        self.main = self.values[0]
        self.title_main = plan.main.kind == "title"
        df: Counter[str] = Counter()
        if self.title_main:
            # How many titles hold each word, counted in C (a title counts a word once). A title's
            # distinct words are its content words, each once, and its qualifiers: the two never
            # share a word (``parse_title``), so no set is made per title (0.04 s on 100,000).
            titles = list(filter(None, self.main))
            df = Counter(chain.from_iterable(map(_CONTENT, titles)))
            df.update(chain.from_iterable(map(_QUALIFIERS, titles)))
        n = max(len(table), 1)
        self.idf = {w: math.log((n + 1) / (c + 0.5)) + 0.5 for w, c in df.items()}
        self.default_idf = math.log((n + 1) / 1.5) + 0.5
        if self.title_main:  # every value a Title or None: no type to tell apart per row
            self.keys = ["" if v is None else v.key for v in self.main]
        else:
            self.keys = [self._key(v) for v in self.main]
        # titles repeat (one parse per distinct text, shared by the rows): per title, worked out once
        self._weights: dict[int, tuple[dict[str, float], float, str]] = {}
        self._word_sims: dict[tuple[str, str], float] = {}
        self._value_sims: dict[tuple[int, object, object], float] = {}

    def _key(self, v: object | None) -> str:
        if v is None:
            return ""
        if isinstance(v, Title):
            return v.key  # worked out as it was parsed (empty only for a title without words)
        if isinstance(v, tuple):
            return " ".join(sorted(v))
        return getattr(v, "key", None) or str(v)

    def main_key(self, i: int) -> str:
        """The text blocking and the vectorised pre-filter compare for row ``i`` ('' when empty)."""
        return self.keys[i]

    def words(self, i: int) -> tuple[str, ...]:
        """Row ``i``'s blocking words (content words of its main text, qualifiers left out)."""
        v = self.main[i]
        if isinstance(v, Title):
            return v.content
        if isinstance(v, tuple):
            return tuple(dict.fromkeys(t for t in v if len(t) > 1))
        if v is None:
            return ()
        return tuple(sorted(getattr(v, "words", ()) or (str(v),)))

    def all_words(self) -> list[tuple[str, ...]]:
        """``words(i)`` of every row, in order."""
        if self.title_main:
            return [() if t is None else t.content for t in self.main]
        return [self.words(i) for i in range(len(self.main))]

    # -- titles -------------------------------------------------------------------------------

    def _info(self, title: Title) -> tuple[dict[str, float], float, str]:
        """(word -> weight, total weight, sorted key) of a title, computed once per distinct title."""
        got = self._weights.get(id(title))
        if got is None:
            weights = {}
            for w in title.words:
                base = self.idf.get(w, self.default_idf)
                weights[w] = base * QUALIFIER_WEIGHT if w in title.qualifiers else base
            got = (weights, sum(weights.values()), title.key)
            self._weights[id(title)] = got  # titles live as long as self.values: ids stay unique
        return got

    def _word_similarity(self, x: str, y: str) -> float:
        key = (x, y) if x < y else (y, x)
        got = self._word_sims.get(key)
        if got is None:
            got = self._word_sims[key] = _word_similarity(x, y)
        return got

    def title_similarity(self, a: Title, b: Title, floor: float | None = None) -> float:
        """Similarity of two titles (no guard), 0..1: see the module docstring. With ``floor``, a
        pair that cannot reach it gets a lower bound instead (the retyped-word search is skipped)."""
        wa, total_a, key_a = self._info(a)
        wb, total_b, key_b = self._info(b)
        total = total_a + total_b
        if not total:
            return 1.0 if not a.words and not b.words else 0.0
        chars = fuzz.ratio(key_a, key_b) / 100 if (key_a or key_b) else 1.0
        matched = 0.0
        left_a, left_b = [], []
        for w, weight in wa.items():
            if w in wb:
                matched += weight + wb[w]
            else:
                left_a.append(w)
        if left_a:
            left_b = [w for w in wb if w not in wa]
        if floor is not None and left_a and left_b:
            possible = 0.9 * (sum(wa[w] for w in left_a) + sum(wb[w] for w in left_b))
            if 0.5 * (matched + possible) / total + 0.5 * chars < floor:
                return 0.5 * matched / total + 0.5 * chars
        if left_a and left_b:
            candidates = []
            for x in left_a:
                for y in left_b:
                    sim = self._word_similarity(x, y)
                    if sim:
                        candidates.append((sim, x, y))
            if candidates:
                used: set[str] = set()
                for sim, x, y in sorted(candidates, reverse=True):
                    if x not in used and y not in used:
                        used.add(x)
                        used.add(y)
                        matched += sim * (wa[x] + wb[y])
        return 0.5 * matched / total + 0.5 * chars

    def main_similarity(self, i: int, j: int, floor: float | None = None) -> tuple[float, str | None]:
        """(similarity of the two rows' main texts, the guard that fired or ``None``); see
        ``title_similarity`` for ``floor``."""
        a, b = self.main[i], self.main[j]
        if a is None or b is None:
            return 0.0, None  # a row without its main text is not recognisably any task
        if isinstance(a, Title) and isinstance(b, Title):
            why = guard(a, b) if (a.features != b.features or a.first_verb != b.first_verb
                                  or a.last_verb != b.last_verb) else None
            if why is not None:
                return 0.0, why
            return self.title_similarity(a, b, floor), None
        return similarity(self.plan.main.kind, a, b), None

    # -- rows ---------------------------------------------------------------------------------

    def _others(self, i: int, j: int) -> list[tuple[Field, float]]:
        sims = []
        for n, f in enumerate(self.plan.others, 1):
            x, y = self.values[n][i], self.values[n][j]
            if x is not None and y is not None:
                key = (n, x, y)
                s = self._value_sims.get(key)
                if s is None:
                    s = self._value_sims[key] = similarity(f.kind, x, y)  # owners, campaigns repeat
                if f.role in NAMED_ROLES and s < 0.8:
                    s = 0.0  # "Spring Sale" and "Partner Summit" share letters, not a campaign
                sims.append((f, s))
        return sims

    def _combine(self, main: float, sims: list[tuple[Field, float]]) -> float:
        if self.plan.tracker:
            total = main
            for f, s in sims:
                bonus, penalty = ROLE_NUDGE.get(f.role, ROLE_NUDGE["other"])
                total += bonus * s - penalty * (1 - s)
        else:
            weight = MAIN_WEIGHT + sum(f.weight for f, _ in sims)
            total = (MAIN_WEIGHT * main + sum(f.weight * s for f, s in sims)) / weight
            # a date of birth, phone or e-mail that does not match at all is another person
            total -= IDENTIFYING_MISMATCH * sum(1 for f, s in sims if s == 0 and f.kind in IDENTIFYING)
        return round(min(1.0, max(0.0, total)), 4)

    def score(self, i: int, j: int, floor: float | None = None) -> PairScore:
        """The duplicate score of rows ``i`` and ``j`` (``why`` left empty: see ``explain``).

        With ``floor`` (bulk scoring) a tracker pair whose title alone shows it cannot reach the
        floor, whatever its other columns say, gets a cheaper lower bound as its score."""
        title_floor = floor - MAX_NUDGE if floor is not None and self.plan.tracker else None
        main, guard_text = self.main_similarity(i, j, title_floor)
        if guard_text is not None:
            return PairScore(min(i, j), max(i, j), 0.0, "", guard_text)
        if title_floor is not None and main < title_floor:
            return PairScore(min(i, j), max(i, j), round(max(0.0, main - MAX_PENALTY), 4))
        return PairScore(min(i, j), max(i, j), self._combine(main, self._others(i, j)))

    def explain(self, i: int, j: int) -> PairScore:
        """``score`` with ``why`` filled in for a person: which columns agreed, which guard fired."""
        main, guard_text = self.main_similarity(i, j)
        name = self.plan.main.name
        if guard_text is not None:
            return PairScore(min(i, j), max(i, j), 0.0, f"{name}: {guard_text}", guard_text)
        sims = self._others(i, j)
        agree = [f.name for f, s in sims if s >= 0.8]
        differ = [f.name for f, s in sims if s < 0.8]
        parts = [f"{name} {'the same' if main >= 0.999 else 'alike'} ({main:.2f})"]
        if agree:
            parts.append("same " + ", ".join(agree))
        if differ:
            parts.append("different " + ", ".join(differ))
        return PairScore(min(i, j), max(i, j), self._combine(main, sims), "; ".join(parts))


def _word_similarity(x: str, y: str) -> float:
    """Two different words that are probably one word retyped: a slip of the finger ("perss",
    "guode", "wrie"), or a short form of it ("prod"/"product")."""
    if x[0].isdigit() or y[0].isdigit():
        return 0.0  # numbers are equal or different, never alike
    short, long = (x, y) if len(x) <= len(y) else (y, x)
    if len(short) >= 3 and long.startswith(short) and len(short) * 2 >= len(long) - 1:
        return 0.85
    if len(short) >= 4:
        edits = OSA.distance(x, y, score_cutoff=2)
        if edits == 1 or (edits == 2 and len(short) >= 7):
            return 0.9 if edits == 1 else 0.8
        r = fuzz.ratio(x, y, score_cutoff=80)
        if r:
            return r / 100
    return 0.0
