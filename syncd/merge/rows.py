"""Row alignment: which row of one table is which row of the other, one-to-one.

Stages, each working only on rows the earlier ones left unpaired:

1. row id (the hidden syncd id column; a duplicated id counts only for its first row);
2. key column: ``MergeOptions.key``, or a column named like id / key / ref / # / no / number /
   task id whose values are unique and non-empty in both tables. Rows whose key finds no partner
   are different tasks and take no part in the later stages;
3. identical rows (every common cell the same), duplicates paired one-to-one in order;
4. fuzzy similarity (see ``syncd.merge.fuzzy``) above ``MergeOptions.match_threshold``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Sequence

from syncd.merge.fuzzy import detect_title, fuzzy_pairs
from syncd.merge.memo import remembered
from syncd.merge.plan import MergeOptions
from syncd.merge.values import is_empty, normalise_name, value_key
from syncd.model import Table

_KEY_WORDS = frozenset({"id", "key", "ref", "reference", "no", "nr", "num", "number", "#"})
_KEY_NAMES = frozenset({"taskid", "itemid", "ticketid", "issueid", "rowid", "uid", "uuid", "guid",
                        "taskno", "tasknumber", "taskref", "refno", "idno"})
_NAME_TOKENS = re.compile(r"#|[^\W_]+", re.UNICODE)


def looks_like_key_name(name: str) -> bool:
    """Whether a column name says it identifies rows ("ID", "Task ID", "Ref", "#", "No.")."""
    tokens = _NAME_TOKENS.findall(name.casefold())
    return bool(tokens) and (tokens[-1] in _KEY_WORDS or normalise_name(name) in _KEY_NAMES)


@remembered
def _stripped_text(table: Table, col: int) -> list[str] | None:
    """Column ``col``'s values stripped, when it holds text only (the usual key column); else
    ``None``. Read only: it is remembered, for both questions asked of a key column below."""
    values = list(map(itemgetter(col), table.rows))
    if not values or set(map(type, values)) != {str}:
        return None
    return list(map(str.strip, values))


@remembered
def _unique_keys(table: Table, col: int) -> bool:
    stripped = _stripped_text(table, col)
    if stripped is not None:  # the usual key column, checked in bulk
        distinct = set(stripped)
        return len(distinct) == len(stripped) and "" not in distinct
    seen = set()
    for row in table.rows:
        v = row[col]
        if is_empty(v):
            return False
        k = value_key(v)
        if k in seen:
            return False
        seen.add(k)
    return True


@remembered
def _text_keys(table: Table, col: int) -> dict[str, int] | None:
    """Each row of ``table`` by its key in column ``col``, stripped, when that column holds text
    only, every key its own and none empty: the usual key column. Then ``value_key`` of a key is
    its stripped text, so pairing by this index pairs as the general stage does, with the base's
    side made once per sync, not once per copy (for copies without row ids: 0.2 s a copy on
    100,000 rows). Read only: it is remembered."""
    stripped = _stripped_text(table, col)
    if stripped is None:
        return None
    index = dict(zip(stripped, range(len(stripped))))
    return index if len(index) == len(stripped) and "" not in index else None


def detect_key(a: Table, b: Table, col_pairs: Sequence[tuple[int, int]],
               options: MergeOptions) -> int | None:
    """Index into ``col_pairs`` of the key column, or ``None``.

    ``options.key`` is used when either table has a column of that name (exact or normalised);
    otherwise the first key-named column with unique, non-empty values on both sides.
    """
    if options.key is not None:
        return _named(a, b, col_pairs, options.key)
    for n, (i, j) in enumerate(col_pairs):
        if not (looks_like_key_name(a.columns[i]) or looks_like_key_name(b.columns[j])):
            continue
        if len(a) and len(b) and _unique_keys(a, i) and _unique_keys(b, j):
            return n
    return None


def _pair_by(keys_a: dict, keys_b: dict) -> list[tuple[int, int]]:
    """Pair rows sharing a key, first with first, second with second..."""
    pairs = []
    for k, rows_a in keys_a.items():
        rows_b = keys_b.get(k)
        if rows_b:
            pairs.extend(zip(rows_a, rows_b))
    return pairs


def id_pairs(a: Table, b: Table) -> list[tuple[int, int]]:
    """Rows paired by row id alone (a duplicated id counts for its first row only), sorted by the
    row of ``a``."""
    first_a, first_b = first_rows(a.row_ids), first_rows(b.row_ids)
    if len(first_a) == len(a.row_ids):  # every row of ``a`` has its own id: no first to check
        partners = list(map(first_b.get, a.row_ids))
        # the pairs whose partner is not None, filtered in C (100,000 rows a merge)
        return list(compress(enumerate(partners), map(is_not, partners, repeat(None))))
    partner = map(first_b.get, a.row_ids)
    return [(i, j) for i, (rid, j) in enumerate(zip(a.row_ids, partner)) if j is not None and first_a[rid] == i]


@remembered
def first_rows(ids: tuple[str | None, ...]) -> dict[str, int]:
    """Each id's first row: for ids that are all their own (a base's, see ``three_way``), each
    id's row. Read only: it is remembered, because one sync asks for it again and again (the
    copy's ids checked, then paired; the base's for every copy merged against it). Built
    backwards so that the first occurrence is written last."""
    first = dict(zip(reversed(ids), range(len(ids) - 1, -1, -1)))
    first.pop(None, None)  # type: ignore[call-overload]
    return first


def _named(a: Table, b: Table, col_pairs: Sequence[tuple[int, int]], name: str) -> int | None:
    """Index into ``col_pairs`` of the column called ``name`` (exactly or normalised) on either side."""
    wanted = normalise_name(name)
    for n, (i, j) in enumerate(col_pairs):
        names = (a.columns[i], b.columns[j])
        if name in names or wanted in map(normalise_name, names):
            return n
    return None


def title_column(a: Table, b: Table, col_pairs: Sequence[tuple[int, int]], options: MergeOptions,
                 key: int | None = None) -> int | None:
    """Index into ``col_pairs`` of the title column (``options.title`` on either side, else the
    most varied text column; see ``syncd.merge.fuzzy.detect_title``)."""
    if options.title is not None:
        named = _named(a, b, col_pairs, options.title)
        if named is not None:
            return named
    all_a = [tuple(r[c] for c, _ in col_pairs) for r in a.rows]
    all_b = [tuple(r[c] for _, c in col_pairs) for r in b.rows]
    return detect_title(all_a, all_b, [a.columns[c] for c, _ in col_pairs], None, exclude=key)


def match_rows(a: Table, b: Table, col_pairs: Sequence[tuple[int, int]],
               options: MergeOptions, use_ids: bool = True) -> list[tuple[int, int]]:
    """One-to-one row pairs ``(row of a, row of b)``, given which columns correspond.

    ``col_pairs`` are ``(column of a, column of b)``; only those cells are compared. Sorted by
    the row of ``a``.
    """
    pairs: list[tuple[int, int]] = []
    free_a = set(range(len(a)))
    free_b = set(range(len(b)))

    def take(found: list[tuple[int, int]]) -> None:
        if len(free_a) == len(a) and len(free_b) == len(b):
            # Nothing taken yet and every stage pairs one-to-one: take them all at once.
            pairs.extend(found)
            free_a.difference_update(map(itemgetter(0), found))
            free_b.difference_update(map(itemgetter(1), found))
            return
        for i, j in found:
            if i in free_a and j in free_b:
                pairs.append((i, j))
                free_a.discard(i)
                free_b.discard(j)

    if use_ids:
        take(id_pairs(a, b))

    # Without rows left on both sides no later stage pairs anything (and a key is detected by
    # reading every row of both tables).
    key = detect_key(a, b, col_pairs, options) if free_a and free_b else None
    index_a = index_b = None
    if key is not None:
        ka, kb = col_pairs[key]
        if len(free_b) * 2 > len(b):  # most rows unpaired (no row ids): worth indexing both sides
            index_a = _text_keys(a, ka)
            index_b = _text_keys(b, kb) if index_a is not None else None
    if index_a is not None and index_b is not None:
        # every row on both sides has a key of its own: rows pair by it (``take`` skips the rows
        # ids paired), or are other tasks; the pairs found in C
        partners = list(map(index_b.get, index_a))
        found = list(compress(zip(index_a.values(), partners), map(is_not, partners, repeat(None))))
        if len(free_a) == len(a) and len(free_b) == len(b):
            pairs.extend(found)  # nothing taken yet, and nothing is left free after: no sets to update
        else:
            take(found)
        free_a.clear()
        free_b.clear()
    elif key is not None:
        keys_a, keys_b = defaultdict(list), defaultdict(list)
        for i in sorted(free_a):
            if not is_empty(a.rows[i][ka]):
                keys_a[value_key(a.rows[i][ka])].append(i)
        for j in sorted(free_b):
            if not is_empty(b.rows[j][kb]):
                keys_b[value_key(b.rows[j][kb])].append(j)
        take(_pair_by(keys_a, keys_b))
        # A key that found no partner names a different task: keep it out of the guessing stages.
        free_a -= {i for i in free_a if not is_empty(a.rows[i][ka])}
        free_b -= {j for j in free_b if not is_empty(b.rows[j][kb])}

    if free_a and free_b and col_pairs:
        rows_a, rows_b = defaultdict(list), defaultdict(list)
        for i in sorted(free_a):
            rows_a[tuple(value_key(a.rows[i][c]) for c, _ in col_pairs)].append(i)
        for j in sorted(free_b):
            rows_b[tuple(value_key(b.rows[j][c]) for _, c in col_pairs)].append(j)
        take(_pair_by(rows_a, rows_b))

    if free_a and free_b and col_pairs:
        left_a, left_b = sorted(free_a), sorted(free_b)
        sub_a = [tuple(a.rows[i][c] for c, _ in col_pairs) for i in left_a]
        sub_b = [tuple(b.rows[j][c] for _, c in col_pairs) for j in left_b]
        title = title_column(a, b, col_pairs, options, key)
        pos_a = [i / max(len(a) - 1, 1) for i in left_a]
        pos_b = [j / max(len(b) - 1, 1) for j in left_b]
        found = fuzzy_pairs(sub_a, sub_b, pos_a, pos_b, title, options.match_threshold)
        take([(left_a[i], left_b[j]) for i, j in found])

    pairs.sort()
    return pairs
