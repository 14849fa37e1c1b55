"""The two-core split of a big duplicate search gives exactly what one core gives, whatever happens."""

from __future__ import annotations

import os

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
