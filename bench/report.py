"""The benchmark's printed table: one line per figure, with its floor, its target and pass/miss."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    workload: str
    seconds: float | None
    peak_rss_mb: float | None = None
    floor: float | None = None
    target: str = ""
    passed: bool | None = None  # None: no target, or nothing to judge
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.seconds is None or not self.floor:
            return None
        return self.seconds / self.floor


def machine() -> str:
    """CPU model, cores, load average, Python: the context every figure needs."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), model)
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return (f"{model}, {os.cpu_count()} cores, load average {load}, Python {platform.python_version()}, "
            f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}")


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def render(lines: list[Line], quick: bool) -> str:
    """The table as Markdown (readable in a terminal, pasteable into the README)."""
    head = ("workload", "wall s", "peak RSS MB", "floor s", "× floor", "target", "result")
    body = []
    for ln in lines:
        result = "—" if ln.passed is None else ("pass" if ln.passed else "MISS")
        body.append((ln.workload, _num(ln.seconds, ".2f"), _num(ln.peak_rss_mb, ".0f"), _num(ln.floor, ".2f"),
                     _num(ln.ratio, ".2f"), ln.target or "—", result))
    widths = [max(len(str(row[k])) for row in [head, *body]) for k in range(len(head))]

    def fmt(row) -> str:
        return "| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths)) + " |"

    out = [fmt(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [fmt(r) for r in body]
    notes = [f"- {ln.workload}: {ln.note}" for ln in lines if ln.note]
    if quick:
        notes.insert(0, "- quick run: every workload is smaller than its target is set for; the targets are "
                        "printed for reference, and only the full run (`make bench`) is judged")
    return "\n".join(out + ([""] + notes if notes else []))
