"""Duplicate rows: which rows of one table are the same task (or record) typed twice. Pure.

``find_duplicates(table, settings)`` is the whole pipeline: pick the columns (``fields``), normalise
every compared cell once (``text``, ``fields``), find candidate pairs without comparing every pair
(``blocking``), score them (``score``, with the ``guards`` that keep "Q3" and "Q4" apart), and cluster
(``cluster``). ``combine_rows`` merges two rows of one task (``combine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection

from syncd.merge.dupes.blocking import candidate_pairs
from syncd.merge.dupes.cluster import Cluster, build_clusters
from syncd.merge.dupes.combine import Combined, combine_rows
from syncd.merge.dupes.fields import Field, Plan, UnknownColumn, plan_fields
from syncd.merge.dupes.guards import guard
from syncd.merge.dupes.score import PairScore, Prepared
from syncd.merge.dupes.text import Title, parse_title
from syncd.model import Table

#: The score from which a pair is flagged when nothing else is configured.
DEFAULT_THRESHOLD = 0.85


@dataclass(frozen=True)
class DupeSettings:
    """What to compare and from which score a pair is a duplicate.

    ``columns``: compare exactly these (the first is the main text); empty: the title column (``title``,
    else detected) and the tracker columns found by name. ``generic_fallback``: a table without such
    columns is compared on all its columns (``syncd dupes`` on any table).
    """

    columns: tuple[str, ...] = ()
    title: str | None = None
    threshold: float = DEFAULT_THRESHOLD
    generic_fallback: bool = False


@dataclass(frozen=True)
class Duplicates:
    """The clusters found (each at least two rows, ordered by their first row) and the plan used
    (``None`` when the table has no column to compare)."""

    clusters: tuple[Cluster, ...]
    plan: Plan | None


def prepare(table: Table, settings: DupeSettings = DupeSettings()) -> Prepared | None:
    """The table made ready for scoring (``None`` when it has nothing to compare).
    Raises ``UnknownColumn`` for a configured column the table lacks."""
    plan = plan_fields(table, settings.columns, settings.title, generic_fallback=settings.generic_fallback)
    return Prepared(table, plan) if plan is not None else None


def find_duplicates(table: Table, settings: DupeSettings = DupeSettings(),
                    keep_apart: Collection[tuple[int, int]] = ()) -> Duplicates:
    """Clusters of rows of ``table`` that look like one task.

    ``keep_apart`` holds row-index pairs ``(i, j)`` with ``i < j`` a person decided are different:
    they are never linked (a cluster that only they held together falls apart). Raises
    ``UnknownColumn`` for a configured column the table lacks.
    """
    prep = prepare(table, settings)
    if prep is None or len(table) < 2:
        return Duplicates((), prep.plan if prep else None)
    apart = {(min(i, j), max(i, j)) for i, j in keep_apart}

    def score(i: int, j: int) -> PairScore:
        i, j = min(i, j), max(i, j)
        if (i, j) in apart:
            return PairScore(i, j, 0.0, "kept apart by a person's decision")
        return prep.score(i, j)

    pairs = candidate_pairs(prep)
    scored = (score(int(i), int(j)) for i, j in pairs)
    clusters = build_clusters(scored, score, settings.threshold)
    return Duplicates(tuple(clusters), prep.plan)


def score_rows(table: Table, i: int, j: int, settings: DupeSettings = DupeSettings()) -> PairScore:
    """The duplicate score of two rows of ``table`` (indices), as ``find_duplicates`` computes it."""
    prep = prepare(table, settings)
    if prep is None:
        return PairScore(min(i, j), max(i, j), 0.0, "nothing to compare")
    return prep.score(i, j)


__all__ = [
    "Cluster", "Combined", "DEFAULT_THRESHOLD", "DupeSettings", "Duplicates", "Field", "PairScore", "Plan",
    "Prepared", "Title", "UnknownColumn", "combine_rows", "find_duplicates", "guard", "parse_title", "prepare",
    "score_rows",
]
