"""Every request syncd makes to Google: built on google-api-python-client, with a timeout on each
request, retries for what is worth retrying, and one ``SourceError`` in a person's words otherwise.

Retried: 429, a 403 that says "rate limit", any 5xx, and network failures — with capped exponential
backoff and jitter, waiting at least what a ``Retry-After`` header asks. Never retried: no permission,
not found, refused credentials (retrying cannot help; the message says what to do instead).

The services are built from the discovery documents the package ships (no request for them), and
``api_endpoint`` (one base URL: Sheets under ``v4/...``, Drive under ``drive/v3/...``) points both
at a proxy or a test stand-in.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import logging
import os
import random
import re
import socket
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

from syncd.errors import SourceError
from syncd.sources.google.auth import GoogleAuth

log = logging.getLogger("syncd.google")

#: Seconds; the base of the exponential backoff (tests set it tiny).
BACKOFF_ENV = "SYNCD_GOOGLE_BACKOFF_BASE"
#: Seconds each request may take before it counts as failed.
TIMEOUT_ENV = "SYNCD_GOOGLE_TIMEOUT"

_RATE_REASONS = {"ratelimitexceeded", "userratelimitexceeded", "quotaexceeded", "backenderror", "resource_exhausted"}
_SECRET_PATTERNS = (
    re.compile(r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(-----END[A-Z ]*PRIVATE KEY-----|\Z)", re.S),
    re.compile(r"\bya29\.[\w.-]+"),
    re.compile(r"\b1//[\w.-]{10,}"),
    re.compile(r"eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]*"),  # a JWT (a signed grant or an id token)
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``base``·2^n seconds between tries (capped at ``cap``, jittered to 50–100 %),
    never less than a ``Retry-After``; a ``Retry-After`` above ``max_wait`` ends the tries for this sync."""

    attempts: int = 6
    base: float = 1.0
    cap: float = 32.0
    max_wait: float = 60.0
    timeout: float = 30.0
    #: network failures (timeouts, refused connections) are tried this often in all: an outage must
    #: not hold up the rest of the sync for minutes
    transport_attempts: int = 2

    @classmethod
    def from_env(cls) -> "RetryPolicy":
        def number(name: str, default: float) -> float:
            try:
                value = float(os.environ.get(name, ""))
            except ValueError:
                return default
            return value if value >= 0 else default

        base = number(BACKOFF_ENV, cls.base)
        # a smaller base (tests) shrinks the cap with it, so five tries never wait long
        return cls(base=base, cap=min(cls.cap, base * 32), timeout=number(TIMEOUT_ENV, cls.timeout) or cls.timeout)

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 0)."""
        backoff = min(self.cap, self.base * (2 ** attempt)) * (0.5 + rng() / 2)
        return max(backoff, retry_after) if retry_after is not None else backoff


class GoogleApiError(SourceError):
    """A request failed for good. ``status`` is the HTTP status (``None`` when Google was not reached),
    ``reason`` Google's short reason (``"PERMISSION_DENIED"``, ``"notFound"``...) when it gave one."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every secret (and anything shaped like a key or token) replaced by ``[hidden]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[hidden]")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub("[hidden]", text)
    return text


