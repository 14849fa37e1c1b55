"""The pure merge engine: tables in, decisions out (no files, no clock, no randomness).

* ``merge(base, state, revision)`` — apply one copy onto the canonical, three-way against the
  generation the copy was made from (``three_way``).
* ``initial_state(revisions)`` — the first canonical from copies with no known base (``infer``).
* ``pick_base(revision, generations)`` — which stored generation a copy was made from (``infer``).
* ``merge3(base, ours, theirs)`` — three plain files (``three_files``).
* ``align_rows(a, b)`` — which row is which between two tables (``align``, ``rows``, ``fuzzy``).

Combining several copies in one sync is the caller's job: call ``merge`` for each, feeding
``result.state`` back in.
"""

from syncd.merge.align import align_rows
from syncd.merge.fuzzy import title_of_table
from syncd.merge.infer import initial_state, pick_base
from syncd.merge.plan import (
    ArchivedRow,
    CellChange,
    Conflict,
    ConflictValue,
    MergeOptions,
    MergeResult,
    Provenance,
    Revision,
    State,
)
from syncd.merge.three_files import merge3
from syncd.merge.three_way import merge
from syncd.merge.values import same

__all__ = [
    "ArchivedRow",
    "CellChange",
    "Conflict",
    "ConflictValue",
    "MergeOptions",
    "MergeResult",
    "Provenance",
    "Revision",
    "State",
    "align_rows",
    "initial_state",
    "merge",
    "merge3",
    "pick_base",
    "same",
    "title_of_table",
]
