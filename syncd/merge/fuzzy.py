"""Fuzzy row matching: which leftover rows of two tables are the same task, retyped.

Similarity of two rows is a number in [0, 1]:

* with a title column: ``0.65 * title + 0.35 * others``, where ``title`` is rapidfuzz's
  ``token_sort_ratio`` of the normalised titles (casefolded, accents and punctuation removed) and
  ``others`` the mean over the other common columns of 1 for equal cells, rapidfuzz ``ratio`` for two
  differing texts, else 0. The title weighs more than half, so a row whose title is unchanged but
  whose other cell changed ("four", 4 vs "four", 999) still matches, and a retyped title with the
  other cells unchanged matches too.
* without one: the mean over all common columns.
* Guard: when both titles carry numbers, versions, quarters, years or months and those differ
  ("Q3 budget review" / "Q4 budget review", "Newsletter #12" / "#13") the similarity is 0.

Pairs at or above the threshold are assigned one-to-one by ``scipy.optimize.linear_sum_assignment``
maximising total similarity (a tiny bonus for similar relative position breaks ties, so duplicate
rows pair in order). Scores are computed as whole matrices with ``rapidfuzz.process.cdist`` and
numpy; above ``BLOCK`` rows per side, rows are sorted by their normalised text and compared only
within blocks of that size (a retyped first letter may then miss its partner: it becomes an
add + delete, and the deleted values are archived, never lost).
"""

from __future__ import annotations

import bisect
from collections import Counter
from itertools import compress, repeat
from operator import itemgetter, mul
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rapidfuzz import fuzz, process
from scipy.optimize import linear_sum_assignment

from syncd.merge.values import (
    distinguishing_signature,
    is_empty,
    normalise_name,
    normalise_text,
    value_key,
    value_text,
)
from syncd.model import Table, Value

TITLE_WEIGHT = 0.65
#: Rows per side compared as one dense block (3000 x 3000 title scores take ~0.4 s on one core).
BLOCK = 3000
_TIE_BONUS = 1e-4
#: Text beyond this length is not compared (a pasted novel in a cell must not stall the merge).
FUZZY_CHARS = 500

Row = Sequence[Value]


#: The first character of anything ``float()`` accepts (a sign, a digit, a point, inf or nan).
_NUMBER_START = frozenset("+-.0123456789iInN")


def _looks_numeric(text: str) -> bool:
    if len(text) > 64 or text.lstrip()[:1] not in _NUMBER_START:
        return False
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _memo(fn):
    """A per-call cache: sheets repeat the same few values (statuses, owners) thousands of times."""
    seen: dict = {}

    def call(text):
        out = seen.get(text)
        if out is None:
            out = seen[text] = fn(text)
        return out
    return call


_CUT = itemgetter(slice(0, FUZZY_CHARS))
_FIRST = itemgetter(slice(0, 1))


def _text_counts(counts: Counter) -> tuple[int, int, int]:
    """(filled cells, cells of text typed as text, their characters up to ``FUZZY_CHARS`` each) of
    a column's value counts. Text columns are counted with maps that run in C."""
    keys = list(counts)
    if set(map(type, keys)) <= {str, type(None)}:
        ns = [counts[k] for k in keys]
        stripped = [k.strip() if k is not None else "" for k in keys]
        lengths = list(map(len, stripped))
        filled = sum(compress(ns, lengths))
        wordy, chars = filled, sum(map(mul, ns, map(min, lengths, repeat(FUZZY_CHARS))))
        # Text typed as text: numbers, dates and numbers stored as text are never a title.
        starts = _NUMBER_START
        for k in [k for k, first in enumerate(map(_FIRST, stripped)) if first in starts]:
            if _looks_numeric(keys[k]):
                wordy -= ns[k]
                chars -= ns[k] * min(lengths[k], FUZZY_CHARS)
        return filled, wordy, chars
    filled = wordy = chars = 0
    for value, n in counts.items():
        if value is None:
            continue
        if isinstance(value, str):
            text = value.strip()
            if not text:
                continue
            if not _looks_numeric(value):
                wordy += n
                chars += n * min(len(text), FUZZY_CHARS)
        filled += n
    return filled, wordy, chars


