"""One syncd at a time per state directory.

An advisory ``flock`` on ``<state_dir>/syncd.lock`` is released by the kernel when the process dies,
even by SIGKILL, so a crashed syncd never leaves a stale lock behind. The file also holds the owner's
pid and what it is doing, so the refusal can name it.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from syncd.errors import LockedError

LOCK_NAME = "syncd.lock"


class StateLock:
    def __init__(self, state_dir: Path, role: str) -> None:
        self.path = state_dir / LOCK_NAME
        self.role = role
        self._fd: int | None = None

    def acquire(self, wait_seconds: float = 0.0) -> "StateLock":
        """Take the lock, waiting up to ``wait_seconds`` for another syncd to finish."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                owner = self.owner()
                # the daemon holds the lock for as long as it runs: waiting for it would be pointless
                if time.monotonic() >= deadline or (owner and owner[1] == "watch"):
                    os.close(fd)
                    if owner and owner[1] == "watch" and self.role != "watch":
                        raise LockedError(
                            f"The syncd daemon (pid {owner[0]}) is running for {self.path.parent} and syncs copies as "
                            "they arrive, so there is nothing to do by hand. To run a sync yourself, stop it first."
                        ) from None
                    who = f"pid {owner[0]}, `syncd {owner[1]}`" if owner else "another process"
                    raise LockedError(
                        f"Another syncd ({who}) is already working on {self.path.parent}. "
                        "Only one may run per state directory: stop it first, or let it do the sync."
                    ) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {self.role}\n".encode())
        self._fd = fd
        return self

    def owner(self) -> tuple[int, str] | None:
        """(pid, role) of whoever holds or last held the lock, if the file says."""
        try:
            text = self.path.read_text().split()
            return int(text[0]), (text[1] if len(text) > 1 else "sync")
        except (OSError, ValueError, IndexError):
            return None

    def is_held_by_other(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "StateLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
