"""The floor: the least time any tool could take for a workload, measured in the same run.

Reading every new copy with the fastest reader there is (python-calamine, values only, no types
beyond what it hands back) plus writing the canonical with the fastest writer (raw streamed XML,
``files.write_xlsx``) — and no merging, no checking, no formatting at all. syncd's figure is
divided by this one, so both come from the same machine under the same load.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Sequence


def read_fastest(path: Path) -> list[list]:
    """The first sheet's values as python-calamine hands them back (CSV: the csv module)."""
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.reader(f))
    import python_calamine as calamine

    wb = calamine.CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_index(0).to_python(skip_empty_area=True)


def write_fastest(path: Path, grid: Sequence[Sequence]) -> None:
    """``grid`` (header first) as an .xlsx in raw streamed XML, or as CSV."""
    if path.suffix.lower() == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\n").writerows(grid)
        return
    from bench.files import write_xlsx

    # calamine gives "" for an empty cell: an empty cell is not written at all
    write_xlsx(path, [("Tasks", ([None if v == "" else v for v in row] for row in grid), False)])


def measure(copies: Sequence[Path], out: Path, writes: int = 1) -> dict:
    """Seconds to read every file in ``copies`` and write the last one read ``writes`` times to
    ``out`` (one write per sync pass: syncd writes the canonical once a pass)."""
    started = time.perf_counter()
    grid: list[list] = []
    for path in copies:
        grid = read_fastest(path)
    read_s = time.perf_counter() - started
    for _ in range(writes):
        write_fastest(out, grid)
    total = time.perf_counter() - started
    return {"seconds": total, "read_seconds": read_s, "write_seconds": total - read_s, "rows": max(len(grid) - 1, 0)}
