"""Python's cycle collector, paused while syncd builds big tables.

Reading, merging and searching a tracker builds millions of rows and cells and no reference cycles.
The collector would walk the growing heap again and again for nothing: a quarter of a 100,000-row
sync, a tenth of merging three 10,000-row files. Memory is still freed as usual while it is paused
(by reference counting); cycles left behind are collected once the work ends.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
