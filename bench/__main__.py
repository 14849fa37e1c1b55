"""``python -m bench [--quick] [--only N] [--repeat N]``: time syncd on realistic workloads.

1. a week of mail: a 2,000-row tracker, 20 copies with a handful of edits each — in one sync, and
   in 20 syncs of one copy each;
2. a big tracker: 100,000 rows × 12 columns, 5 copies each with 1 % of rows edited, 0.5 % added,
   0.5 % deleted and every row re-sorted — copies made from the canonical (with row ids) and,
   as a variant, copies made before syncd (no ids);
3. duplicates over 100,000 rows (``bench.dupes_eval``);
4. ``syncd merge`` of three 10,000-row versions, CSV and .xlsx, beside daff's Python merge.

Each timed run happens in a fresh process (``--child``), so the peak resident memory printed is that
run's own, and times are taken around syncd's call after imports. A floor is measured in the same
run for each workload (``bench.floor``). Runs under 15 s are repeated (best of 3); workload 2's runs
alternate with runs of its floor, three of each, best of each. The figures of
``bench.dupes_eval`` and ``bench.reaction`` follow the table when those modules exist.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench import report
from bench.report import Line

CHEAP_SECONDS = 15.0
#: Runs of workload 2 (each a floor, then a sync): its runs take 10-20 s, and the machine drifts.
BIG_RUNS = 3
_ROOT = Path(__file__).resolve().parent.parent
DAFF_TIMEOUT = 900


# --- the child side: one timed run in a process of its own -------------------------------------


def _peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss may carry the parent's over exec.
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_sync(spec: dict) -> dict:
    started = time.perf_counter()
    from syncd.config import load_config
    from syncd.core.engine import sync

    imports = time.perf_counter() - started
    team = Path(spec["team"])
    config = load_config(team / "syncd.toml")
    pending = sorted((team / "pending").iterdir())
    seconds, reports = 0.0, []
    batches = [pending] if spec["mode"] == "batch" else [[p] for p in pending]
    for batch in batches:
        for path in batch:
            path.rename(team / "inbox" / path.name)
        t0 = time.perf_counter()
        reports += sync(config)
        seconds += time.perf_counter() - t0
    taken = sum(1 for r in reports for c in r.copies if c.status in ("taken", "no changes"))
    rejected = [f"{c.name}: {c.reason}" for r in reports for c in r.copies if c.status == "rejected"]
    import resource

    # processes syncd started (readers of big copies, the second core of a duplicate search)
    helpers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "imports": imports, "taken": taken, "rejected": rejected, "helpers_mb": helpers_mb,
            "conflicts": sum(len(r.conflicts) for r in reports), "rows": reports[-1].rows if reports else 0,
            "syncs": len(batches)}


def _child_floor(spec: dict) -> dict:
    from bench.floor import measure

    return measure([Path(p) for p in spec["files"]], Path(spec["out"]), spec.get("writes", 1))


def _child_merge(spec: dict) -> dict:
    started = time.perf_counter()
    from syncd.core.merge3 import merge_files

    imports = time.perf_counter() - started
    t0 = time.perf_counter()
    outcome = merge_files(Path(spec["base"]), Path(spec["ours"]), Path(spec["theirs"]), Path(spec["out"]))
    return {"seconds": time.perf_counter() - t0, "imports": imports, "conflicts": len(outcome.conflict_lines),
            "rows": len(outcome.result.state.table)}


def _child_daff(spec: dict) -> dict:
    import daff

    sys.argv = ["daff", "merge", "--output", spec["out"], spec["base"], spec["ours"], spec["theirs"]]
    t0 = time.perf_counter()
    try:
        daff.main()
    except SystemExit:
        pass
    return {"seconds": time.perf_counter() - t0}


_CHILDREN = {"sync": _child_sync, "floor": _child_floor, "merge": _child_merge, "daff": _child_daff}


def child_main(spec_json: str) -> None:
    spec = json.loads(spec_json)
    out = _CHILDREN[spec["kind"]](spec)
    out["peak_rss_mb"] = _peak_rss_mb()
    print("BENCH-RESULT " + json.dumps(out))


# --- the parent side ---------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_child(spec: dict, timeout: float | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "bench", "--child", json.dumps(spec)], capture_output=True,
                          text=True, timeout=timeout, cwd=_ROOT, env=env)
    found = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-RESULT ")]
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"benchmark child {spec['kind']} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(found[-1][len("BENCH-RESULT "):])


def best_of(make_spec, repeat: int | None, timeout: float | None = None) -> dict:
    """The fastest of several runs (only one when a run is slow and ``repeat`` is not given)."""
    runs = [run_child(make_spec(0), timeout)]
    wanted = repeat if repeat is not None else (3 if runs[0]["seconds"] < CHEAP_SECONDS else 1)
    for n in range(1, wanted):
        runs.append(run_child(make_spec(n), timeout))
    best = min(runs, key=lambda r: r["seconds"])
    best["runs"] = len(runs)
    return best


def _scratch(name: str) -> Path:
    from bench.workloads import cache_root

    return cache_root() / "runs" / name


def _sync_runs(label: str, team: Path, mode: str, repeat: int | None) -> dict:
    from bench.workloads import fresh_copy

    def spec(n: int) -> dict:
        run = fresh_copy(team, _scratch(f"{label}-{n}"))
        return {"kind": "sync", "team": str(run), "mode": mode}

    try:
        return best_of(spec, repeat)
    finally:
        shutil.rmtree(_scratch(""), ignore_errors=True)


def _interleaved(label: str, team: Path, runs: int) -> tuple[dict, dict, str]:
    """The best of ``runs`` syncs and of ``runs`` floors, each sync run right after a floor run:
    the machine's speed drifts by tens of percent within minutes, and a floor measured minutes
    away from its sync says little about it."""
    from bench.workloads import fresh_copy

    files = sorted((team / "pending").iterdir())
    out = _scratch("floor") / "floor.xlsx"
    syncs, floors = [], []
    try:
        for n in range(runs):
            out.parent.mkdir(parents=True, exist_ok=True)
            floors.append(run_child({"kind": "floor", "files": [str(f) for f in files], "out": str(out),
                                     "writes": 1}))
            run = fresh_copy(team, _scratch(f"{label}-{n}"))
            syncs.append(run_child({"kind": "sync", "team": str(run), "mode": "batch"}))
            shutil.rmtree(run, ignore_errors=True)
    finally:
        shutil.rmtree(_scratch(""), ignore_errors=True)
    best, floor = min(syncs, key=lambda r: r["seconds"]), min(floors, key=lambda r: r["seconds"])
    best["runs"] = len(syncs)
    spread = "; ".join(f"{f['seconds']:.1f} / {r['seconds']:.1f} s" for f, r in zip(floors, syncs))
    return best, floor, "floor / sync: " + spread


def _floor(files: list[Path], writes: int, repeat: int | None) -> dict:
    out = _scratch("floor") / ("floor" + (".csv" if files[0].suffix == ".csv" else ".xlsx"))
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        return best_of(lambda n: {"kind": "floor", "files": [str(f) for f in files], "out": str(out),
                                  "writes": writes}, repeat)
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def _mb(r: dict) -> float:
    return r["peak_rss_mb"]


def workload_mail(quick: bool, repeat: int | None) -> list[Line]:
    from bench.workloads import Edits, build_mail, prepared

    rows, copies = (1_000, 5) if quick else (2_000, 20)
    params = {"rows": rows, "copies": copies, "edits": (5, 1, 1), "ids": True, "seed": 11}
    log(f"1. week of mail: preparing {rows:,} rows, {copies} copies...")
    team = prepared("mail", params, lambda f: build_mail(f, rows, copies, Edits(5, 1, 1), True, 11))
    files = sorted((team / "pending").iterdir())
    lines = []
    for mode, writes, what in (("batch", 1, f"{copies} copies in one sync"),
                               ("one-by-one", copies, f"{copies} syncs of one copy")):
        log(f"1. week of mail: {what}...")
        r = _sync_runs(f"mail-{mode}", team, mode, repeat)
        floor = _floor(files, writes, repeat)
        ok = r["seconds"] < 5 and r["taken"] == copies
        note = f"{r['taken']} copies taken, {r['conflicts']} conflicts, {r['rows']:,} rows; best of {r['runs']}"
        if r["rejected"]:
            note += "; REJECTED: " + "; ".join(r["rejected"])
        lines.append(Line(f"1. {rows:,}-row tracker, {what}", r["seconds"], _mb(r), floor["seconds"],
                          "< 5 s", ok, note))
    return lines


def workload_big(quick: bool, repeat: int | None, variants: bool) -> list[Line]:
    from bench.workloads import Edits, build_mail, prepared

    rows, copies = (5_000, 2) if quick else (100_000, 5)
    edits = Edits(rows // 100, rows // 200, rows // 200, resort=True)
    lines = []
    for with_ids in (True, False) if variants else (True,):
        params = {"rows": rows, "copies": copies, "edits": tuple(edits.__dict__.values()), "ids": with_ids,
                  "seed": 5}
        kind = "copies made from the canonical" if with_ids else "copies made before syncd (no row ids)"
        log(f"2. big tracker: preparing {rows:,} rows, {copies} {kind} (first time only: a minute or more)...")
        team = prepared("big", params, lambda f: build_mail(f, rows, copies, edits, with_ids, 5))
        log(f"2. big tracker: syncing {copies} {kind}, each run beside a run of its floor...")
        r, floor, spread = _interleaved(f"big-{with_ids}", team, BIG_RUNS if repeat is None else repeat)
        ratio = r["seconds"] / floor["seconds"]
        ok = ratio <= 1.5 and r["peak_rss_mb"] < 1024 and r["taken"] == copies
        note = (f"{r['taken']} copies taken, {r['conflicts']} conflicts, {r['rows']:,} rows after; floor = "
                f"read {floor['read_seconds']:.2f} s + write {floor['write_seconds']:.2f} s; best of {r['runs']}, "
                f"each run after its floor's ({spread})")
        if r.get("helpers_mb"):
            note += f"; largest helper process {r['helpers_mb']:.0f} MB"
        if r["rejected"]:
            note += "; REJECTED: " + "; ".join(r["rejected"])
        lines.append(Line(f"2. {rows:,} rows × 12, {copies} copies ({'with ids' if with_ids else 'no ids'})",
                          r["seconds"], _mb(r), floor["seconds"], "≤ 1.5× floor, < 1 GB", ok, note))
    return lines


def _optional(name: str):
    try:
        return importlib.import_module(f"bench.{name}")
    except ImportError as exc:
        if exc.name not in (f"bench.{name}", "bench"):
            raise
        return None


def workload_dupes(quick: bool, extra: list[str]) -> list[Line]:
    module = _optional("dupes_eval")
    if module is None:
        extra.append("bench/dupes_eval.py is not there yet: duplicates not measured")
        return []
    log("3. duplicates: quality on the labelled sets, then timing...")
    results = module.run(quick)
    timed = [r for r in results if r.get("bench") != "dupes_quality" and "rows" in r and "seconds" in r]
    for r in results:
        extra.append("dupes_eval: " + ", ".join(f"{k}={v}" for k, v in r.items()))
    if not timed:
        return []
    big = max(timed, key=lambda r: r["rows"])
    return [Line(f"3. duplicates over {big['rows']:,} rows", big["seconds"], big.get("peak_rss_mb"), None,
                 "< 10 s", big["seconds"] < 10, f"{big.get('clusters', '?')} clusters (bench/dupes_eval.py)")]


def _daff_available() -> bool:
    try:
        importlib.import_module("daff")
        return True
    except ImportError:
        pass
    log("4. installing daff into this environment for the comparison (not a syncd dependency)...")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "daff"], capture_output=True,
                          text=True, timeout=300)
    importlib.invalidate_caches()
    return done.returncode == 0


def workload_merge(quick: bool, repeat: int | None, extra: list[str]) -> list[Line]:
    from bench.workloads import build_merge3, prepared

    rows = 1_000 if quick else 10_000
    log(f"4. syncd merge: preparing three {rows:,}-row versions...")
    folder = prepared("merge3", {"rows": rows, "seed": 3}, lambda f: build_merge3(f, rows, 3))
    has_daff = _daff_available()
    if not has_daff:
        extra.append("daff could not be installed (pip install daff failed): no comparison with daff")
    daff_csv = None
    if has_daff:
        log(f"4. daff merge on the CSV files (may take minutes; stopped after {DAFF_TIMEOUT} s)...")
        out = _scratch("daff") / "merged.csv"
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            daff_csv = run_child({"kind": "daff", "base": str(folder / "base.csv"), "ours": str(folder / "ours.csv"),
                                  "theirs": str(folder / "theirs.csv"), "out": str(out)}, timeout=DAFF_TIMEOUT)
        except subprocess.TimeoutExpired:
            daff_csv = {"seconds": float(DAFF_TIMEOUT), "peak_rss_mb": None, "timed_out": True}
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)
    lines = []
    if daff_csv is not None:
        more = " (stopped: still running)" if daff_csv.get("timed_out") else ""
        lines.append(Line(f"4. daff merge, 3 × {rows:,} rows, CSV", daff_csv["seconds"], daff_csv["peak_rss_mb"],
                          note=f"daff's Python merge on the same CSV files{more}; daff reads no .xlsx"))
    for ext in ("csv", "xlsx"):
        log(f"4. syncd merge on the .{ext} files...")
        out = _scratch("merge") / f"merged.{ext}"
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            r = best_of(lambda n: {"kind": "merge", "base": str(folder / f"base.{ext}"),
                                   "ours": str(folder / f"ours.{ext}"), "theirs": str(folder / f"theirs.{ext}"),
                                   "out": str(out)}, repeat)
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)
        files = [folder / f"{n}.{ext}" for n in ("base", "ours", "theirs")]
        floor = _floor(files, 1, repeat)
        speedup = daff_csv["seconds"] / r["seconds"] if daff_csv else None
        note = f"{r['rows']:,} rows merged, {r['conflicts']} conflicts; best of {r['runs']}"
        if speedup is not None:
            note += f"; {speedup:,.0f}× faster than daff on the CSV files"
        lines.append(Line(f"4. syncd merge, 3 × {rows:,} rows, {ext.upper()}", r["seconds"], _mb(r),
                          floor["seconds"], "≥ 10× faster than daff", None if speedup is None else speedup >= 10,
                          note))
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child_main(argv[1])
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small versions of every workload (under a minute)")
    parser.add_argument("--only", type=int, choices=(1, 2, 3, 4), action="append",
                        help="run only this workload (may be repeated)")
    parser.add_argument("--repeat", type=int, help="runs per figure (default: best of 3 when a run is under 15 s)")
    args = parser.parse_args(argv)
    if args.quick and args.repeat is None:
        args.repeat = 1  # the quick run only proves the benchmark works, within a minute
    only = set(args.only or (1, 2, 3, 4))
    started = time.perf_counter()
    header = "syncd benchmark" + (" (quick)" if args.quick else "") + " — " + report.machine()
    lines: list[Line] = []
    extra: list[str] = []
    if 1 in only:
        lines += workload_mail(args.quick, args.repeat)
    if 2 in only:
        lines += workload_big(args.quick, args.repeat, variants=not args.quick)
    if 3 in only:
        lines += workload_dupes(args.quick, extra)
    if 4 in only:
        lines += workload_merge(args.quick, args.repeat, extra)
    reaction = _optional("reaction") if only == {1, 2, 3, 4} else None
    if reaction is not None:
        log("daemon reaction time (bench/reaction.py)...")
        for r in reaction.run(args.quick):
            extra.append("reaction: " + ", ".join(f"{k}={v}" for k, v in r.items()))
    elif only == {1, 2, 3, 4}:
        extra.append("bench/reaction.py is not there yet: daemon reaction time not measured")
    print(header)
    print()
    print(report.render(lines, args.quick))
    if extra:
        print()
        print("\n".join(extra))
    print()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s; load average now "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
