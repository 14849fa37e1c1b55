"""`syncd watch`: the daemon, in the foreground, logging what it does."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

import click

from syncd.cli import config_option
from syncd.errors import EXIT_USAGE, SyncdError

LOG_FORMAT = "%(asctime)s %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def setup_logging(verbose: bool, log_file: Path | None) -> logging.Logger:
    """Send the "syncd" logger's lines to stderr and, if given, to ``log_file`` (appended to; reopened
    when logrotate moves it away)."""
    logger = logging.getLogger("syncd")
    for handler in list(logger.handlers):
        if getattr(handler, "_syncd_watch", False):
            logger.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.handlers.WatchedFileHandler(log_file, encoding="utf-8"))
        except OSError as exc:
            click.echo(f"syncd: cannot write the log file {log_file}: {exc.strerror or exc}. "
                       "Choose another --log-file.", err=True)
            sys.exit(EXIT_USAGE)
    formatter = logging.Formatter(LOG_FORMAT, DATE_FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._syncd_watch = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False
    return logger


@click.command("watch")
@config_option
@click.option("-v", "--verbose", is_flag=True, help="Also log each check, including the ones that found nothing.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also append the log to this file.")
def watch(config_path: Path | None, verbose: bool, log_file: Path | None) -> None:
    """Keep the canonical workbook current: sync every copy as it lands, until stopped.

    Runs in the foreground (for systemd, launchd, a terminal or nohup) and logs one line per copy taken
    or refused, conflict found and canonical written. Stop it with Ctrl-C or SIGTERM: it finishes the
    sync in progress first. SIGHUP reloads the configuration. Exit 2 when the configuration is wrong,
    1 when another syncd already works on the same state directory.
    """
    from syncd.core.daemon import run

    logger = setup_logging(verbose, log_file)
    try:
        code = run(config_path, log_file=log_file.resolve() if log_file else None)
    except SyncdError as exc:
        # through the log too, so a service manager's log and --log-file both say why it stopped
        for line in str(exc).splitlines():
            logger.error("syncd: %s" % line if not line.startswith("  ") else line)
        sys.exit(exc.exit_code)
    sys.exit(code)
