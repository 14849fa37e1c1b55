"""Reading the copies one sync takes, side by side where the machine has the cores for it.

Reading a 100,000-row copy takes seconds, and most of that is Python work the interpreter lock
keeps on one core: judging the file's bytes, typing its cells. Threads barely help there (measured:
about a tenth), so copies on disk that are big enough to pay for it are read in processes of their
own, two at a time. Smaller copies are read in two threads of this process: a process's start costs
more than such a copy takes, and python-calamine lets go of the interpreter lock while it unpacks a
file, which for a small file is a larger share of the work (three 10,000-row copies: 0.45 s one
after the other, 0.31 s in threads). A machine with one core, and places that cannot be read from
another process or thread (a Google Sheet's connection), are read here, one after the other.

The processes are started fresh (``spawn``), not forked: the daemon has threads, and a forked child
could inherit a lock some thread held. (So a program that drives syncd from Python must guard its
own start with ``if __name__ == "__main__"``, as ``python -m syncd`` does.) Should the processes
fail at all, the copies not read yet are read here instead: slower, never lost.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Iterator

from syncd.errors import CopyRejected
from syncd.core.workers import cores
from syncd.model import SheetRead
from syncd.sources.base import CopyRef, Source

#: Copies read at once (each holds a whole sheet in memory while it is read).
READ_WORKERS = 2
#: From this many bytes of copies to read (with at least two copies), processes pay for their start.
PROCESS_BYTES = 12 << 20

Item = tuple[Source, CopyRef, str]
Outcome = SheetRead | CopyRejected


def read_one(source: Source, ref: CopyRef, sheet: str | None) -> Outcome:
    try:
        return source.read(ref, sheet)
    except CopyRejected as exc:
        return exc


def _in_child(source: Source, ref: CopyRef, sheet: str | None) -> tuple:
    # an exception with its own constructor does not survive pickling: send its parts
    got = read_one(source, ref, sheet)
    if isinstance(got, CopyRejected):
        return ("rejected", got.file, got.reason, got.advice)
    return ("read", got)


def _outcome(sent: tuple) -> Outcome:
    if sent[0] == "rejected":
        return CopyRejected(*sent[1:])
    return sent[1]


def read_all(todo: list[Item], sheet: str | None) -> Iterator[tuple[int, Item, Outcome]]:
    """``(index, item, SheetRead or CopyRejected)`` for each copy of ``todo``, in order."""
    apart = [n for n, (source, _, _) in enumerate(todo) if source.concurrent_reads]
    size = sum(todo[n][1].size for n in apart)
    if cores() < 2 or len(apart) < 2:
        for i, item in enumerate(todo):
            yield i, item, read_one(item[0], item[1], sheet)
        return
    pool: Executor | None = None
    futures: dict[int, Future] = {}
    try:
        if size < PROCESS_BYTES:
            pool = ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="syncd-read")
            job, sent = read_one, (lambda got: got)
        else:
            pool = ProcessPoolExecutor(max_workers=min(READ_WORKERS, len(apart)),
                                       mp_context=multiprocessing.get_context("spawn"))
            job, sent = _in_child, _outcome
        for n in apart:
            futures[n] = pool.submit(job, *todo[n][:2], sheet)
    except Exception:  # noqa: BLE001 - no processes or threads to be had: what was not sent is read here
        pass
    try:
        for i, item in enumerate(todo):
            future = futures.pop(i, None)
            got = None
            if future is not None:
                try:
                    got = sent(future.result())
                except Exception:  # noqa: BLE001 - the helper failed, not the copy: read it here
                    got = None
            yield i, item, got if got is not None else read_one(item[0], item[1], sheet)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
