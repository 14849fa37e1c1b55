"""Candidate pairs: the few pairs of rows worth scoring, found without comparing every pair.

* Up to ``FULL_LIMIT`` rows the main texts are compared all against all with rapidfuzz's vectorised
  ``cdist`` (``score_cutoff`` lets it skip hopeless pairs); nothing is missed.
* Beyond, a word index, built with numpy: each row is filed under its ``KEYS`` rarest words that at
  least one other row shares (a word only one row has, e.g. a typo, cannot pair it with anything); a
  word held by more than ``CAP`` rows is too common to block on by itself, so its rows are sorted by
  their text and only near neighbours (``WINDOW``) are paired. A sorted-neighbourhood pass over all
  rows catches rows whose words are all common.
* Rows that share an exact phone number or e-mail address (generic records) are candidates too.
* A pair some guard rules out ("Task 5 ..." / "Task 6 ...": another number, quarter, month, year,
  version, period or action; see ``signature``) is dropped as soon as it is found, slab by slab, so
  templated titles never pile up millions of pairs.

Every candidate is then filtered with rapidfuzz ``cpdist`` on the main text (vectorised), and only
the survivors are scored one by one. Memory and time grow with the number of rows times
``KEYS * CAP`` at most, never with the square of the rows.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain

import numpy as np
from rapidfuzz import fuzz, process

from syncd.merge.dupes.score import Prepared
from syncd.merge.dupes.signature import Signatures, compatible, signatures

FULL_LIMIT = 2500
KEYS = 3
CAP = 40
WINDOW = 12
#: Candidates whose main texts are less alike than this (0-100) are not scored.
PREFILTER = 50.0


def _pairs_within(rows: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(rows), k=1)
    return np.stack([rows[i], rows[j]], axis=1)


def _window_pairs(rows: np.ndarray, window: int) -> list[np.ndarray]:
    out = []
    for k in range(1, min(window, len(rows) - 1) + 1):
        out.append(np.stack([rows[:-k], rows[k:]], axis=1))
    return out


def _fits(sig: Signatures, pairs: np.ndarray) -> np.ndarray:
    return pairs[compatible(sig, pairs[:, 0], pairs[:, 1])] if len(pairs) else pairs


def _full(keys: list[str], cutoff: float, sig: Signatures, focus: np.ndarray | None = None,
          across: int | None = None) -> np.ndarray:
    n = len(keys)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    out = []
    step = 1000  # rows per slab keeps the score matrix at a few megabytes
    if across is not None:
        # only the first rows against the others (two tables stacked): a third of the comparisons
        # when one holds a fifth of the rows, and none of the pairs that would be thrown away
        for start in range(0, across, step):
            stop = min(start + step, across)
            block = process.cdist(keys[start:stop], keys[across:], scorer=fuzz.ratio, processor=None,
                                  score_cutoff=cutoff, dtype=np.uint8, workers=-1)
            i, j = np.nonzero(block)
            found = np.stack([i + start, j + across], axis=1).astype(np.int64)
            out.append(_fits(sig, _focused(found, focus)))
        return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)
    if focus is not None:
        # only the rows in focus against all: a sync after a handful of edits compares a handful
        rows = np.flatnonzero(focus)
        for start in range(0, len(rows), step):
            mine = rows[start:start + step]
            block = process.cdist([keys[i] for i in mine.tolist()], keys, scorer=fuzz.ratio, processor=None,
                                  score_cutoff=cutoff, dtype=np.uint8, workers=-1)
            i, j = np.nonzero(block)
            i = mine[i]
            keep = i != j
            out.append(_fits(sig, np.stack([np.minimum(i, j)[keep], np.maximum(i, j)[keep]], axis=1)))
        return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)
    for start in range(0, n, step):
        block = process.cdist(keys[start:start + step], keys[start:], scorer=fuzz.ratio, processor=None,
                              score_cutoff=cutoff, dtype=np.uint8, workers=-1)
        i, j = np.nonzero(block)
        i = i + start
        j = j + start
        keep = j > i
        out.append(_fits(sig, np.stack([i[keep], j[keep]], axis=1)))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def _word_blocks(prep: Prepared, keys: list[str], sig: Signatures, focus: np.ndarray | None = None) -> list[np.ndarray]:
    n = len(keys)
    # every (row, word) of the table, words numbered in order of first appearance; in C but for
    # the numbering of the distinct words (a loop over rows and words took a second at 100,000)
    per_row = prep.all_words()
    flat = list(chain.from_iterable(per_row))
    vocab = dict.fromkeys(flat)
    for code, w in enumerate(vocab):
        vocab[w] = code
    # Python's sort compares text in C; numpy's, on objects, calls back for every comparison (2x)
    order = np.array(sorted(range(n), key=keys.__getitem__), dtype=np.int64)
    out = [_fits(sig, _focused(p, focus)) for p in _window_pairs(order, WINDOW)]
    if not flat:
        return out
    row = np.repeat(np.arange(n, dtype=np.int64), np.fromiter(map(len, per_row), dtype=np.int64, count=n))
    word = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    df = np.bincount(word, minlength=len(vocab))[word]
    # each row is filed under its KEYS rarest words that another row shares
    shared = df >= 2
    row, word, df = row[shared], word[shared], df[shared]
    by_row = _order_by(row, df, word, len(flat) + 1, len(vocab))
    row, word = row[by_row], word[by_row]
    starts = np.r_[0, np.flatnonzero(np.diff(row)) + 1]
    position = np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)]))
    keep = position < KEYS
    row, word = row[keep], word[keep]
    # postings sorted by word, then by the row's text, so big postings pair near neighbours only
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    by_word = _order_by(word, rank[row], None, n, 1)
    row, word = row[by_word], word[by_word]
    size = np.bincount(word, minlength=len(vocab))[word]
    for k in range(1, CAP):
        same = word[:-k] == word[k:]
        if k > WINDOW:
            same &= size[:-k] <= CAP
        if not same.any():
            break
        out.append(_fits(sig, _focused(np.stack([row[:-k][same], row[k:][same]], axis=1), focus)))
    return out


def _order_by(first: np.ndarray, second: np.ndarray, third: np.ndarray | None, second_span: int,
              third_span: int) -> np.ndarray:
    """The stable order of the positions by ``first``, then ``second`` (each below ``second_span``),
    then ``third`` (each below ``third_span``): what ``np.lexsort`` gives, but sorting one key made of
    the three (a tenth of the time on 800,000 postings), where that key fits in 63 bits."""
    if len(first) and int(first.max()) + 1 <= (2**63 - 1) // (second_span * third_span):
        key = first * (second_span * third_span) + second * third_span
        if third is not None:
            key += third
        return np.argsort(key, kind="stable")
    return np.lexsort((third, second, first) if third is not None else (second, first))


def _exact_blocks(prep: Prepared) -> list[np.ndarray]:
    """Rows sharing an exact phone number or e-mail address."""
    out = []
    for n, f in enumerate(prep.plan.fields):
        if f.kind not in ("phone", "email"):
            continue
        groups: dict[object, list[int]] = defaultdict(list)
        for i, v in enumerate(prep.values[n]):
            if v is not None:
                groups[v].append(i)
        for rows in groups.values():
            if 2 <= len(rows) <= CAP:
                out.append(_pairs_within(np.asarray(rows, dtype=np.int64)))
    return out


def candidate_pairs(prep: Prepared, cutoff: float = PREFILTER, sig: Signatures | None = None,
                    focus: np.ndarray | None = None, across: int | None = None) -> np.ndarray:
    """Distinct ``(i, j)`` row pairs, ``i < j``, worth scoring (an ``(m, 2)`` int64 array); none that a
    guard rules out (``sig``: the rows' guard signatures, computed when not given). With ``focus`` (a
    boolean per row), only pairs with at least one row in focus; with ``across``, only pairs with
    ``i < across <= j`` (two tables stacked, the first ``across`` rows one table's)."""
    n = len(prep.table)
    sig = sig if sig is not None else signatures(prep.main)
    keys = prep.keys  # main_key(i) of every row, as Prepared made them (read only)
    exact = [_fits(sig, _focused(p, focus)) for p in _exact_blocks(prep)]
    if across is not None:
        exact = [p[(p[:, 0] < across) != (p[:, 1] < across)] for p in exact]
    if n <= FULL_LIMIT:
        found = _full(keys, cutoff, sig, focus, across)
        blocks = [found] + exact
        pairs = np.concatenate(blocks) if blocks else np.empty((0, 2), dtype=np.int64)
        return _unique(pairs, n)
    blocks = _word_blocks(prep, keys, sig, focus)
    pairs = _unique(np.concatenate(blocks), n) if blocks else np.empty((0, 2), dtype=np.int64)
    if across is not None:
        pairs = pairs[(pairs[:, 0] < across) & (pairs[:, 1] >= across)]
    if len(pairs):
        # plain ints (indexing with numpy scalars is slow), looked up in C
        a = list(map(keys.__getitem__, pairs[:, 0].tolist()))
        b = list(map(keys.__getitem__, pairs[:, 1].tolist()))
        sims = process.cpdist(a, b, scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, workers=-1)
        pairs = pairs[sims > 0]
    if exact:
        pairs = _unique(np.concatenate([pairs] + exact), n)
    return pairs


def _focused(pairs: np.ndarray, focus: np.ndarray | None) -> np.ndarray:
    # applied as each block is found, before the guard check: a focused search never pays for the rest
    return pairs if focus is None or not len(pairs) else pairs[focus[pairs[:, 0]] | focus[pairs[:, 1]]]


def _unique(pairs: np.ndarray, n: int) -> np.ndarray:
    if not len(pairs):
        return np.empty((0, 2), dtype=np.int64)
    lo = np.minimum(pairs[:, 0], pairs[:, 1]).astype(np.int64)
    hi = np.maximum(pairs[:, 0], pairs[:, 1]).astype(np.int64)
    keep = lo != hi
    codes = np.sort(lo[keep] * n + hi[keep])  # sort + diff: faster than np.unique's hashing here
    if len(codes):
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
    return np.stack([codes // n, codes % n], axis=1)
