"""Facts about an immutable table, worked out once for the few tables a sync asks about again."""

from __future__ import annotations

import functools
import threading
from typing import Callable, TypeVar

_R = TypeVar("_R")
_MEMOS: list[dict] = []
# The daemon syncs each tracker in a thread of its own, and a pass that ends forgets everything
# while another may be merging: each look and each change of a memo is done under this lock (the
# facts themselves are worked out outside it).
_LOCK = threading.Lock()
_KEPT = 4


def remembered(fn: Callable[..., _R]) -> Callable[..., _R]:
    """``fn`` of an immutable table (or tuple), remembered for the last few it was asked about: a
    sync merges every copy against the same base table, and each of these costs 20-50 ms on
    100,000 rows. Held by reference, so an id is never mistaken for a later object's."""
    memo: dict[tuple, tuple[object, _R]] = {}
    _MEMOS.append(memo)

    @functools.wraps(fn)
    def wrapper(obj: object, *args: object) -> _R:
        key = (id(obj), *args)
        with _LOCK:
            got = memo.get(key)
        if got is not None and got[0] is obj:
            value = got[1]
        else:
            value = fn(obj, *args)
        with _LOCK:
            memo.pop(key, None)
            memo[key] = (obj, value)  # the most recent last: the oldest goes first
            while len(memo) > _KEPT:
                memo.pop(next(iter(memo)))
        return value

    return wrapper


def forget() -> None:
    """Let go of every remembered fact, and of the tables they hold: called when a sync pass is
    over, so a daemon waiting for the next copies holds no copy's table (100 MB and more on a
    100,000-row tracker). Another tracker's pass under way then works its facts out again."""
    with _LOCK:
        for memo in _MEMOS:
            memo.clear()


def size() -> int:
    """How many facts are remembered now, over all the functions that remember."""
    with _LOCK:
        return sum(map(len, _MEMOS))
