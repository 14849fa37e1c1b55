"""A vectorised upper bound of the tracker score, to drop most candidate pairs before scoring them.

Blocking yields many pairs of rows that share words but cannot be duplicates: "Review Instagram ads
for Spring Sale Berlin" and "... Paris", or the same deliverable for another campaign. Scoring each in
Python costs tens of microseconds; this bounds the score of all of them at once with numpy, scipy
sparse matrices and rapidfuzz ``cpdist``:

* the title's character ratio exactly (``cpdist``);
* its word overlap from above: the words both titles share (a sparse product of the rows' weighted
  word vectors) plus, when both have words the other lacks, all of those as if they were typos of
  each other (nine tenths, the most a retyped word counts);
* a distinguishing token that differs (quarter, month, year, version, number) sets it to 0;
* the other columns at their most favourable, except a campaign or channel that plainly differs
  (no 80 % token-set match), which costs what it costs in the real score.

Only pairs whose bound reaches the threshold are scored one by one; the bound never undercuts the
real score, so no duplicate is lost by it.
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process
from scipy import sparse

from syncd.merge.dupes.score import NAMED_ROLES, QUALIFIER_WEIGHT, ROLE_NUDGE, Prepared
from syncd.merge.dupes.text import FEATURE_KINDS, Title

CHUNK = 250_000


def _word_matrices(prep: Prepared) -> tuple[sparse.csr_matrix, sparse.csr_matrix, np.ndarray]:
    vocab: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for t in prep.main:
        if isinstance(t, Title):
            for w in dict.fromkeys(t.words):
                base = prep.idf.get(w, prep.default_idf)
                indices.append(vocab.setdefault(w, len(vocab)))
                data.append(base * QUALIFIER_WEIGHT if w in t.qualifiers else base)
        indptr.append(len(indices))
    shape = (len(prep.main), max(len(vocab), 1))
    weights = sparse.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                                 np.asarray(indptr, dtype=np.int64)), shape=shape)
    present = weights.copy()
    present.data[:] = 1.0
    return weights, present, np.asarray(weights.sum(axis=1)).ravel()


def _feature_codes(prep: Prepared) -> np.ndarray:
    """Per row and distinguishing kind, a code of its tokens of that kind (0: none)."""
    codes = np.zeros((len(prep.main), len(FEATURE_KINDS)), dtype=np.int64)
    seen: dict[frozenset, int] = {}
    for i, t in enumerate(prep.main):
        if isinstance(t, Title):
            for k, tokens in enumerate(t.features):
                if tokens:
                    codes[i, k] = seen.setdefault(tokens, len(seen) + 1)
    return codes


def _named_keys(prep: Prepared) -> list[tuple[float, float, list[str]]]:
    out = []
    for n, f in enumerate(prep.plan.others, 1):
        if f.role in NAMED_ROLES:
            bonus, penalty = ROLE_NUDGE[f.role]
            out.append((bonus, penalty, [getattr(v, "key", "") if v is not None else "" for v in prep.values[n]]))
    return out


def prune(prep: Prepared, pairs: np.ndarray, threshold: float) -> np.ndarray:
    """The pairs (an ``(m, 2)`` array) whose score may reach ``threshold``; all of them for a plan that
    is not a tracker's with a title (the bound is the tracker score's)."""
    if not len(pairs) or not prep.plan.tracker or not prep.title_main:
        return pairs
    weights, present, totals = _word_matrices(prep)
    codes = _feature_codes(prep)
    named = _named_keys(prep)
    free_bonus = sum(ROLE_NUDGE.get(f.role, ROLE_NUDGE["other"])[0] for f in prep.plan.others
                     if f.role not in NAMED_ROLES)
    keys = prep.keys
    keep = []
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start:start + CHUNK]
        a, b = chunk[:, 0], chunk[:, 1]
        guarded = ((codes[a] != 0) & (codes[b] != 0) & (codes[a] != codes[b])).any(axis=1)
        shared_a = np.asarray(weights[a].multiply(present[b]).sum(axis=1)).ravel()
        shared_b = np.asarray(present[a].multiply(weights[b]).sum(axis=1)).ravel()
        left_a, left_b = totals[a] - shared_a, totals[b] - shared_b
        total = np.maximum(totals[a] + totals[b], 1e-12)
        retyped = np.where((left_a > 1e-9) & (left_b > 1e-9), 0.9 * (left_a + left_b), 0.0)
        chars = process.cpdist([keys[i] for i in a], [keys[j] for j in b], scorer=fuzz.ratio, processor=None,
                               workers=-1, dtype=np.float32) / 100
        bound = 0.5 * np.minimum(1.0, (shared_a + shared_b + retyped) / total) + 0.5 * chars + free_bonus
        for bonus, penalty, values in named:
            va = [values[i] for i in a]
            vb = [values[j] for j in b]
            filled = np.fromiter((bool(x and y) for x, y in zip(va, vb)), dtype=bool, count=len(a))
            alike = process.cpdist(va, vb, scorer=fuzz.token_set_ratio, processor=None, workers=-1) >= 80
            bound += np.where(filled, np.where(alike, bonus, -penalty), bonus)
        keep.append(chunk[~guarded & (bound >= threshold - 1e-6)])
    return np.concatenate(keep) if keep else pairs[:0]
