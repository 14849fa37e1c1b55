"""``python -m bench.stages [--no-ids] [--quick]``: where the time of one workload-2 sync goes.

The table of ``python -m bench`` says how far a big sync is from its floor; this says which stage
to work on: it runs one sync of workload 2's copies (the same prepared folder, made first if need
be) with a timer around each stage of the pass, and prints when each began and ended, in seconds
from the start of the sync. Copies are merged while the others are still being read, so the
``merge (early)`` lines overlap ``read and merge copies``; what follows the last of them runs on
one core. The timers are wrappers around syncd's own functions, replaced for this process only.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import tempfile
import time
from pathlib import Path

#: (module, attribute path, label) of the stages timed, in the order a pass runs them
STAGES = (
    ("syncd.core.journal", "Journal.latest", "load the latest generation"),
    ("syncd.core.engine", "gather", "read and merge copies"),
    ("syncd.core.taking", "CopyTaker.early", "merge (early)"),
    ("syncd.core.taking", "CopyTaker.take", "merge (the rest)"),
    ("syncd.core.engine", "_Pass._duplicates", "find duplicates"),
    ("syncd.core.engine", "open_ahead_of_write", "  beside: open the canonical"),
    ("syncd.core.codec", "encode_table", "  beside: encode for journal"),
    ("syncd.core.engine", "render_ahead", "  beside: render rows ahead"),
    ("syncd.core.journal", "Journal.write_pending", "journal: pending generation"),
    ("syncd.core.engine", "write_canonical", "write the canonical"),
    ("syncd.core.journal", "Journal.commit_pending", "journal: commit"),
)

_start = 0.0
_marks: list[tuple[float, float, str]] = []


def _timed(module: str, path: str, label: str) -> None:
    owner = importlib.import_module(module)
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            _marks.append((began - _start, time.perf_counter() - _start, label))

    setattr(owner, name, wrapper)


def main(argv: list[str] | None = None) -> None:
    global _start
    parser = argparse.ArgumentParser(prog="python -m bench.stages", description=__doc__.splitlines()[0])
    parser.add_argument("--no-ids", action="store_true", help="the copies made before syncd (no row ids)")
    parser.add_argument("--quick", action="store_true", help="the small version of workload 2")
    args = parser.parse_args(argv)
    from bench.workloads import Edits, build_mail, fresh_copy, prepared

    rows, copies = (5_000, 2) if args.quick else (100_000, 5)
    edits = Edits(rows // 100, rows // 200, rows // 200, resort=True)
    with_ids = not args.no_ids
    # the same parameters as bench/__main__.py's workload 2, so the same prepared folder
    params = {"rows": rows, "copies": copies, "edits": tuple(edits.__dict__.values()), "ids": with_ids, "seed": 5}
    folder = prepared("big", params, lambda f: build_mail(f, rows, copies, edits, with_ids, 5))
    with tempfile.TemporaryDirectory(prefix="syncd-stages-") as scratch:
        team = fresh_copy(folder, Path(scratch) / "team")
        for path in sorted((team / "pending").iterdir()):
            path.rename(team / "inbox" / path.name)
        from syncd.config import load_config
        from syncd.core.engine import sync

        for module, path, label in STAGES:
            _timed(module, path, label)
        config = load_config(team / "syncd.toml")
        _start = time.perf_counter()
        reports = sync(config)
        total = time.perf_counter() - _start
    print(f"workload 2, {rows:,} rows, {copies} copies {'with' if with_ids else 'without'} row ids: "
          f"{total:.2f} s, {reports[-1].rows:,} rows after")
    print(f"| {'stage':<28} | from s | to s  | took s |")
    print(f"|{'-' * 30}|--------|-------|--------|")
    for began, ended, label in sorted(_marks):
        print(f"| {label:<28} | {began:6.2f} | {ended:5.2f} | {ended - began:6.2f} |")


if __name__ == "__main__":  # readers of big copies are separate processes, which import this module
    main()
