"""Guard signatures: the guards of ``guards`` as numbers, so whole arrays of pairs are checked at once.

Each row gets a code per distinguishing kind (its set of quarters, months, numbers... as one int, 0:
none), the months its periods cover (a 12-bit mask, -1: names no period) and the action groups of the
verb it starts with (a bit mask, 0: none or a mistyped one). ``compatible`` says which pairs no guard
rules out; it never rules out a pair ``guards.guard`` would let through (the action guard's rarer
cases, a verb at the end of one title, are left to the scorer), so blocking and pruning on it lose
nothing. A token on one side only stays compatible, as in the guard: "Draft Q3 newsletter" and "Draft
the Q3 newsletter (v2)" still pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from syncd.merge.dupes.guards import _months_of
from syncd.merge.dupes.text import FEATURE_KINDS, Title
from syncd.merge.dupes.verbs import UNKNOWN, VERBS


@dataclass(frozen=True)
class Signatures:
    """Per row: ``features`` (n, len(FEATURE_KINDS)) codes, ``months`` mask, ``verbs`` group mask;
    ``first`` / ``last``: the title starts (ends) with a verb, known or mistyped. ``used``: the
    feature kinds some row has."""

    features: np.ndarray
    months: np.ndarray
    verbs: np.ndarray
    first: np.ndarray
    last: np.ndarray
    used: tuple[int, ...] = ()


def signatures(main: list[object | None]) -> Signatures:
    """The guard signature of every row's main text (rows whose main text is no ``Title`` get none)."""
    n = len(main)
    features = np.zeros((n, len(FEATURE_KINDS)), dtype=np.int64)
    months = np.full(n, -1, dtype=np.int64)
    verbs = np.zeros(n, dtype=np.int64)
    first = np.zeros(n, dtype=bool)
    last = np.zeros(n, dtype=bool)
    seen: dict[frozenset, int] = {}
    # most titles name no period, number or action, and those that do share a few: one look per kind
    by_kind: dict[tuple, tuple] = {}
    at: list[int] = []
    rows: list[tuple] = []
    ends: list[tuple[bool, bool]] = []
    for i, t in enumerate(main):
        if not isinstance(t, Title):
            continue
        kind = (t.features, t.first_verb)
        got = by_kind.get(kind)
        if got is None:
            codes = [seen.setdefault(tokens, len(seen) + 1) if tokens else 0 for tokens in t.features]
            covered = _months_of(t)
            mask = -1 if covered is None else sum(1 << (m - 1) for m in covered)
            verb = 0
            groups = VERBS.get(t.first_verb or "", ()) if t.first_verb != UNKNOWN else ()
            if groups and max(groups) < 63:  # one int64 holds 63 groups; the scorer checks any beyond
                verb = sum(1 << g for g in groups)
            got = by_kind[kind] = (codes, mask, verb)
        at.append(i)
        rows.append(got)
        ends.append((bool(t.first_verb), bool(t.last_verb)))
    if at:
        # filled in one go: assigning numpy rows one at a time costs a second at 100,000 rows
        idx = np.asarray(at, dtype=np.int64)
        features[idx] = np.asarray([r[0] for r in rows], dtype=np.int64).reshape(len(at), len(FEATURE_KINDS))
        months[idx] = np.asarray([r[1] for r in rows], dtype=np.int64)
        verbs[idx] = np.asarray([r[2] for r in rows], dtype=np.int64)
        flags = np.asarray(ends, dtype=bool).reshape(len(at), 2)
        first[idx], last[idx] = flags[:, 0], flags[:, 1]
    # Checking pairs gathers these at random rows millions of times: the narrowest type that holds
    # the codes, a column at a time (Fortran order), and only the kinds some row has, cost a third.
    narrow = np.int16 if len(seen) < 2**15 else np.int32
    used = tuple(k for k in range(features.shape[1]) if features[:, k].any())
    return Signatures(np.asfortranarray(features.astype(narrow)), months.astype(np.int16), verbs, first, last, used)


def compatible(sig: Signatures, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which pairs ``(a[k], b[k])`` no guard rules out (a boolean array)."""
    ma, mb = sig.months[a], sig.months[b]
    clash = (ma >= 0) & (mb >= 0) & ((ma & mb) == 0) & (ma != mb)  # equal: the scorer skips the guard
    va, vb = sig.verbs[a], sig.verbs[b]
    clash |= (va != 0) & (vb != 0) & ((va & vb) == 0)
    for k in sig.used:
        column = sig.features[:, k]
        fa, fb = column[a], column[b]
        clash |= (fa != 0) & (fb != 0) & (fa != fb)
    return ~clash


def settled(sig: Signatures, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which compatible pairs no guard can rule out at all: not those where one title starts with a
    verb and the other only ends with one (the action guard's case that needs the words)."""
    known_a, known_b = sig.verbs[a] != 0, sig.verbs[b] != 0
    return ~((known_a & ~sig.first[b] & sig.last[b]) | (known_b & ~sig.first[a] & sig.last[a]))