def _texts_of(value: Value, column: list[Value]) -> set[str]:
    """The texts of the cells a Counter keyed as ``value``: True, 1 and 1.0 are one key to it but
    "TRUE" and "1" to a person, so for 0 and 1 the column is looked at again."""
    if type(value) in (int, float, bool) and value in (0, 1):
        return {value_text(v) for _, v in {(type(v), v) for v in column
                                           if type(v) in (int, float, bool) and v == value}}
    return {value_text(value)}


#: Rows of each table looked at to find the title column.
TITLE_SAMPLE = 20_000


def detect_title(
    a_rows: Sequence[Row], b_rows: Sequence[Row], names: Sequence[str], title: str | None,
    exclude: int | None = None,
) -> int | None:
    """Index (among the common columns ``names``) of the column people recognise a task by.

    ``title`` (MergeOptions.title) wins when one of ``names`` matches it; otherwise the text
    column with the largest share of distinct values, then the longest text. ``None`` when no
    column holds mostly text.
    """
    if title is not None:
        wanted = normalise_name(title)
        for i, name in enumerate(names):
            if name == title or normalise_name(name) == wanted:
                return i
    # Rows evenly spread over a big table tell the title column as well as all of them do, and each
    # merge of a 100,000-row tracker asks again.
    sides = [rows[::-(-len(rows) // TITLE_SAMPLE)] for rows in (a_rows, b_rows) if rows]
    if not sides:
        return None
    norm = _memo(normalise_text)
    candidates = []
    for i in range(len(names)):
        if i == exclude:
            continue
        # Each distinct value is looked at once, weighted by how often it occurs: columns such as
        # Status or Owner repeat a few values over thousands of rows.
        pick = itemgetter(i)
        # Without any text a column cannot be a title: skip counting its dates and numbers.
        if not any(issubclass(kind, str) for rows in sides for kind in set(map(type, map(pick, rows)))):
            continue
        columns = [[r[i] for r in rows] for rows in sides]
        counted = [Counter(column) for column in columns]
        filled = wordy = wordy_chars = 0
        for counts in counted:
            f, w, c = _text_counts(counts)
            filled, wordy, wordy_chars = filled + f, wordy + w, wordy_chars + c
        if not wordy or wordy * 2 < filled:
            continue
        # Normalising can only make distinct values equal, so the share of distinct values as they
        # are bounds the score from above (+2: 1, 1.0 and True are one key to a Counter but two
        # texts, "1" and "TRUE"; so are 0 and False).
        bound = sum(min(len(counts) + 2, len(column)) / len(column)
                    for column, counts in zip(columns, counted)) / len(sides)
        candidates.append(((round(bound, 1), wordy_chars / wordy), i, columns, counted))
    best: tuple | None = None
    best_index = None
    # Most promising first; a column whose bound is below the best score found cannot win, and
    # normalising every title of a 100,000-row table is the costly part.
    for (bound, length), i, columns, counted in sorted(candidates, key=lambda c: (c[0], -c[1]), reverse=True):
        if best is not None and (bound, length) < best:
            break
        # Share of distinct values per table (an edit on one side must not make a column look
        # more varied than it is), averaged over the two tables.
        shares = 0.0
        for column, counts in zip(columns, counted):
            if set(map(type, counts)) <= {str, type(None)}:  # a text column: in bulk
                texts = set(map(normalise_text, map(_CUT, filter(None, map(str.strip, filter(None, counts))))))
            else:
                texts = set()
                for value in counts:
                    if isinstance(value, str):
                        text = value.strip()
                        if text:
                            texts.add(norm(text[:FUZZY_CHARS]))
                    elif value is not None:
                        texts.update(norm(t[:FUZZY_CHARS]) for t in _texts_of(value, column))
            shares += len(texts) / len(column)
        score = (round(shares / len(sides), 1), length)
        # Equal scores: the leftmost column wins, as when every column is scored in order.
        if best is None or score > best or (score == best and i < best_index):
            best, best_index = score, i
    return best_index


@dataclass
class _Side:
    """Per-row arrays for one side of the leftover block, shared by every block computation."""

    titles: list[str]
    signatures: np.ndarray  # int codes, 0 = no distinguishing words
    codes: list[np.ndarray]  # per other column: equality codes, -1 = empty
    texts: list[list[str]]  # per other column: normalised text ('' when not a non-empty string)
    position: np.ndarray  # relative position 0..1 in the original table



def title_of_table(table: Table) -> str | None:
    """The name of the column people recognise ``table``'s tasks by (see ``detect_title``)."""
    tok = detect_title(table.rows, (), table.columns, None)
    return None if tok is None else table.columns[tok]

def _encode(rows: Sequence[Row], positions: Sequence[float], title: int | None, others: list[int],
            key_codes: dict, sig_codes: dict) -> _Side:
    norm = _memo(lambda text: normalise_text(text[:FUZZY_CHARS * 2])[:FUZZY_CHARS])
    if title is not None:
        titles = [norm(value_text(r[title])) for r in rows]
        sigs = [sig_codes.setdefault(distinguishing_signature(t), len(sig_codes)) if t else 0
                for t in titles]
    else:
        titles = [norm(" ".join(value_text(v) for v in r)) for r in rows]
        sigs = [0] * len(rows)
    codes, texts = [], []
    for c in others:
        col_codes = np.fromiter(
            (-1 if is_empty(r[c]) else key_codes.setdefault((c, value_key(r[c])), len(key_codes))
             for r in rows), dtype=np.int64, count=len(rows))
        codes.append(col_codes)
        texts.append([norm(r[c]) if isinstance(r[c], str) else "" for r in rows])
    return _Side(titles, np.asarray(sigs, dtype=np.int64), codes, texts,
                 np.asarray(positions, dtype=np.float64))


def _text_similarity(a_texts: list[str], b_texts: list[str]) -> np.ndarray | None:
    """ratio/100 for every pair of non-empty texts (0 elsewhere), computed on distinct values;
    ``None`` when one side has no text at all."""
    ua = sorted(set(a_texts) - {""})
    ub = sorted(set(b_texts) - {""})
    if not ua or not ub:
        return None
    matrix = np.zeros((len(ua) + 1, len(ub) + 1), dtype=np.float32)  # last row/col: no text
    matrix[:-1, :-1] = process.cdist(ua, ub, scorer=fuzz.ratio, processor=None, workers=-1,
                                     dtype=np.float32) / np.float32(100)
    ia_map = {t: i for i, t in enumerate(ua)}
    ib_map = {t: i for i, t in enumerate(ub)}
    ia = np.fromiter((ia_map.get(t, len(ua)) for t in a_texts), dtype=np.intp, count=len(a_texts))
    ib = np.fromiter((ib_map.get(t, len(ub)) for t in b_texts), dtype=np.intp, count=len(b_texts))
    return matrix[ia[:, None], ib[None, :]]


def _block_scores(a: _Side, b: _Side, ia: np.ndarray, ib: np.ndarray, has_title: bool,
                  threshold: float) -> np.ndarray:
    title = None
    if has_title:
        ta = [a.titles[i] for i in ia]
        tb = [b.titles[j] for j in ib]
        # Titles too far apart for the pair to reach the threshold even with every other cell
        # equal score 0, which lets rapidfuzz skip most of the work.
        rest = 1 - TITLE_WEIGHT if a.codes else 0.0
        cutoff = max(0.0, (threshold - rest) / (1 - rest)) * 100 - 1e-6
        title = process.cdist(ta, tb, scorer=fuzz.token_sort_ratio, processor=None, workers=-1,
                              dtype=np.float32, score_cutoff=cutoff) / np.float32(100)
        a_empty = np.array([not t for t in ta])[:, None]
        b_empty = np.array([not t for t in tb])[None, :]
        title = np.where(a_empty & b_empty, np.float32(1),
                         np.where(a_empty | b_empty, np.float32(0), title))
    n_other = len(a.codes)
    others = np.zeros((len(ia), len(ib)), dtype=np.float32)
    for c in range(n_other):
        equal = a.codes[c][ia][:, None] == b.codes[c][ib][None, :]
        partial = _text_similarity([a.texts[c][i] for i in ia], [b.texts[c][j] for j in ib])
        others += equal if partial is None else np.maximum(equal, partial)
    if n_other:
        others /= np.float32(n_other)
    if title is None:
        return others.astype(np.float64)
    score = TITLE_WEIGHT * title + (1 - TITLE_WEIGHT) * others if n_other else title
    sa, sb = a.signatures[ia][:, None], b.signatures[ib][None, :]
    score = np.where((sa != 0) & (sb != 0) & (sa != sb), np.float32(0), score)
    return score.astype(np.float64)


def _assign(score: np.ndarray, a: _Side, b: _Side, ia: np.ndarray, ib: np.ndarray,
            threshold: float) -> list[tuple[int, int]]:
    if score.size == 0:
        return []
    eligible = score >= threshold - 1e-9
    if not eligible.any():
        return []
    closeness = 1.0 - np.abs(a.position[ia][:, None] - b.position[ib][None, :])
    weights = np.where(eligible, score + _TIE_BONUS * closeness, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return [(int(ia[r]), int(ib[c])) for r, c in zip(rows, cols) if eligible[r, c]]


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


def _reversed(text: str) -> str:
    return text[::-1]


#: Sort keys for successive blocking passes: a retyped first word moves a row far away in the
#: first order but not in the second, so rows the first pass missed get a second chance.
_BLOCK_KEYS = (_sorted_words, _reversed)


def _blocks(a: _Side, b: _Side, ia: np.ndarray, ib: np.ndarray, key):
    """Split large leftovers into blocks of rows whose texts sort next to each other."""
    order_a = sorted(ia.tolist(), key=lambda i: (key(a.titles[i]), i))
    keys_a = [key(a.titles[i]) for i in order_a]
    step = max(1, BLOCK // 2)
    starts = list(range(0, len(order_a), step))
    buckets: list[list[int]] = [[] for _ in starts]
    for j in ib.tolist():
        pos = bisect.bisect_left(keys_a, key(b.titles[j]))
        buckets[min(pos // step, len(starts) - 1)].append(j)
    for n, start in enumerate(starts):
        block_a = np.asarray(order_a[start:start + step], dtype=np.int64)
        bucket = buckets[n]
        for k in range(0, max(len(bucket), 1), BLOCK):
            yield block_a, np.asarray(bucket[k:k + BLOCK], dtype=np.int64)


def fuzzy_pairs(
    a_rows: Sequence[Row], b_rows: Sequence[Row], a_pos: Sequence[float], b_pos: Sequence[float],
    title: int | None, threshold: float,
) -> list[tuple[int, int]]:
    """One-to-one pairs ``(i, j)`` of rows (indices into ``a_rows`` / ``b_rows``, whose cells are
    the common columns in the same order) similar enough to be the same task.

    ``a_pos`` / ``b_pos`` are each row's relative position (0..1) in its table, used only to break
    ties; ``title`` is the index of the title column or ``None``.
    """
    if not a_rows or not b_rows:
        return []
    width = len(a_rows[0])
    if width == 0:
        return []  # no common column: nothing to compare, so nothing is the same task
    others = [c for c in range(width) if c != title]
    key_codes: dict = {}
    sig_codes: dict = {"": 0}
    a = _encode(a_rows, a_pos, title, others if title is not None else list(range(width)),
                key_codes, sig_codes)
    b = _encode(b_rows, b_pos, title, others if title is not None else list(range(width)),
                key_codes, sig_codes)
    pairs: list[tuple[int, int]] = []
    left_a, left_b = np.arange(len(a_rows)), np.arange(len(b_rows))
    has_title = title is not None
    for key in _BLOCK_KEYS + (None,):
        if not len(left_a) or not len(left_b):
            break
        if len(left_a) <= BLOCK and len(left_b) <= BLOCK:
            pairs.extend(_assign(_block_scores(a, b, left_a, left_b, has_title, threshold), a, b,
                                 left_a, left_b, threshold))
            break
        if key is None:
            break  # still too many after every blocking pass: the rest stay unmatched
        found = []
        for ia, ib in _blocks(a, b, left_a, left_b, key):
            if len(ia) and len(ib):
                score = _block_scores(a, b, ia, ib, has_title, threshold)
                found.extend(_assign(score, a, b, ia, ib, threshold))
        pairs.extend(found)
        left_a = np.setdiff1d(left_a, [i for i, _ in found])
        left_b = np.setdiff1d(left_b, [j for _, j in found])
    return pairs
