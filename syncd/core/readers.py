"""Reading the copies one sync takes, side by side where the machine has the cores for it.

Reading a 100,000-row copy takes seconds, and most of that is Python work the interpreter lock
keeps on one core: judging the file's bytes, typing its cells. Threads barely help there (measured:
about a tenth), so copies on disk that are big enough to pay for it are read in processes of their
own, two at a time. Smaller copies are read in two threads of this process: a process's start costs
more than such a copy takes, and python-calamine lets go of the interpreter lock while it unpacks a
file, which for a small file is a larger share of the work (three 10,000-row copies: 0.45 s one
after the other, 0.31 s in threads). A machine with one core, and places that cannot be read from
another process or thread (a Google Sheet's connection), are read here, one after the other.

Copies are read against the rows of the generation syncd holds (``held``, see
``syncd.workbook.held``): a row a copy shares with it is not typed again. A process with no other
thread (a one-shot ``syncd sync``) forks its readers, so they hold those rows as this process does
and send each such row back as its position only (packing 100,000 rows took a reader 0.3 s a copy,
unpacking them here 0.1 s); the merge then finds the very rows it holds. The daemon has threads,
and a forked child could inherit a lock one of them held, so there the readers are started fresh
(``spawn``) and send whole tables. (So a program that drives syncd from Python must guard its own
start with ``if __name__ == "__main__"``, as ``python -m syncd`` does.) Should the processes fail
at all, the copies not read yet are read here instead: slower, never lost.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from typing import Callable, Iterator

from syncd.core.workers import cores, forkable
from syncd.errors import CopyRejected
from syncd.model import SheetRead, Table
from syncd.sources.base import CopyRef, Source
from syncd.workbook.held import HeldRows

#: Copies read at once (each holds a whole sheet in memory while it is read).
READ_WORKERS = 2
#: Seconds between thread switches while this process works ahead waiting for a copy.
_WAITING_SWITCH = 0.0005
#: From this many bytes of copies to read (with at least two copies), processes pay for their start.
PROCESS_BYTES = 12 << 20

Item = tuple[Source, CopyRef, str]
Outcome = SheetRead | CopyRejected


def read_one(source: Source, ref: CopyRef, sheet: str | None, held: HeldRows | None = None) -> Outcome:
    try:
        return source.read(ref, sheet, held) if held is not None else source.read(ref, sheet)
    except CopyRejected as exc:
        return exc


#: the held rows of the ``read_all`` under way, which the readers it forks inherit
_held_here: HeldRows | None = None
_NO_ROWS = Table((), ())


def _in_child(source: Source, ref: CopyRef, sheet: str | None) -> tuple:
    # an exception with its own constructor does not survive pickling: send its parts
    got = read_one(source, ref, sheet, _held_here)
    if isinstance(got, CopyRejected):
        return ("rejected", got.file, got.reason, got.advice)
    packed = _held_here.compact(got.table) if _held_here is not None else None
    if packed is None:
        return ("read", got)
    t = got.table
    return ("held", replace(got, table=_NO_ROWS), t.columns, packed, t.header_row)


def _outcome(sent: tuple, held: HeldRows | None) -> Outcome | None:
    if sent[0] == "rejected":
        return CopyRejected(*sent[1:])
    if sent[0] == "held":
        if held is None:
            return None  # cannot happen (only forked readers send positions): read the copy here
        read, columns, packed, header_row = sent[1:]
        return replace(read, table=Table(columns, *held.expand(packed), header_row))
    return sent[1]


def read_all(todo: list[Item], sheet: str | None, held: Table | None = None,
             idle: Callable[[], bool] | None = None) -> Iterator[tuple[int, Item, Outcome]]:
    """``(index, item, SheetRead or CopyRejected)`` for each copy of ``todo``, in order. ``held``:
    the table of the generation the copies were most likely made from, if any. ``idle`` is called
    over and over while this process waits for a copy that reader processes are still reading and
    a core has nothing to do (fewer readers at work than cores), for a slice of work that can be
    done ahead (a few hundredths of a second); it says whether it did any, and once it did none it
    is not called again until the next wait."""
    global _held_here
    rows = HeldRows(held) if held is not None else None
    apart = [n for n, (source, _, _) in enumerate(todo) if source.concurrent_reads]
    size = sum(todo[n][1].size for n in apart)
    if cores() < 2 or len(apart) < 2:
        # getting the held rows ready costs about what they save on one copy: worth it from two
        here = rows if len(todo) > 1 else None
        for i, item in enumerate(todo):
            yield i, item, read_one(item[0], item[1], sheet, here)
        return
    pool: Executor | None = None
    futures: dict[int, Future] = {}
    forked = False
    try:
        if size < PROCESS_BYTES:
            pool = ThreadPoolExecutor(max_workers=READ_WORKERS, thread_name_prefix="syncd-read")
            # one HeldRows per thread: each makes its own ready, none waits for another
            job, sent = (lambda source, ref, sheet: read_one(source, ref, sheet, _thread_rows(held))), (lambda got: got)
        else:
            forked = forkable() and threading.active_count() == 1
            if forked:
                # Each reader gets the held rows ready itself, on the first copy laid out with
                # the held table's columns: a copy laid out otherwise never needs them, and getting
                # them ready here would hold both readers back (0.5 s on 100,000 rows).
                _held_here = rows
                gc.freeze()  # the readers' collectors then leave the inherited objects (and pages) alone
            pool = ProcessPoolExecutor(max_workers=min(READ_WORKERS, len(apart)),
                                       mp_context=multiprocessing.get_context("fork" if forked else "spawn"))
            job, sent = _in_child, (lambda got: _outcome(got, rows))
        for n in apart:
            futures[n] = pool.submit(job, *todo[n][:2], sheet)
    except Exception:  # noqa: BLE001 - no processes or threads to be had: what was not sent is read here
        pass
    try:
        for i, item in enumerate(todo):
            future = futures.pop(i, None)
            got = None
            if future is not None and idle is not None and not isinstance(pool, ThreadPoolExecutor):
                # the last copies are read by one reader while the other core waits with this process
                interval = sys.getswitchinterval()
                # The copy comes in through the pool's own thread, a piece of the pipe at a time, and
                # takes the interpreter lock at each; with the default 5 ms between switches, a busy
                # idle() kept it waiting 0.2-0.3 s for a 100,000-row copy.
                sys.setswitchinterval(_WAITING_SWITCH)
                try:
                    while (not future.done() and 1 + sum(not f.done() for f in futures.values()) < cores()
                           and idle()):
                        pass
                finally:
                    sys.setswitchinterval(interval)
            if future is not None:
                try:
                    got = sent(future.result())
                except Exception:  # noqa: BLE001 - the helper failed, not the copy: read it here
                    got = None
            yield i, item, got if got is not None else read_one(item[0], item[1], sheet, rows)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if forked:
            gc.unfreeze()
            _held_here = None


_local = threading.local()


def _thread_rows(held: Table | None) -> HeldRows | None:
    if held is None:
        return None
    mine = getattr(_local, "rows", None)
    if mine is None or mine.table is not held:
        mine = _local.rows = HeldRows(held)
    return mine
