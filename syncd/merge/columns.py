"""Column alignment: which column of one table is which column of the other, one-to-one.

Stages, each on the columns the earlier ones left unpaired:

1. exact name (duplicated names pair in order);
2. normalised name: casefold, accents, punctuation and spaces removed ("Due date" = "due-date");
3. fuzzy name: rapidfuzz ``ratio`` >= 85 on the normalised names, except when the names differ in a
   short or distinguishing word ("Probe B" / "Probe D", "Q3" / "Q4", "2024" / "2025");
4. content (once rows are aligned): the share of equal values over aligned rows where either side
   is non-empty is >= 0.6, with at least 3 such rows. Without any aligned rows, the overlap of the
   two columns' values (as multisets) is used instead.

Ambiguities in stages 3 and 4 are settled by an optimal one-to-one assignment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Sequence

import numpy as np
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from syncd.merge.values import is_distinguishing, normalise_name, normalise_text, value_key, words
from syncd.model import Table

NAME_SIMILARITY = 85.0
CONTENT_SHARE = 0.6
CONTENT_MIN_ROWS = 3
MAX_CONTENT_COLUMNS = 200


def _pair_equal(keys_a: Sequence[str], keys_b: Sequence[str], free_a: set[int], free_b: set[int],
                pairs: list[tuple[int, int]]) -> None:
    by_key: dict[str, list[int]] = defaultdict(list)
    for j in sorted(free_b):
        if keys_b[j]:
            by_key[keys_b[j]].append(j)
    for i in sorted(free_a):
        bucket = by_key.get(keys_a[i]) if keys_a[i] else None
        if bucket:
            j = bucket.pop(0)
            pairs.append((i, j))
            free_a.discard(i)
            free_b.discard(j)


def names_may_be_renamed(a: str, b: str) -> bool:
    """Whether two different names may be one column renamed or retyped (never when they differ
    in a word like "B"/"D", "Q3"/"Q4" or "2024"/"2025")."""
    wa, wb = Counter(words(a)), Counter(words(b))
    differing = (wa - wb) + (wb - wa)
    if any(len(w) <= 2 or is_distinguishing(w) for w in differing):
        return False
    return fuzz.ratio(normalise_text(a), normalise_text(b)) >= NAME_SIMILARITY


def _assign(score: np.ndarray, rows: list[int], cols: list[int], floor: float) -> list[tuple[int, int]]:
    if score.size == 0 or not (score >= floor).any():
        return []
    r, c = linear_sum_assignment(np.where(score >= floor, score, 0.0), maximize=True)
    return [(rows[x], cols[y]) for x, y in zip(r, c) if score[x, y] >= floor]


def match_columns_by_name(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Pairs ``(column of a, column of b)`` found by exact, normalised or fuzzy name."""
    pairs: list[tuple[int, int]] = []
    free_a, free_b = set(range(len(a))), set(range(len(b)))
    _pair_equal(list(a), list(b), free_a, free_b, pairs)
    _pair_equal([normalise_name(n) for n in a], [normalise_name(n) for n in b], free_a, free_b, pairs)
    if free_a and free_b and max(len(free_a), len(free_b)) <= MAX_CONTENT_COLUMNS:
        la, lb = sorted(free_a), sorted(free_b)
        score = np.array([[fuzz.ratio(normalise_text(a[i]), normalise_text(b[j]))
                           if names_may_be_renamed(a[i], b[j]) else 0.0 for j in lb] for i in la])
        pairs.extend(_assign(score, la, lb, NAME_SIMILARITY))
    pairs.sort()
    return pairs


def _codes(rows, col: int, codes: dict) -> np.ndarray:
    """Each row's value in ``col`` as an int (equal values, equal ints; empty cells -1)."""
    empty = value_key(None)
    out = np.empty(len(rows), dtype=np.int64)
    for n, r in enumerate(rows):
        k = value_key(r[col])
        out[n] = -1 if k == empty else codes.setdefault(k, len(codes))
    return out


def match_columns_by_content(a: Table, b: Table, free_a: Sequence[int], free_b: Sequence[int],
                             row_pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pairs among the unpaired columns whose values agree (see the module docstring).

    Beyond ``MAX_CONTENT_COLUMNS`` unpaired columns on a side the stage is skipped: such a sheet
    is not a copy of the other, and comparing every pair would take too long.
    """
    if not free_a or not free_b or max(len(free_a), len(free_b)) > MAX_CONTENT_COLUMNS:
        return []
    score = np.zeros((len(free_a), len(free_b)))
    codes: dict = {}
    if row_pairs:
        ra = [a.rows[i] for i, _ in row_pairs]
        rb = [b.rows[j] for _, j in row_pairs]
        cols_b = [_codes(rb, j, codes) for j in free_b]
        for x, i in enumerate(free_a):
            ca = _codes(ra, i, codes)
            for y, cb in enumerate(cols_b):
                filled = (ca >= 0) | (cb >= 0)
                n = int(filled.sum())
                if n >= CONTENT_MIN_ROWS:
                    score[x, y] = float(((ca == cb) & filled).sum()) / n
    else:
        bags_b = [Counter(_codes(b.rows, j, codes).tolist()) for j in free_b]
        for bag in bags_b:
            bag.pop(-1, None)
        for x, i in enumerate(free_a):
            bag_a = Counter(_codes(a.rows, i, codes).tolist())
            bag_a.pop(-1, None)
            for y, bag_b in enumerate(bags_b):
                common = sum((bag_a & bag_b).values())
                if common >= CONTENT_MIN_ROWS:
                    score[x, y] = common / sum((bag_a | bag_b).values())
    return _assign(score, list(free_a), list(free_b), CONTENT_SHARE)
