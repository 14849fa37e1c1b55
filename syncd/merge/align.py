"""Aligning two tables: columns first by name, then rows, then leftover columns by content.

Content matching needs rows to compare, and row matching needs columns to compare, so columns
matched by name drive a first row alignment; columns still unmatched are then compared over those
rows, and if that finds more columns the rows are aligned again with all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from syncd.merge.columns import match_columns_by_content, match_columns_by_name
from syncd.merge.plan import MergeOptions
from syncd.merge.rows import id_pairs, match_rows
from syncd.model import Table


@dataclass(frozen=True)
class Alignment:
    """How table ``b`` corresponds to table ``a``: ``(column of a, column of b)`` pairs and
    ``(row of a, row of b)`` pairs, both sorted by ``a``. ``renamed`` lists the column pairs whose
    names differ."""

    columns: tuple[tuple[int, int], ...]
    rows: tuple[tuple[int, int], ...]
    renamed: tuple[tuple[int, int], ...]


def align_tables(a: Table, b: Table, options: MergeOptions = MergeOptions(),
                 ids_only: bool = False) -> Alignment:
    """Align ``b`` to ``a``. With ``ids_only`` rows pair by row id alone (for two tables that both
    come from syncd, where a row without a shared id really is another row)."""
    columns = match_columns_by_name(a.columns, b.columns)

    def rows_for(cols: list[tuple[int, int]]) -> list[tuple[int, int]]:
        return id_pairs(a, b) if ids_only else match_rows(a, b, cols, options)

    rows = rows_for(columns)
    free_a = [i for i in range(a.width) if i not in {p for p, _ in columns}]
    free_b = [j for j in range(b.width) if j not in {q for _, q in columns}]
    extra = match_columns_by_content(a, b, free_a, free_b, rows)
    if extra:
        columns = sorted(columns + extra)
        rows = rows_for(columns)
    renamed = tuple((i, j) for i, j in columns if a.columns[i].strip() != b.columns[j].strip())
    # both ``match_rows`` and ``id_pairs`` give their pairs sorted by ``a`` already (sorting
    # 100,000 sorted pairs again cost a merge 5-8 ms)
    return Alignment(tuple(columns), tuple(rows), renamed)


def align_columns(a: Table, b: Table, options: MergeOptions = MergeOptions(),
                  ids_only: bool = False) -> list[tuple[int, int]]:
    """Only the column pairs of ``align_tables`` (same result). Rows are aligned only when some
    columns are left to match by content, which saves aligning two big tables for nothing."""
    columns = match_columns_by_name(a.columns, b.columns)
    paired_a, paired_b = {p for p, _ in columns}, {q for _, q in columns}
    if not any(i not in paired_a for i in range(a.width)) or not any(j not in paired_b for j in range(b.width)):
        return sorted(columns)
    return list(align_tables(a, b, options, ids_only).columns)


def align_rows(a: Table, b: Table, options: MergeOptions = MergeOptions()) -> list[tuple[int, int]]:
    """Which row of ``b`` is which row of ``a``: one-to-one ``(row of a, row of b)`` pairs sorted
    by ``a``, using row ids, then the key column, then identical rows, then fuzzy similarity (see
    ``syncd.merge.rows``). Columns are matched first (by name, then by content), so the two tables
    may name or order their columns differently."""
    return list(align_tables(a, b, options).rows)
