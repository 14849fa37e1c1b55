"""From scored pairs to clusters of rows that are one task.

Pairs at or above the threshold are joined into connected components. A cluster of three or more
whose pairs are not all at the threshold already is then checked for weak links: all its pairs are
scored and it is re-clustered by average linkage (scipy), cut at the threshold, so a row only stays
when it is, on average, as alike to the others as the threshold asks. "Q3 review" ~ "Q3 review
draft" ~ "Q4 review draft" is thus never one cluster: the first and the last are held together only
through the middle one, and their own score is 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.csgraph import connected_components

from syncd.merge.dupes.score import PairScore

#: Largest cluster re-checked with every pair scored; larger ones are first split on stronger links.
MAX_DENSE = 40
#: Up to this size the average linkage is computed here rather than by scipy (whose checks cost more
#: than the clustering for three or four rows).
SMALL = 8


@dataclass(frozen=True)
class Cluster:
    """Rows (table indices, ascending) that look like one task. ``score`` is the mean score of its
    pairs; ``why`` explains its strongest pair; ``pairs`` are the scored pairs inside it."""

    rows: tuple[int, ...]
    score: float
    why: str
    pairs: tuple[PairScore, ...]


def _components(edges: Iterable[PairScore]) -> list[list[PairScore]]:
    """The edges grouped by connected component (scipy: a Python union-find cost seconds at 100k rows)."""
    edges = list(edges)
    if not edges:
        return []
    m = len(edges)
    ends = np.fromiter((x for e in edges for x in (e.a, e.b)), dtype=np.int64, count=2 * m)
    nodes, inverse = np.unique(ends, return_inverse=True)
    inverse = inverse.reshape(m, 2)
    graph = sparse.coo_matrix((np.ones(m), (inverse[:, 0], inverse[:, 1])), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    groups: dict[int, list[PairScore]] = defaultdict(list)
    for e, label in zip(edges, labels[inverse[:, 0]].tolist()):
        groups[label].append(e)
    return list(groups.values())


def _members(edges: list[PairScore]) -> list[int]:
    return sorted({e.a for e in edges} | {e.b for e in edges})


def _average_linkage(n: int, distance: dict[tuple[int, int], float], cut: float) -> dict[int, list[int]]:
    """Average-linkage clustering of ``n`` points cut at ``cut`` (what scipy's ``linkage`` +
    ``fcluster`` compute), written out for the small clusters that are the common case."""
    groups = {x: [x] for x in range(n)}

    def d(g: list[int], h: list[int]) -> float:
        return sum(distance[(min(x, y), max(x, y))] for x in g for y in h) / (len(g) * len(h))

    while len(groups) > 1:
        best, pair = None, None
        keys = sorted(groups)
        for i, g in enumerate(keys):
            for h in keys[i + 1:]:
                dist = d(groups[g], groups[h])
                if best is None or dist < best:
                    best, pair = dist, (g, h)
        if best is None or best > cut:
            break
        g, h = pair
        groups[g] = groups[g] + groups.pop(h)
    return groups


def _dense_split(rows: list[int], score: Callable[[int, int], PairScore], threshold: float) -> list[list[PairScore]]:
    """Average-linkage clusters of ``rows`` with every pair scored; each returned with its pairs."""
    n = len(rows)
    scored = {}
    condensed = np.empty(n * (n - 1) // 2)
    k = 0
    for x in range(n):
        for y in range(x + 1, n):
            p = score(rows[x], rows[y])
            scored[(x, y)] = p
            condensed[k] = 1.0 - p.score
            k += 1
    if n <= SMALL:
        groups = _average_linkage(n, {k: 1.0 - v.score for k, v in scored.items()}, 1.0 - threshold + 1e-9)
    else:
        labels = fcluster(linkage(condensed, method="average"), t=1.0 - threshold + 1e-9, criterion="distance")
        groups = defaultdict(list)
        for x, label in enumerate(labels):
            groups[label].append(x)
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members = sorted(members)
        out.append([scored[(x, y)] for i, x in enumerate(members) for y in members[i + 1:]])
    return out


def build_clusters(pairs: Iterable[PairScore], score: Callable[[int, int], PairScore], threshold: float,
                   score_many: Callable[[list[tuple[int, int]]], list[PairScore]] | None = None) -> list[Cluster]:
    """Clusters from ``pairs`` (any scored pairs; those below ``threshold`` are ignored). ``score(i, j)``
    scores a pair that was not among them (used to check clusters of three or more); ``score_many``,
    when given, scores a list of such pairs ``(i, j)``, ``i < j``, at once (the same figures)."""
    strong, known = [], {}
    for p in pairs:
        if p.score >= threshold:
            strong.append(p)
        elif p.score >= threshold / 2:
            known[(p.a, p.b)] = p  # kept for the weak-link check; the rest are recomputed if needed

    def lookup(i: int, j: int) -> PairScore:
        return known.get((min(i, j), max(i, j))) or score(i, j)

    for p in strong:
        known[(p.a, p.b)] = p
    # First every component is cut down to a size whose pairs can all be scored (splitting on the
    # stronger links needs no new scores); then every pair the weak-link check will look at is scored
    # in one go, rather than one by one as each cluster is checked.
    done: list[list[PairScore]] = []
    dense: list[list[int]] = []
    todo = _components(strong)
    while todo:
        edges = todo.pop()
        rows = _members(edges)
        if len(rows) == 2:
            done.append(edges)
        elif len(rows) <= MAX_DENSE and len(edges) == len(rows) * (len(rows) - 1) // 2:
            # every pair already at the threshold: average linkage keeps them all, nothing to score
            done.append(sorted(edges, key=lambda e: (e.a, e.b)))
        elif len(rows) <= MAX_DENSE:
            dense.append(rows)
        else:
            # too big to score every pair: drop its weakest links first and look again
            cut = float(np.median([e.score for e in edges]))
            stronger = [e for e in edges if e.score > cut]
            if not stronger or len(stronger) == len(edges):
                done.append(edges)  # identical rows in bulk: one cluster is the right answer
                continue
            todo.extend(_components(stronger))
    if score_many is not None:
        missing = [(x, y) for rows in dense for k, x in enumerate(rows) for y in rows[k + 1:] if (x, y) not in known]
        for p in score_many(missing):
            known[(p.a, p.b)] = p
    for rows in dense:
        done.extend(_dense_split(rows, lookup, threshold))
    clusters = []
    for edges in done:
        best = max(edges, key=lambda e: e.score)
        mean = sum(e.score for e in edges) / len(edges)
        clusters.append(Cluster(tuple(_members(edges)), round(mean, 2), best.why, tuple(edges)))
    clusters.sort(key=lambda c: c.rows)
    return clusters
