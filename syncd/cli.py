"""The command line: parses arguments, calls the library, prints for people (or JSON for scripts).

Nothing here decides anything. Every ``SyncdError`` becomes its message and exit code; anything else is
a bug, reported in one line with where to find the details rather than a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, Callable

import click

if "watch" in sys.argv[1:2] and hasattr(signal, "pthread_sigmask"):
    # The daemon takes SIGTERM/SIGINT/SIGHUP with sigwait; threads that libraries start while being
    # imported (numpy's) inherit the mask they are born with, so block the signals before any of them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})

from syncd.config import DEFAULT_CONFIG, Config, load_config
from syncd.errors import EXIT_FAILURE, EXIT_OK, SyncdError, UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Translate syncd's errors into a message on stderr and the error's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SyncdError as exc:
            click.echo(f"syncd: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("syncd: stopped.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: one line for the person, the traceback only when asked for
            if os.environ.get("SYNCD_DEBUG"):
                raise
            click.echo(f"syncd: something unexpected went wrong ({type(exc).__name__}: {exc}). This is a bug in "
                       "syncd. Run again with SYNCD_DEBUG=1 to see the details, and "
                       "report them.", err=True)
            sys.exit(EXIT_FAILURE)

    return wrapper


def config_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help=f"Configuration file (default: ./{DEFAULT_CONFIG}).",
    )(fn)


def _load(config_path: Path | None) -> Config:
    return load_config(config_path)


@click.group(context_settings=CONTEXT)
@click.version_option(package_name="syncd")
def main() -> None:
    """syncd keeps one canonical copy of a team's tracker workbook.

    It reads every copy that lands in the folders you configure, merges everyone's edits into one
    canonical workbook, and flags the real clashes in it. Start with `syncd init`.
    """


@main.command()
@config_option
@click.option("--tracker", "tracker_name", metavar="NAME", help="Sync only this tracker.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option("-v", "--verbose", is_flag=True, help="Say what each copy changed.")
@handle_errors
def sync(config_path: Path | None, tracker_name: str | None, dry_run: bool, as_json: bool, verbose: bool) -> None:
    """Merge every new copy into the canonical workbook, once."""
    from syncd.cli_output import Progress, print_sync_report
    from syncd.core.engine import sync as run_sync

    config = _load(config_path)
    progress = Progress.for_terminal(enabled=not as_json)
    try:
        reports = run_sync(config, tracker_name, dry_run=dry_run, progress=progress)
    finally:
        progress.close()
    if as_json:
        click.echo(json.dumps({"trackers": [r.to_json() for r in reports]}, indent=2, default=str))
    else:
        for report in reports:
            print_sync_report(report, verbose=verbose or dry_run)


@main.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable status.")
@handle_errors
def status(config_path: Path | None, as_json: bool) -> None:
    """Say, per tracker, which generation is current, when it was synced and which copies were taken or refused."""
    from syncd.cli_output import print_status
    from syncd.core.status import collect_status

    config = _load(config_path)
    info = collect_status(config)
    if as_json:
        click.echo(json.dumps(info, indent=2, default=str))
    else:
        print_status(info)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@handle_errors
def init(path: Path, force: bool) -> None:
    """Write a commented starter configuration (default: ./syncd.toml)."""
    from syncd.starter import STARTER_CONFIG

    if path.exists() and not force:
        raise UsageError(f"{path} already exists; edit it, or run `syncd init --force` to start over.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    click.echo(f"Wrote {path}. Edit the folder and canonical paths in it, then run `syncd sync -c {path}`.")


@main.command("merge")
@click.argument("base", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("ours", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the merged table here "
              "(.xlsx or .csv; default: CSV on standard output).")
@click.option("--sheet", help="Sheet to merge in workbooks (default: the one that looks like the table).")
@click.option("--key", help="Column that identifies a row, if the table has one.")
@handle_errors
def merge_cmd(base: Path, ours: Path, theirs: Path, output: Path | None, sheet: str | None, key: str | None) -> None:
    """Merge two edited versions of a table against their common ancestor.

    Exit 0 when the merge is clean, 1 when conflicts remain (they are listed on standard error, and for a
    CSV output also written to OUT.conflicts.csv). Works as a git merge driver: see the README.
    """
    from syncd.core.merge3 import merge_files

    outcome = merge_files(base, ours, theirs, output, sheet=sheet, key=key)
    if output is None:
        sys.stdout.write(outcome.csv_text)
    for line in outcome.conflict_lines:
        click.echo(line, err=True)
    if outcome.conflict_lines:
        click.echo(f"syncd: {len(outcome.conflict_lines)} conflict(s) left; "
                   "the merged table keeps one value for each — check them.", err=True)
        sys.exit(EXIT_FAILURE)
    sys.exit(EXIT_OK)


main.add_command(__import__("syncd.cli_inspect", fromlist=["inspect_cmd"]).inspect_cmd)
main.add_command(__import__("syncd.cli_watch", fromlist=["watch"]).watch)
main.add_command(__import__("syncd.cli_auth", fromlist=["auth"]).auth)
main.add_command(__import__("syncd.cli_dupes", fromlist=["dupes"]).dupes)

if __name__ == "__main__":  # pragma: no cover
    main()
