"""`syncd inspect FILE...`: can syncd read these attachments, and what does it see in them?

Output contract (outside scripts rely on it): one verdict per file, in the order given; ``--json``
prints a JSON list of objects (see ``syncd.core.inspect.Inspection.to_json``); exit 0 when every
file was read, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from syncd.cli import handle_errors
from syncd.core.inspect import FORMAT_NAMES, Inspection, inspect_file, visible_sheets
from syncd.errors import EXIT_FAILURE, EXIT_OK

#: a header longer than this is shortened on the terminal (``--json`` always has all of it)
_HEADER_SHOWN = 12


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def describe(item: Inspection) -> list[str]:
    """The lines a person reads for one file: first ``FILE: ok — ...`` or ``FILE: refused: ...``."""
    if not item.ok:
        advice = f" — {item.advice}" if item.advice else ""
        return [f"{item.file}: refused: {item.reason}{advice}"]
    lines = [f'{item.file}: ok — sheet "{item.sheet}", {_plural(item.rows or 0, "row")}, '
             f'{_plural(item.columns or 0, "column")}']
    names = list(item.header[:_HEADER_SHOWN])
    if len(item.header) > _HEADER_SHOWN:
        names.append(f"… and {len(item.header) - _HEADER_SHOWN} more")
    lines.append(f"    header (row {item.header_row}): {', '.join(names)}")
    others = [s for s in visible_sheets(item) if s != item.sheet]
    if others:
        lines.append(f"    other sheets: {', '.join(others)}")
    if item.format:
        lines.append(f"    format: {FORMAT_NAMES.get(item.format, item.format)}")
    if item.generation is not None:
        of = f' of tracker "{item.tracker}"' if item.tracker else ""
        lines.append(f"    a copy of syncd's generation {item.generation}{of}: only what was changed in it will be merged")
    return lines


@click.command("inspect", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sheet", metavar="SHEET", help="Read this sheet (as the tracker's `sheet` setting would); "
              "default: the one that looks like the tracker.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file, for scripts.")
@handle_errors
def inspect_cmd(files: tuple[Path, ...], sheet: str | None, as_json: bool) -> None:
    """Say whether syncd can read each FILE and what it sees in it, before you configure anything.

    For each file: ok, with the sheet, its header and how many rows and columns it has; or refused,
    with the reason and what to do. Exit 0 when every file can be read, 1 otherwise.
    """
    results = [inspect_file(f, sheet) for f in files]
    if as_json:
        click.echo(json.dumps([r.to_json() for r in results], indent=2, ensure_ascii=False, default=str))
    else:
        for r in results:
            for line in describe(r):
                click.echo(line)
        refused = sum(not r.ok for r in results)
        if len(results) > 1:
            click.echo(f"{len(results) - refused} of {len(results)} files can be read"
                       + (f"; {refused} refused." if refused else "."))
    sys.exit(EXIT_FAILURE if any(not r.ok for r in results) else EXIT_OK)
