"""Deterministic row ids: the same copy merged twice (or on another machine) names its rows alike.

An id is ``"r"`` + 10 lowercase base32 characters (50 bits) of a BLAKE2b hash of the copy's seed,
the row's position and its content. A clash with an id already in use (astronomically rare, or a
hostile copy) is resolved by hashing again with a counter, so ids never collide.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Collection, Sequence

from syncd.merge.values import value_key
from syncd.model import Value


def new_row_id(seed: str, position: int, row: Sequence[Value], taken: Collection[str]) -> str:
    """A fresh id for ``row`` (found at ``position`` in the copy whose hash is ``seed``) that is not
    in ``taken``. The caller adds it to ``taken`` before asking for the next one."""
    content = repr(tuple(map(value_key, row)))
    attempt = 0
    while True:
        material = f"{seed}\x00{position}\x00{attempt}\x00{content}".encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(material, digest_size=10).digest()
        candidate = "r" + base64.b32encode(digest).decode("ascii")[:10].lower()
        if candidate not in taken:
            return candidate
        attempt += 1


def assign_ids(seed: str, rows: Sequence[Sequence[Value]], taken: Collection[str] = ()) -> list[str]:
    """Fresh ids for every row, distinct from each other and from ``taken``."""
    used = set(taken)
    ids = []
    for position, row in enumerate(rows):
        rid = new_row_id(seed, position, row, used)
        used.add(rid)
        ids.append(rid)
    return ids
