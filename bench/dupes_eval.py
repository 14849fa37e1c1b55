"""Duplicate detection: quality on the labelled sets in bench/data, speed and memory on 100,000 rows.

``python -m bench.dupes_eval [--quick]`` prints, for the tracker set (default settings, as a tracker
with no configuration is scored) and the people-records set (``--columns`` with every column), the
pairwise precision, recall and F1: a predicted pair is two rows put in one cluster, a true pair two
rows with the same ``Entity`` label. Then it times ``find_duplicates`` on generated trackers of
25,000, 50,000 and 100,000 rows (an agency's tracker: campaigns per market, hundreds of clients, one
task in ten entered again), each in a fresh process, and prints the seconds and the peak resident
memory (``--quick``: 20,000 rows only). ``run(quick)`` returns the same figures as dicts.
"""

from __future__ import annotations

import itertools
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SIZES = (25_000, 50_000, 100_000)
QUICK_SIZES = (20_000,)


def _labelled(path: Path):
    from syncd.model import Table
    from syncd.workbook.read import read_sheet

    table = read_sheet(path).table
    at = table.columns.index("Entity")
    labels = [row[at] for row in table.rows]
    keep = [c for c in range(table.width) if c != at]
    plain = Table(tuple(table.columns[c] for c in keep), tuple(tuple(r[c] for c in keep) for r in table.rows))
    return plain, labels


def _pairs_of(groups) -> set[tuple[int, int]]:
    out = set()
    for rows in groups:
        out.update(itertools.combinations(sorted(rows), 2))
    return out


def quality(name: str, columns: tuple[str, ...] = (), threshold: float | None = None) -> dict:
    """Pairwise precision/recall/F1 of ``find_duplicates`` on ``bench/data/<name>.csv``."""
    from syncd.merge.dupes import DEFAULT_THRESHOLD, DupeSettings, find_duplicates

    table, labels = _labelled(DATA / f"{name}.csv")
    settings = DupeSettings(columns=columns, threshold=threshold or DEFAULT_THRESHOLD, generic_fallback=True)
    started = time.perf_counter()
    found = find_duplicates(table, settings)
    seconds = time.perf_counter() - started
    by_label = defaultdict(list)
    for i, label in enumerate(labels):
        by_label[label].append(i)
    truth = _pairs_of(by_label.values())
    predicted = _pairs_of(c.rows for c in found.clusters)
    tp = len(truth & predicted)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"bench": "dupes_quality", "set": name, "rows": len(table), "true_pairs": len(truth),
            "found_pairs": len(predicted), "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(f1, 4), "seconds": round(seconds, 3), "threshold": settings.threshold}


def _timing_child(rows: int) -> None:
    """In a fresh process: generate ``rows`` rows, time find_duplicates as ``syncd dupes`` and a
    sync run it (the cycle collector paused, the second core used), print JSON."""
    from bench.make_dupes_eval import tracker_rows
    from syncd.core import collector
    from syncd.core.workers import split_map
    from syncd.merge.dupes import DupeSettings, find_duplicates
    from syncd.model import Table

    data = tracker_rows(7, int(rows / 1.1), unique=False, dup_share=0.1)[:rows]
    columns = [c for c in data[0] if c != "Entity"]
    table = Table.from_lists(columns, [[r[c] or None for c in columns] for r in data])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with collector.paused():
        found = find_duplicates(table, DupeSettings(), mapper=split_map)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": len(table), "seconds": round(seconds, 2), "clusters": len(found.clusters),
                      "peak_rss_mb": round(peak / 1024, 1), "rss_before_mb": round(before / 1024, 1)}))


def timing(rows: int) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.dupes_eval", "--child", str(rows)], capture_output=True,
                          text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
    return {"bench": "dupes_speed", **json.loads(done.stdout.strip().splitlines()[-1])}


def run(quick: bool = False) -> list[dict]:
    """Every figure the benchmark prints, one dict per line."""
    results = [quality("dupes_eval"),
               quality("records_eval", ("Name", "Address", "City", "Phone", "Email", "Born"))]
    for rows in QUICK_SIZES if quick else SIZES:
        results.append(timing(rows))
    return results


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        _timing_child(int(argv[1]))
        return
    for r in run(quick="--quick" in argv):
        if r["bench"] == "dupes_quality":
            print(f"{r['set']}: {r['rows']} rows, {r['true_pairs']} true pairs, {r['found_pairs']} flagged — "
                  f"precision {r['precision']:.3f}, recall {r['recall']:.3f}, F1 {r['f1']:.3f} "
                  f"(threshold {r['threshold']}, {r['seconds']} s)")
        else:
            print(f"{r['rows']:,} rows: {r['seconds']} s, {r['clusters']:,} clusters, "
                  f"peak RSS {r['peak_rss_mb']} MB (of which {r['rss_before_mb']} MB before scoring)")


if __name__ == "__main__":
    main(sys.argv[1:])
