"""One error tree for syncd. The CLI turns any ``SyncdError`` into its message and exit code.

Library errors (openpyxl, zipfile, OSError, googleapiclient...) never cross a layer boundary raw:
the layer that calls the library wraps them in one of these, naming the file or sheet, and says in
a person's words what happened and what to do.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class SyncdError(Exception):
    """Root of every error syncd raises on purpose. ``str(e)`` is a complete sentence for a person."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(SyncdError):
    """The configuration is missing or wrong. ``problems`` lists every problem found, each naming
    the key path (``tracker[0].source[1].path``) and the fix, so a person can mend them in one go."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class UsageError(SyncdError):
    """The command was called in a way that cannot work (unknown tracker, missing file...)."""

    exit_code = EXIT_USAGE


class CopyRejected(SyncdError):
    """One input file cannot be used. The sync skips it and goes on with the others.

    ``reason`` is the short why (``"password protected"``), ``advice`` what to do about it
    (``"save an unprotected copy"``); ``str(e)`` joins them with the file name into one line.
    """

    def __init__(self, file: str, reason: str, advice: str = "") -> None:
        self.file = file
        self.reason = reason
        self.advice = advice
        text = f"{file}: {reason}"
        if advice:
            text += f" — {advice}"
        super().__init__(text)


class CanonicalError(SyncdError):
    """The canonical workbook cannot be read or written (open elsewhere, disk full, damaged)."""


class CanonicalChanged(SyncdError):
    """The canonical changed on disk while syncd was merging; the engine merges again."""


class JournalError(SyncdError):
    """The journal (syncd's memory of generations and copies) cannot be opened or is damaged."""


class LockedError(SyncdError):
    """Another syncd is already working on this state directory."""


class SourceError(SyncdError):
    """A whole source (folder, Google Sheet) cannot be reached; other sources go on."""


class SourceChanged(SourceError):
    """A source that syncd writes back to (a mirrored Google Sheet) changed since it was read; the engine
    merges again before writing."""
