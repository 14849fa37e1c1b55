"""The slow pure-Python steps of a big duplicate search, split over two processes.

``split_map`` is the ``mapper`` the core and the CLI hand to ``syncd.merge.dupes.find_duplicates``:
the merge package only computes; starting processes is decided here.

Parsing tens of thousands of titles and scoring tens of thousands of pairs one by one is Python
work the interpreter lock keeps on one core, and the machines syncd runs on have two. For a big
enough batch the second half goes to a forked child, which inherits the prepared table as it is in
memory (nothing is copied in), computes its half and sends back only the results; the parent does
the first half meanwhile. Small batches, machines with one core and platforms without ``fork`` keep
the plain loop: the results are the same either way, and a child that cannot be started or dies
only means the parent computes that half itself.

``beside`` runs one whole computation (a big tracker's duplicate search) in a forked child while
the parent does other work that does not depend on it (opening the canonical for the write), with
the same fallbacks.

Neither forks beside other threads (the daemon's): a child inherits only the forking thread, and a
lock another thread held at that moment would stay locked in the child forever.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Below this many items a child costs more (its start, sending the results back) than it saves.
MIN_ITEMS = 8_000

#: The parent's share of the items.
PARENT_SHARE = 0.55

_job: tuple[Callable, Sequence] | None = None


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def forkable() -> bool:
    """Whether helper processes may be forked here (``SYNCD_WORKERS=1`` forbids it)."""
    return os.environ.get("SYNCD_WORKERS", "") != "1" and "fork" in multiprocessing.get_all_start_methods()


def _child_half(lo: int, hi: int) -> list:
    # The collector would walk every object the child inherited, touching (and so copying) every
    # page of the parent's memory: the child's short life does not need it.
    gc.disable()
    fn, items = _job  # inherited from the parent at fork time
    return fn(items[lo:hi])


def split_map(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], min_items: int = MIN_ITEMS) -> list[R]:
    """``fn(items)``, with the last part of ``items`` computed in a forked child when worth it.

    ``fn`` maps a slice of ``items`` to a list of as many results, in order, and must be pure: the
    child runs it on the parent's memory as it was when the child started. Its results must pickle.
    """
    n = len(items)
    if n < min_items or cores() < 2 or not forkable() or threading.active_count() > 1:
        return fn(items)  # beside other threads, the same rule as ``beside``'s
    global _job
    # the parent takes a little more: the child's half also pays for sending its results back
    half = int(n * PARENT_SHARE)
    _job = (fn, items)
    gc.freeze()  # what exists now is the child's to read, not the collector's to walk
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
            try:
                second = pool.submit(_child_half, half, n)
            except (BrokenProcessPool, OSError):  # no child to be had (out of memory, process limit)
                second = None
            first = fn(items[:half])
            try:
                rest = second.result() if second is not None else fn(items[half:])
            except (BrokenProcessPool, OSError):
                rest = fn(items[half:])
    finally:
        gc.unfreeze()
        _job = None
    return first + rest


_beside: Callable[[], object] | None = None


_after: Callable[[], None] | None = None
#: children of ``beside`` still doing their ``after`` work; ``finish`` waits for them
_lingering: list = []
#: How long ``finish`` waits for a child's ``after`` work before stopping it (it only saves time later).
AFTER_TIMEOUT_S = 60.0


def _beside_child(send) -> None:
    gc.disable()  # as in _child_half: the inherited objects stay the parent's pages
    assert _beside is not None
    try:
        got = (True, _beside())
    except BaseException:  # noqa: BLE001 - the parent computes it again and sees what goes wrong itself
        got = (False, None)
    try:
        send.send(got)
    except Exception:  # noqa: BLE001 - a result that does not pickle: the parent computes it
        send.send((False, None))
        return
    send.close()
    if got[0] and _after is not None:
        try:
            _after()
        except Exception:  # noqa: BLE001 - work for later syncs only; this one has its result
            pass


def _background_child() -> None:
    gc.disable()  # as in _child_half
    try:
        if _after is not None:
            _after()
    except Exception:  # noqa: BLE001 - work for later syncs only
        pass


def in_background(fn: Callable[[], None]) -> None:
    """Run ``fn()`` in a forked child this process does not wait for until ``finish``: work whose
    result only a later sync uses (it must be pure but for the files it writes). Not done at all
    without a second core or ``fork``, or beside other threads (the same rules as ``beside``)."""
    if cores() < 2 or not forkable() or threading.active_count() > 1:
        return
    global _after
    _after = fn
    gc.freeze()
    try:
        child = multiprocessing.get_context("fork").Process(target=_background_child, name="syncd-keep")
        child.start()
        _lingering.append(child)
    except OSError:  # no child to be had: the later sync does the work itself
        pass
    finally:
        gc.unfreeze()
        _after = None


def finish(timeout: float = AFTER_TIMEOUT_S) -> None:
    """Wait for the children of ``beside`` still at their ``after`` work; stop one that takes
    longer than ``timeout`` seconds."""
    while _lingering:
        child = _lingering.pop()
        child.join(timeout)
        if child.is_alive():
            child.terminate()
            child.join()


def beside(fn: Callable[[], R], meanwhile: Callable[[], None], after: Callable[[], None] | None = None) -> R:
    """``fn()``, computed in a forked child while this process runs ``meanwhile()``.

    For two steps that do not depend on each other, each a second or more of Python work: the
    duplicate search (``fn``, pure: it only reads memory) and opening the previous canonical to
    keep its formatting (``meanwhile``, which needs this process's objects). Without a second core
    or ``fork``, beside other threads (the daemon's: a whole search forked there could inherit a lock
    one of them holds), or when the child cannot start, dies or fails, ``fn()`` runs here: the same
    result, later. ``fn``'s result must pickle.

    ``after`` is work for the child once it has sent its result, which this process does not wait
    for until ``finish`` (keeping what the child computed for a later sync). It is left out when
    ``fn`` runs here: there it would only delay this sync.
    """
    if cores() < 2 or not forkable() or threading.active_count() > 1:
        meanwhile()
        return fn()
    global _beside, _after
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    _beside, _after = fn, after
    gc.freeze()
    child = None
    try:
        try:
            child = ctx.Process(target=_beside_child, args=(send,), name="syncd-beside")
            child.start()
        except OSError:  # no child to be had (out of memory, process limit)
            child = None
        send.close()  # the child holds the sending end now: a child that dies means end of file here
        meanwhile()
        if child is not None:
            try:
                ok, got = receive.recv()
            except (EOFError, OSError):
                ok, got = False, None
            if ok and after is not None:
                _lingering.append(child)
            else:
                child.join()
            if ok:
                return got
        return fn()
    finally:
        gc.unfreeze()
        receive.close()
        _beside = _after = None
