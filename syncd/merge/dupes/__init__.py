"""Duplicate rows: which rows of one table are the same task (or record) typed twice. Pure.

``find_duplicates(table, settings)`` is the whole pipeline: pick the columns (``fields``), normalise
every compared cell once (``text``, ``fields``), find candidate pairs without comparing every pair
(``blocking``; pairs a guard rules out, ``signature``, never become candidates), score the candidates
in bulk (``bulk``: exact where no retyped word or verb guard is involved, else an upper bound that
drops most), score the rest one by one (``score``, with the ``guards`` that keep "Q3" and "Q4"
apart), and cluster
(``cluster``). ``combine_rows`` merges two rows of one task (``combine``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Collection, Iterator

import numpy as np

from syncd.merge.dupes.blocking import candidate_pairs
from syncd.merge.dupes.bulk import BulkScorer, prune
from syncd.merge.dupes.cluster import Cluster, build_clusters
from syncd.merge.dupes.combine import Combined, combine_rows
from syncd.merge.dupes.fields import Field, Plan, UnknownColumn, find_column, plan_fields
from syncd.merge.dupes.guards import guard
from syncd.merge.dupes.score import (Mapper, PairScore, Prepared, in_order, remember_texts, remembered_texts,
                                     warm_column)
from syncd.merge.dupes.signature import signatures
from syncd.merge.dupes.text import Title, parse_title
from syncd.merge.values import is_empty
from syncd.model import Table

#: From this many candidate pairs on, they are scored in bulk before any is scored one by one.
BULK_PAIRS = 5_000

#: The score from which a pair is flagged when nothing else is configured.
DEFAULT_THRESHOLD = 0.85


@dataclass(frozen=True)
class DupeSettings:
    """What to compare and from which score a pair is a duplicate.

    ``columns``: compare exactly these (the first is the main text); empty: the title column (``title``,
    else detected) and the tracker columns found by name. ``generic_fallback``: a table without such
    columns is compared on all its columns (``syncd dupes`` on any table). ``tracker``: the configured
    ``columns`` are a tracker's (title first), not a generic record's.
    """

    columns: tuple[str, ...] = ()
    title: str | None = None
    threshold: float = DEFAULT_THRESHOLD
    generic_fallback: bool = False
    tracker: bool = False


@dataclass(frozen=True)
class Duplicates:
    """The clusters found (each at least two rows, ordered by their first row) and the plan used
    (``None`` when the table has no column to compare). ``candidates``: pairs of rows blocking put
    forward (none a guard rules out); ``scored``: pairs scored one by one in Python, the rest having
    been scored or dropped in bulk (``bulk``) — a measure of the work done, never of the result."""

    clusters: tuple[Cluster, ...]
    plan: Plan | None
    candidates: int = 0
    scored: int = 0


def prepare(table: Table, settings: DupeSettings = DupeSettings(), mapper: Mapper = in_order) -> Prepared | None:
    """The table made ready for scoring (``None`` when it has nothing to compare).
    Raises ``UnknownColumn`` for a configured column the table lacks."""
    plan = plan_fields(table, settings.columns, settings.title, generic_fallback=settings.generic_fallback,
                       tracker=settings.tracker)
    return Prepared(table, plan, mapper) if plan is not None else None


def warm_up(table: Table, settings: DupeSettings = DupeSettings(), chunk: int = 1_000) -> Iterator[int]:
    """Parse ahead the cells a later ``find_duplicates`` with these settings will compare (the
    titles, mostly), in slices of ``chunk`` distinct values: yields after each (how many it did;
    0 after the steps that only find what is left to do).
    A search in this process, or in one forked from it, then only parses the cells that are new.
    Nothing when the table has nothing to compare or names a column it lacks."""
    try:
        plan = plan_fields(table, settings.columns, settings.title, generic_fallback=settings.generic_fallback,
                           tracker=settings.tracker)
    except UnknownColumn:
        return
    if plan is None:
        return
    yield 0  # the plan alone: each step stays short, so that a waiting caller can stop soon
    for f in plan.fields:
        yield from warm_column(f.kind, [row[f.index] for row in table.rows], chunk)


def _main_title(table: Table, settings: DupeSettings) -> Field | None:
    try:
        plan = plan_fields(table, settings.columns, settings.title, generic_fallback=settings.generic_fallback,
                           tracker=settings.tracker)
    except UnknownColumn:
        return None
    return plan.main if plan is not None and plan.main.kind == "title" else None


def parsed_titles(table: Table, settings: DupeSettings = DupeSettings()) -> dict[str, Title]:
    """The titles of ``table`` this process has parsed (searched or warmed), by their text: what a
    caller keeps so that a later process parses only the titles that are new (``adopt_titles``)."""
    main = _main_title(table, settings)
    if main is None:
        return {}
    return remembered_texts("title", [row[main.index] for row in table.rows])  # type: ignore[return-value]


def adopt_titles(parsed: dict[str, Title]) -> int:
    """Take titles parsed by an earlier process (``parsed_titles``, of this same code) as parsed
    here; how many were taken."""
    return remember_texts("title", parsed)


def find_duplicates(table: Table, settings: DupeSettings = DupeSettings(),
                    keep_apart: Collection[tuple[int, int]] = (), focus: Collection[int] | None = None,
                    mapper: Mapper = in_order) -> Duplicates:
    """Clusters of rows of ``table`` that look like one task.

    ``keep_apart`` holds row-index pairs ``(i, j)`` with ``i < j`` a person decided are different:
    they are never linked (a cluster that only they held together falls apart). ``focus``, when
    given, limits the search to pairs with at least one of these rows: a sync passes the rows that
    changed since the last search and those it flagged then, as pairs of rows that are neither were
    looked at then and found apart. ``mapper`` runs the batches of pure work (parsing titles,
    scoring pairs one by one) and may spread them (``syncd.core.workers.split_map``). Raises
    ``UnknownColumn`` for a configured column the table lacks.
    """
    prep = prepare(table, settings, mapper)
    if prep is None or len(table) < 2:
        return Duplicates((), prep.plan if prep else None)
    apart = {(min(i, j), max(i, j)) for i, j in keep_apart}
    one_by_one = 0

    def score(i: int, j: int, floor: float | None = None) -> PairScore:
        nonlocal one_by_one
        i, j = min(i, j), max(i, j)
        if (i, j) in apart:
            return PairScore(i, j, 0.0, "kept apart by a person's decision")
        one_by_one += 1
        return prep.score(i, j, floor)

    def settle(todo: list[tuple[int, int]], known: list[float]) -> list[PairScore]:
        # a score worked out in bulk stands, unless a person kept the pair apart; the rest are scored
        # one by one, in one batch for ``mapper`` (plain tuples: cheap to send between processes)
        nonlocal one_by_one
        out: list[PairScore | None] = [score(i, j) if (i, j) in apart else PairScore(i, j, k) if k == k else None
                                       for (i, j), k in zip(todo, known)]
        left = [n for n, p in enumerate(out) if p is None]
        one_by_one += len(left)

        def work(chunk: list[int]) -> list[tuple[float, str | None]]:
            return [(p.score, p.guard) for p in (prep.score(*todo[m], settings.threshold) for m in chunk)]

        for n, (value, fired) in zip(left, mapper(work, left)):
            out[n] = PairScore(*todo[n], value, "", fired)
        return out

    sig = signatures(prep.main)
    mask = None
    if focus is not None:
        mask = np.zeros(len(table), dtype=bool)
        mask[np.fromiter(focus, dtype=np.int64)] = True
    candidates = candidate_pairs(prep, prefilter(prep, settings.threshold), sig, mask)
    if prep.plan.tracker and prep.title_main and len(candidates) >= BULK_PAIRS:
        bulk = BulkScorer(prep, sig, candidates.ravel())  # clusters only ever join candidate rows
        pairs, known = prune(prep, candidates, settings.threshold, sig, bulk)
    else:
        # a few pairs (a sync after a handful of edits): scoring them is cheaper than building the
        # bulk scorer's matrices over the whole table; blocking already left out what a guard rules out
        bulk, pairs, known = None, candidates, np.full(len(candidates), np.nan)
    scored = settle(pairs.tolist(), known.tolist())

    def score_many(todo: list[tuple[int, int]]) -> list[PairScore]:
        return settle(todo, bulk.scores(np.asarray(todo, dtype=np.int64).reshape(-1, 2)).tolist())

    clusters = build_clusters(scored, score, settings.threshold, score_many if bulk is not None else None)
    explained = []
    for c in clusters:
        best = max(c.pairs, key=lambda p: p.score)
        explained.append(replace(c, why=prep.explain(best.a, best.b).why))
    return Duplicates(tuple(explained), prep.plan, len(candidates), one_by_one)


def prefilter(prep: Prepared, threshold: float) -> float:
    """The main-text similarity (0-100) below which a candidate pair is not scored at all.

    A tracker's score is mostly its title's, half of which is this very ratio, so pairs far below
    the threshold can be dropped; a generic record lets the other columns make up for a weak main
    text (a name typed "Smith, J."), so it keeps more."""
    if prep.plan.tracker:
        return max(40.0, min(80.0, 100 * threshold - 10))
    return max(30.0, min(50.0, 100 * threshold - 35))


def match_duplicates(a: Table, b: Table, *, title: str | None = None, key: str | None = None,
                     threshold: float = DEFAULT_THRESHOLD) -> list[tuple[int, int]]:
    """Rows of ``a`` that are duplicates of rows of ``b`` (same columns), paired one-to-one, best
    first: ``[(row of a, row of b), ...]``. Two rows that both fill the ``key`` column are never
    paired (the team's ids say which task is which). Used by the merge for tasks two copies added."""
    if not len(a) or not len(b) or a.columns != b.columns:
        return []
    both = Table(a.columns, a.rows + b.rows)
    prep = prepare(both, DupeSettings(title=title, threshold=threshold))
    if prep is None:
        return []
    at_key = None
    if key is not None:
        try:
            at_key = find_column(both, key)
        except UnknownColumn:
            at_key = None
    n = len(a)
    scored = []
    for i, j in candidate_pairs(prep, prefilter(prep, threshold), across=n).tolist():
        if at_key is not None and not is_empty(both.rows[i][at_key]) and not is_empty(both.rows[j][at_key]):
            continue
        p = prep.score(i, j)
        if p.score >= threshold:
            scored.append((p.score, i, j - n))
    pairs, used_a, used_b = [], set(), set()
    for _, i, j in sorted(scored, key=lambda x: (-x[0], x[1], x[2])):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return pairs


def score_rows(table: Table, i: int, j: int, settings: DupeSettings = DupeSettings()) -> PairScore:
    """The duplicate score of two rows of ``table`` (indices), as ``find_duplicates`` computes it."""
    prep = prepare(table, settings)
    if prep is None:
        return PairScore(min(i, j), max(i, j), 0.0, "nothing to compare")
    return prep.explain(i, j)


__all__ = [
    "Cluster", "Combined", "DEFAULT_THRESHOLD", "DupeSettings", "Duplicates", "Field", "Mapper", "PairScore", "Plan",
    "Prepared", "Title", "UnknownColumn", "adopt_titles", "combine_rows", "find_duplicates", "guard", "match_duplicates",
    "parse_title", "parsed_titles", "prepare", "score_rows", "warm_up",
]
