"""The two-core split of a big duplicate search gives exactly what one core gives, whatever happens."""

from __future__ import annotations

import os
import time

from syncd.core import workers


def _square_with_pid(chunk):
    return [(x * x, os.getpid()) for x in chunk]


def test_a_big_batch_is_split_over_two_processes_and_comes_back_in_order(monkeypatch):
    monkeypatch.setattr(workers, "cores", lambda: 2)
    items = list(range(20_000))
    out = workers.split_map(_square_with_pid, items, min_items=1_000)
    assert [v for v, _ in out] == [x * x for x in items]
    assert len({pid for _, pid in out}) == 2  # the second part really ran elsewhere


def test_a_child_that_dies_costs_time_not_results(monkeypatch, tmp_path):
    monkeypatch.setattr(workers, "cores", lambda: 2)
    parent = os.getpid()

    def dies_in_the_child(chunk):
        if os.getpid() != parent:
            (tmp_path / "child ran").touch()
            os._exit(3)
        return [x + 1 for x in chunk]

    assert workers.split_map(dies_in_the_child, list(range(10_000)), min_items=1_000) == list(range(1, 10_001))
    assert (tmp_path / "child ran").exists()  # the second part was sent away, and came back from here


def test_no_child_to_be_had_costs_time_not_results(monkeypatch):
    # fork fails when the machine is out of memory or processes: the parent does it all
    monkeypatch.setattr(workers, "cores", lambda: 2)

    def refuse(*args, **kwargs):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(workers.ProcessPoolExecutor, "submit", refuse)
    out = workers.split_map(_square_with_pid, list(range(10_000)), min_items=1_000)
    assert [v for v, _ in out] == [x * x for x in range(10_000)] and {pid for _, pid in out} == {os.getpid()}


def test_small_batches_and_single_core_machines_stay_in_process(monkeypatch):
    assert {pid for _, pid in workers.split_map(_square_with_pid, list(range(100)))} == {os.getpid()}
    monkeypatch.setattr(workers, "cores", lambda: 1)
    assert {pid for _, pid in workers.split_map(_square_with_pid, list(range(20_000)), 1_000)} == {os.getpid()}


def test_a_big_batch_beside_other_threads_stays_in_process(monkeypatch):
    # the daemon's watcher threads: a forked child could inherit a lock one of them holds
    import threading

    monkeypatch.setattr(workers, "cores", lambda: 2)
    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait, name="watcher")
    watcher.start()
    try:
        out = workers.split_map(_square_with_pid, list(range(20_000)), min_items=1_000)
    finally:
        stop.set()
        watcher.join()
    assert [v for v, _ in out] == [x * x for x in range(20_000)] and {pid for _, pid in out} == {os.getpid()}


# --- beside: one computation in a child while the parent does something else -----------------


def _beside_run(monkeypatch, fn):
    monkeypatch.setattr(workers, "cores", lambda: 2)
    seen = []
    got = workers.beside(fn, lambda: seen.append(os.getpid()))
    assert seen == [os.getpid()]  # the other work ran here, once
    return got


def test_beside_computes_in_a_child_while_the_parent_works(monkeypatch):
    got = _beside_run(monkeypatch, lambda: (sum(range(1000)), os.getpid()))
    assert got[0] == 499500 and got[1] != os.getpid()


def test_beside_a_child_that_dies_costs_time_not_the_result(monkeypatch, tmp_path):
    parent = os.getpid()

    def dies_in_the_child():
        if os.getpid() != parent:
            (tmp_path / "child ran").touch()
            os._exit(3)
        return "computed here"

    assert _beside_run(monkeypatch, dies_in_the_child) == "computed here"
    assert (tmp_path / "child ran").exists()


def test_beside_a_failing_or_unsendable_result_is_computed_here(monkeypatch):
    parent = os.getpid()

    def fails_in_the_child():
        if os.getpid() != parent:
            raise RuntimeError("only there")
        return "computed here"

    assert _beside_run(monkeypatch, fails_in_the_child) == "computed here"
    # a lambda does not pickle: the child cannot send it, so the parent computes it
    assert _beside_run(monkeypatch, lambda: (lambda: os.getpid()))() == os.getpid()


def test_beside_without_a_second_core_or_fork_stays_in_process(monkeypatch):
    monkeypatch.setenv("SYNCD_WORKERS", "1")
    assert _beside_run(monkeypatch, os.getpid) == os.getpid()
    monkeypatch.delenv("SYNCD_WORKERS")
    monkeypatch.setattr(workers, "cores", lambda: 1)
    seen = []
    assert workers.beside(os.getpid, lambda: seen.append(1)) == os.getpid() and seen == [1]


def test_beside_other_threads_stays_in_process(monkeypatch):
    # the daemon has threads: a forked search could inherit a lock one of them holds
    import threading

    stop = threading.Event()
    watcher = threading.Thread(target=stop.wait, name="watcher")
    watcher.start()
    try:
        assert _beside_run(monkeypatch, os.getpid) == os.getpid()
    finally:
        stop.set()
        watcher.join()


def test_beside_the_childs_after_work_is_done_there_and_waited_for_at_finish(monkeypatch, tmp_path):
    monkeypatch.setattr(workers, "cores", lambda: 2)
    done = tmp_path / "after"

    def after():
        time.sleep(0.3)  # the parent has its result long before this ends
        done.write_text(str(os.getpid()))

    began = time.monotonic()
    got = workers.beside(os.getpid, lambda: None, after=after)
    assert got != os.getpid() and time.monotonic() - began < 0.3 and not done.exists()
    workers.finish()
    assert int(done.read_text()) == got  # the child that searched did it, and finish waited for it


def test_in_background_runs_in_a_child_that_finish_waits_for(monkeypatch, tmp_path):
    monkeypatch.setattr(workers, "cores", lambda: 2)
    done = tmp_path / "kept"
    workers.in_background(lambda: (time.sleep(0.2), done.write_text(str(os.getpid()))))
    workers.finish()
    assert int(done.read_text()) != os.getpid()
    # without a second core it is not done at all: it only ever saves a later sync some time
    monkeypatch.setattr(workers, "cores", lambda: 1)
    workers.in_background(lambda: done.unlink())
    workers.finish()
    assert done.exists()


def test_finish_stops_after_work_that_hangs(monkeypatch, tmp_path):
    monkeypatch.setattr(workers, "cores", lambda: 2)
    workers.in_background(lambda: time.sleep(60))
    began = time.monotonic()
    workers.finish(timeout=0.5)
    assert time.monotonic() - began < 5 and not workers._lingering