def remote_text(raw: object, secrets: tuple[str, ...] = (), limit: int = 200) -> str:
    """Text that came from the other side, made safe to show: one line, short, no secrets."""
    text = _CONTROL.sub(" ", str(raw)).strip()
    text = redact(text, secrets)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_details(content: bytes | str | None) -> tuple[str | None, str | None, set[str]]:
    """(status, message, reasons) from a Google JSON error body; all ``None``/empty if it is not one."""
    try:
        body = json.loads(content if content else b"null")
    except (ValueError, TypeError, UnicodeDecodeError):
        return None, None, set()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None, set()
    status = error.get("status") if isinstance(error.get("status"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else None
    reasons = set()
    for item in error.get("errors") or ():
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            reasons.add(item["reason"])
    for item in error.get("details") or ():
        if isinstance(item, dict) and isinstance(item.get("reason"), str):
            reasons.add(item["reason"])
    return status, message, reasons


def is_retryable(status: int, google_status: str | None, reasons: set[str]) -> bool:
    """Whether a failed request may succeed if simply sent again later."""
    if status == 429 or status >= 500:
        return True
    if status == 403:
        folded = {r.casefold() for r in reasons} | ({google_status.casefold()} if google_status else set())
        return bool(folded & _RATE_REASONS)
    return False


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """A ``Retry-After`` header (seconds, or an HTTP date) as seconds from now; ``None`` if absent or odd."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = (when - (now or dt.datetime.now(dt.timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _endpoint_base(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"`api_endpoint` must be a web address starting with https:// (got {remote_text(endpoint)!r}).")
    return endpoint if endpoint.endswith("/") else endpoint + "/"


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httplib2
    from google.auth.exceptions import TransportError

    return (OSError, http.client.HTTPException, httplib2.HttpLib2Error, TransportError)


@dataclass(frozen=True)
class Place:
    """What a request is about, for messages: ``name`` as a person knows the sheet, the access it
    needs (``"Editor"`` to write back, else ``"Viewer"``) and whether the request changes the sheet."""

    name: str
    role: str = "Viewer"
    writing: bool = False


class GoogleClient:
    """Sheets v4 and Drive v3 services over one authorised, timed-out HTTP connection.

    Not thread-safe (httplib2 is not): each source owns one.
    """

    def __init__(self, auth: GoogleAuth, endpoint: str | None = None, policy: RetryPolicy | None = None, *,
                 sleep: Callable[[float], None] = time.sleep, rng: Callable[[], float] = random.random) -> None:
        self.auth = auth
        self.endpoint = _endpoint_base(endpoint) if endpoint else None
        self.policy = policy or RetryPolicy.from_env()
        self.sleep = sleep
        self.rng = rng
        self._services: dict[str, Any] = {}

    # -- services --------------------------------------------------------------------------------

    def _http(self) -> Any:
        import google_auth_httplib2
        import httplib2

        return google_auth_httplib2.AuthorizedHttp(self.auth.credentials, http=httplib2.Http(timeout=self.policy.timeout))

    def service(self, api: str) -> Any:
        """The ``"sheets"`` or ``"drive"`` service (built once, from the shipped discovery document)."""
        if api not in self._services:
            from googleapiclient.discovery import build

            name, version, path = ("sheets", "v4", "") if api == "sheets" else ("drive", "v3", "drive/v3/")
            options = {"api_endpoint": urljoin(self.endpoint, path)} if self.endpoint else None
            self._services[api] = build(name, version, http=self._http(), client_options=options,
                                        static_discovery=True, cache_discovery=False)
        return self._services[api]

    # -- requests --------------------------------------------------------------------------------

    def call(self, api: str, make: Callable[[Any], Any], what: str, place: Place) -> dict[str, Any]:
        """Send the request ``make(service)`` builds, retrying as the policy allows; its JSON answer.

        ``what`` names the request in the log (``"drive files.get"``). Raises ``GoogleApiError``.
        """
        from google.auth.exceptions import RefreshError
        from googleapiclient.errors import HttpError

        policy = self.policy
        attempt = transport_failures = 0
        while True:
            retry_after: float | None = None
            try:
                result = make(self.service(api)).execute(num_retries=0)
                if not isinstance(result, dict):
                    raise self._garbled(place)
                log.debug("%s: ok (try %d)", what, attempt + 1)
                return result
            except HttpError as exc:
                status = int(getattr(exc.resp, "status", 0) or 0)
                google_status, message, reasons = error_details(getattr(exc, "content", None))
                if not is_retryable(status, google_status, reasons) or attempt + 1 >= policy.attempts:
                    log.info("%s: HTTP %s, giving up after %d tries", what, status, attempt + 1)
                    raise self._failure(status, google_status, message, reasons, place, attempt + 1) from None
                headers = exc.resp if isinstance(exc.resp, dict) else {}
                retry_after = retry_after_seconds(headers.get("retry-after"))
                if retry_after is not None and retry_after > policy.max_wait:
                    raise GoogleApiError(
                        f"Google asks syncd to wait {retry_after:.0f} seconds before using {place.name} again "
                        "(its usage limit was reached); syncd tries again on a later sync.", status=status,
                        reason="rate limited") from None
                log.info("%s: HTTP %s (%s); trying again", what, status, google_status or "busy")
            except RefreshError as exc:
                if getattr(exc, "retryable", False) and attempt + 1 < policy.attempts:
                    log.info("%s: the token endpoint is busy; trying again", what)
                else:
                    raise self._refused(place) from None
            except _transport_errors() as exc:
                transport_failures += 1
                if transport_failures >= policy.transport_attempts or attempt + 1 >= policy.attempts:
                    raise self._unreachable(exc, place) from None
                log.info("%s: %s; trying again", what, type(exc).__name__)
            except GoogleApiError:
                raise
            except Exception:  # noqa: BLE001 - a garbled answer must not escape as a library error
                log.info("%s: unreadable answer", what)
                raise self._garbled(place) from None
            wait = policy.delay(attempt, retry_after, self.rng)
            attempt += 1
            self.sleep(wait)

    # -- messages --------------------------------------------------------------------------------

    def _failure(self, status: int, google_status: str | None, message: str | None, reasons: set[str], place: Place,
                 tries: int) -> GoogleApiError:
        who = self.auth.share_with
        said = f" Google said: {remote_text(message, self.auth.secrets())}" if message else ""
        reason = google_status or next(iter(sorted(reasons)), None)
        if status == 403 and not is_retryable(status, google_status, reasons):
            return GoogleApiError(
                f"syncd may not {'change' if place.writing else 'open'} {place.name}: share the sheet with {who} "
                f"as {place.role} (Share button, "
                f"top right in Google Sheets), then syncd picks it up on the next sync.{said}",
                status=status, reason=reason)
        if status == 404:
            return GoogleApiError(
                f"Google has no sheet {place.name}, or does not show it to {who}: check `spreadsheet` in the "
                f"configuration, and share the sheet with {who} as {place.role}.", status=status, reason=reason)
        if status == 401:
            return self._refused(place)
        if is_retryable(status, google_status, reasons):
            return GoogleApiError(
                f"Google Sheets is not answering for {place.name} (HTTP {status} after {tries} tries); syncd tries "
                "again on the next sync.", status=status, reason=reason)
        return GoogleApiError(f"Google refused a request for {place.name} (HTTP {status}).{said}", status=status,
                              reason=reason)

    def _refused(self, place: Place) -> GoogleApiError:
        if self.auth.kind == "service_account":
            fix = ("the service account's key may have been deleted or disabled: create a new JSON key for "
                   f"{self.auth.share_with} and set `credentials` to it")
        elif self.auth.kind == "oauth":
            fix = "the saved sign-in has expired or was revoked: run `syncd auth google` again"
        else:
            fix = "renew your Application Default Credentials (gcloud auth application-default login)"
        return GoogleApiError(f"Google did not accept syncd's credentials for {place.name} — {fix}.", status=401,
                              reason="unauthenticated")

    def _unreachable(self, exc: BaseException, place: Place) -> GoogleApiError:
        if isinstance(exc, (socket.timeout, TimeoutError)):
            why = f"no answer within {self.policy.timeout:g} seconds"
        elif isinstance(exc, ConnectionRefusedError):
            why = "the connection was refused"
        elif type(exc).__name__ == "ServerNotFoundError":
            why = "the server's name could not be found"
        else:
            why = "the connection failed"
        return GoogleApiError(f"Google could not be reached for {place.name} ({why}). Check the internet "
                              "connection; syncd tries again on the next sync.")

    @staticmethod
    def _garbled(place: Place) -> GoogleApiError:
        return GoogleApiError(f"Google sent an answer about {place.name} that syncd cannot understand; syncd tries "
                              "again on the next sync.")
