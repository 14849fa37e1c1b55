"""The tracker score of candidate pairs computed in bulk, to drop most of them before scoring them.

Blocking yields many pairs of rows that share words but cannot be duplicates: "Review Instagram ads
for Spring Sale Berlin" and "... Paris", or the same deliverable for another campaign. Scoring each in
Python costs tens of microseconds; this computes the score of all of them at once with numpy, scipy
sparse matrices and rapidfuzz ``cpdist``:

* the title's character ratio exactly (``cpdist``);
* its word overlap: the words both titles share (a sparse product of the rows' weighted word
  vectors) exactly; only when both titles have words the other lacks are those counted from above,
  as if they were typos of each other (nine tenths, the most a retyped word counts): as many pairs
  as the side with fewer such words has, each side's heaviest first;
* a guard (``signature``: another quarter, month, year, version, number, period or action) sets it
  to 0;
* the other columns exactly: each distinct pair of values (owners, campaigns, dates repeat) is
  compared once, as the scorer compares it.

Only pairs whose figure reaches the threshold are scored one by one; the figure never undercuts the
real score, so no duplicate is lost by it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse

from syncd.merge.dupes.fields import similarity
from syncd.merge.dupes.score import NAMED_ROLES, QUALIFIER_WEIGHT, ROLE_NUDGE, Prepared
from syncd.merge.dupes.signature import Signatures, compatible, settled, signatures
from syncd.merge.dupes.text import Title

CHUNK = 250_000
#: From twice this many pairs on, they are figured in two threads.
THREADED = 20_000


def _word_matrices(prep: Prepared, rows: list[int]) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray, list[str]]:
    vocab: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    main = prep.main
    for t in map(main.__getitem__, rows):
        if isinstance(t, Title):
            for w in dict.fromkeys(t.words):
                base = prep.idf.get(w, prep.default_idf)
                indices.append(vocab.setdefault(w, len(vocab)))
                data.append(base * QUALIFIER_WEIGHT if w in t.qualifiers else base)
        indptr.append(len(indices))
    shape = (len(rows), max(len(vocab), 1))
    weights = sparse.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                                 np.asarray(indptr, dtype=np.int64)), shape=shape)
    present = weights.copy()
    present.data[:] = 1.0
    return weights, present, np.asarray(weights.sum(axis=1)).ravel(), list(vocab)


def _lettered(weights: sparse.csr_matrix, vocab: list[str]) -> sparse.csr_matrix:
    """``weights`` with the words that are numbers ("2000", "12") zeroed: told once per word of
    the vocabulary (``vocab``, by id), not once per word of every title."""
    out = weights.copy()
    digits = np.fromiter((w[0].isdigit() for w in vocab), dtype=bool, count=len(vocab))
    numeric = digits[out.indices]
    out.data = np.where(numeric, 0.0, out.data)
    out.eliminate_zeros()
    return out


def _nudges(prep: Prepared, a: np.ndarray, b: np.ndarray, cache: dict) -> np.ndarray:
    """What the other columns add to (take from) each pair's title similarity, exactly as
    ``Prepared._combine`` counts it; each distinct pair of values is compared once (``cache``)."""
    total = np.zeros(len(a), dtype=np.float64)
    for n, f in enumerate(prep.plan.others, 1):
        codes, values = _column_codes(prep, n, cache)
        ca, cb = codes[a], codes[b]
        both = (ca > 0) & (cb > 0)
        if not both.any():
            continue
        lo, hi = np.minimum(ca[both], cb[both]), np.maximum(ca[both], cb[both])
        combos, inverse = np.unique(lo * (len(values) + 1) + hi, return_inverse=True)
        bonus, penalty = ROLE_NUDGE.get(f.role, ROLE_NUDGE["other"])
        sims = cache.setdefault(("sims", n), {})
        got = np.empty(len(combos), dtype=np.float64)
        todo = range(len(combos))
        if f.kind == "date":
            x_codes, y_codes = combos // (len(values) + 1), combos % (len(values) + 1)
            day_sims = _date_sims(values, x_codes, y_codes)
            known = ~np.isnan(day_sims)
            got[known] = bonus * day_sims[known] - penalty * (1 - day_sims[known])
            todo = np.flatnonzero(~known).tolist()
        for k in todo:
            code = int(combos[k])
            s = sims.get(code)
            if s is None:
                x, y = values[code // (len(values) + 1)], values[code % (len(values) + 1)]
                # the larger of both orders: a person's name matched greedily may differ by a hair
                s = similarity(f.kind, x, y)
                if f.kind == "person":
                    s = max(s, similarity(f.kind, y, x))
                if f.role in NAMED_ROLES and s < 0.8:
                    s = 0.0
                s = sims[code] = bonus * s - penalty * (1 - s)
            got[k] = s
        total[both] += got[inverse.ravel()]
    return total


_EPOCH = 719163  # date(1970, 1, 1).toordinal(): numpy counts days from there


def _date_sims(values: list, x_codes: np.ndarray, y_codes: np.ndarray) -> np.ndarray:
    """``fields._date_similarity`` of the value pairs that are both dates (ordinals), NaN for the rest
    (dates typed as text, compared by the scorer)."""
    ordinals = np.array([v if isinstance(v, int) else -1 for v in values], dtype=np.int64)
    x, y = ordinals[x_codes], ordinals[y_codes]
    out = np.full(len(x), np.nan)
    dated = (x > 0) & (y > 0)
    x, y = x[dated], y[dated]

    def parts(o: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        days = (o - _EPOCH).astype("datetime64[D]")
        months = days.astype("datetime64[M]")
        years = days.astype("datetime64[Y]")
        return (years.astype(np.int64), (months - years).astype(np.int64), (days - months).astype(np.int64))

    (ya, ma, da), (yb, mb, db) = parts(x), parts(y)
    gap = np.abs(x - y)
    sims = np.where(gap <= 3, 0.7, np.where(gap <= 14, 0.4, 0.0))
    swapped = (da + 1 == mb + 1) & (ma + 1 == db + 1) & (ya == yb)
    one_part = ((ma == mb) & (da == db)) | ((ya == yb) & (ma == mb))
    sims = np.where(gap <= 14, sims, np.where(swapped, 0.7, np.where(one_part, 0.3, 0.0)))
    out[dated] = np.where(x == y, 1.0, sims)
    return out


def _column_codes(prep: Prepared, n: int, cache: dict) -> tuple[np.ndarray, list]:
    """Per row a code of its normalised value in compared column ``n`` (0: empty), and the values
    by code (index 0 unused)."""
    got = cache.get(("codes", n))
    if got is None:
        ids: dict = {None: 0}
        setdefault = ids.setdefault
        codes = np.fromiter((setdefault(v, len(ids)) for v in prep.values[n]), dtype=np.int64,
                            count=len(prep.values[n]))
        values = list(ids)  # in order of their codes: None first, at 0
        got = cache[("codes", n)] = (codes, values)
    return got


def _left_over(weights: sparse.csr_matrix, other: sparse.csr_matrix) -> sparse.csr_matrix:
    """Per row, the weighted words the other side lacks."""
    left = (weights - weights.multiply(other)).tocsr()
    left.data[left.data <= 1e-9] = 0.0
    left.eliminate_zeros()
    return left


def _heaviest(left: sparse.csr_matrix, k: np.ndarray) -> np.ndarray:
    """Per row, the sum of its ``k[row]`` heaviest weights."""
    counts = np.diff(left.indptr)
    rows = np.repeat(np.arange(left.shape[0]), counts)
    data = left.data[np.lexsort((-left.data, rows))]  # each row's weights, heaviest first, rows in place
    summed = np.r_[0.0, np.cumsum(data)]
    start = left.indptr[:-1]
    return summed[start + np.minimum(k, counts)] - summed[start]


class BulkScorer:
    """Tracker scores of many pairs at once (see the module docstring); built once per table.

    ``rows``: the only rows pairs will be asked about (all when not given). A search focused on the
    rows that changed asks about a fraction of a big table, and the word matrices are built for
    those rows alone; a pair with another row is left to the one-by-one scorer."""

    def __init__(self, prep: Prepared, sig: Signatures, rows: np.ndarray | None = None) -> None:
        self.prep, self.sig = prep, sig
        n = len(prep.main)
        chosen = list(range(n)) if rows is None else np.unique(rows).tolist()
        # a row's place in the matrices; -1 for a row left out
        self.local = np.full(n, -1, dtype=np.int64)
        self.local[chosen] = np.arange(len(chosen))
        self.weights, self.present, self.totals, self.vocab = _word_matrices(prep, chosen)
        # numbers are never a retyped word ("Task 5" / "Task 2000"): only letter words left over count
        self.lettered = _lettered(self.weights, self.vocab)
        self.letter_totals = np.asarray(self.lettered.sum(axis=1)).ravel()
        self.is_title = np.fromiter((isinstance(prep.main[i], Title) for i in chosen), dtype=bool, count=len(chosen))
        self.cache: dict = {}

    def figures(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(score or an upper bound of it, is it the score) for the compatible pairs ``(a[k], b[k])``.
        Exact (up to the scorer's rounding) unless both titles have words the other lacks, or a guard
        may still fire (``signature.settled``). A pair with a row the scorer was not built for gets
        the bound 1.0, not exact: it is kept, and the one-by-one scorer settles it."""
        inside = (self.local[a] >= 0) & (self.local[b] >= 0)
        if inside.all():
            return self._figures(a, b)
        figure, exact = np.ones(len(a)), np.zeros(len(a), dtype=bool)
        if inside.any():
            figure[inside], exact[inside] = self._figures(a[inside], b[inside])
        return figure, exact

    def _figures(self, ga: np.ndarray, gb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.local[ga], self.local[gb]  # the rows' places in the word matrices
        shared_a = np.asarray(self.weights[a].multiply(self.present[b]).sum(axis=1)).ravel()
        shared_b = np.asarray(self.present[a].multiply(self.weights[b]).sum(axis=1)).ravel()
        totals = self.totals
        total = totals[a] + totals[b]
        words_a = self.letter_totals[a] - np.asarray(self.lettered[a].multiply(self.present[b]).sum(axis=1)).ravel()
        words_b = self.letter_totals[b] - np.asarray(self.present[a].multiply(self.lettered[b]).sum(axis=1)).ravel()
        both_left = (words_a > 1e-9) & (words_b > 1e-9)
        # Retyped words pair one to one, so at most as many pairs as the side with fewer words left
        # has words: those, and as many of the other side's, heaviest first, each at nine tenths
        # ("... Berlin" / "... Paris": one word each, the common case).
        left_a = _left_over(self.lettered[a], self.present[b])
        left_b = _left_over(self.lettered[b], self.present[a])
        pairs = np.minimum(np.diff(left_a.indptr), np.diff(left_b.indptr))
        retyped = np.where(both_left, 0.9 * np.minimum(words_a + words_b, _heaviest(left_a, pairs) + _heaviest(left_b, pairs)), 0.0)
        # One word left on each side, the commonest case: whether it is the other retyped is a
        # question about two words, asked once per distinct pair of words, and the figure is exact.
        one = both_left & (np.diff(left_a.indptr) == 1) & (np.diff(left_b.indptr) == 1)
        if one.any():
            at_a, at_b = left_a.indptr[:-1][one], left_b.indptr[:-1][one]
            retyped[one] = self._retyped(left_a.indices[at_a], left_b.indices[at_b]) * (left_a.data[at_a] + left_b.data[at_b])
        keys = self.prep.keys
        chars = process.cpdist([keys[i] for i in ga.tolist()], [keys[j] for j in gb.tolist()], scorer=fuzz.ratio,
                               processor=None, workers=-1, dtype=np.float64) / 100
        words = np.minimum(1.0, (shared_a + shared_b + retyped) / np.maximum(total, 1e-12))
        title = np.where(total > 0, 0.5 * words + 0.5 * chars, 1.0)
        title = np.where(self.is_title[a] & self.is_title[b], title, 0.0)
        figure = np.clip(title + _nudges(self.prep, ga, gb, self.cache), 0.0, 1.0)
        return figure, (~both_left | one) & settled(self.sig, ga, gb)

    def _retyped(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """How alike word ``x[k]`` and word ``y[k]`` are (vocabulary ids), as the scorer counts them."""
        width = len(self.vocab)
        combos, inverse = np.unique(x * width + y, return_inverse=True)
        vocab, alike = self.vocab, self.prep._word_similarity
        sims = np.fromiter((alike(vocab[c // width], vocab[c % width]) for c in combos.tolist()), dtype=np.float64,
                           count=len(combos))
        return sims[inverse.ravel()]

    def scores(self, pairs: np.ndarray) -> np.ndarray:
        """The score of each pair (an ``(m, 2)`` array), rounded as the scorer rounds it; NaN where
        only the scorer can tell (a guard that needs the words, a retyped word)."""
        out = np.full(len(pairs), np.nan)
        if not len(pairs):
            return out
        fits = compatible(self.sig, pairs[:, 0], pairs[:, 1])
        figure, exact = self.figures(pairs[fits, 0], pairs[fits, 1])
        out[fits] = np.where(exact, np.round(figure, 4), np.nan)
        return out


def prune(prep: Prepared, pairs: np.ndarray, threshold: float, sig: Signatures | None = None,
          bulk: BulkScorer | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(pairs, scores)``: the pairs (an ``(m, 2)`` array) whose score may reach ``threshold``, and
    the score of each where it is known without the scorer (NaN: score it). For a plan that is not a
    tracker's with a title: the pairs no guard rules out, all NaN."""
    sig = sig if sig is not None else signatures(prep.main)
    if not len(pairs):
        return pairs, np.empty(0)
    if not prep.plan.tracker or not prep.title_main:
        kept = pairs[compatible(sig, pairs[:, 0], pairs[:, 1])]
        return kept, np.full(len(kept), np.nan)
    bulk = bulk if bulk is not None else BulkScorer(prep, sig)
    for n in range(1, len(prep.plan.fields)):
        _column_codes(prep, n, bulk.cache)  # before the threads start: each would work them out again

    def one(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        chunk = chunk[compatible(sig, chunk[:, 0], chunk[:, 1])]
        if not len(chunk):
            return chunk, np.empty(0)
        figure, exact = bulk.figures(chunk[:, 0], chunk[:, 1])
        # the scorer rounds to four places: a pair a hair below may still be flagged
        up = figure >= threshold - 1e-4
        return chunk[up], np.where(exact[up], np.round(figure[up], 4), np.nan)

    # numpy, scipy and rapidfuzz let go of the interpreter lock in their loops: two threads use
    # both cores for most of the work
    size = min(CHUNK, max(THREADED // 2, -(-len(pairs) // 2)))
    chunks = [pairs[start:start + size] for start in range(0, len(pairs), size)]
    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(one, chunks))
    else:
        done = [one(c) for c in chunks]
    return np.concatenate([k for k, _ in done]), np.concatenate([v for _, v in done])
