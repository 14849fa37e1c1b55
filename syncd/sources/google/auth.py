"""Credentials for Google: a service-account key file, a cached OAuth token, or Application Default
Credentials — and the one-time installed-app sign-in that fills the token cache.

Secrets (private keys, access and refresh tokens, client secrets) stay inside the credential
objects and the 0600 files that hold them: no message built here quotes a key file or a response.
Loaded credentials are kept for the life of the process (per file and its modification time), so a
daemon polling every minute asks the token endpoint once an hour, not once a poll.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncd.config import GSheetSourceConfig
from syncd.errors import SourceError

#: Sheets to read and write the cells; Drive metadata to learn a sheet's version cheaply.
SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/drive.metadata.readonly",
)
#: Overrides where the OAuth token is cached (the config has no key for it; see the README).
TOKEN_ENV = "SYNCD_GOOGLE_TOKEN"
_KEY_FILE_MAX = 64 * 1024  # a key file is ~2.3 KB; anything far bigger is not one
_REQUIRED_KEYS = ("client_email", "private_key", "token_uri")


@dataclass(frozen=True)
class GoogleAuth:
    """Credentials ready for requests, plus who they act as, for messages.

    ``share_with`` is what a person must share the sheet with: the service account's e-mail, or a
    description of the signed-in account when the e-mail is not known without a request.
    """

    credentials: Any = field(repr=False, compare=False)
    kind: str  # "service_account" | "oauth" | "default"
    email: str | None
    share_with: str

    def secrets(self) -> tuple[str, ...]:
        """Every secret string these credentials hold right now (for scrubbing text from outside)."""
        creds = self.credentials
        found = [getattr(creds, name, None) for name in ("token", "refresh_token", "client_secret")]
        return tuple(s for s in found if isinstance(s, str) and len(s) >= 8)


def _config_home() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    return Path(base) if base else Path.home() / ".config"


def default_token_path() -> Path:
    """Where `syncd auth google` caches the OAuth token and `oauth = true` sources find it."""
    override = os.environ.get(TOKEN_ENV)
    return Path(override).expanduser() if override else _config_home() / "syncd" / "google-token.json"


def default_client_secrets_path() -> Path:
    return _config_home() / "syncd" / "google-client-secrets.json"


_cache: dict[tuple[Any, ...], GoogleAuth] = {}
_cache_lock = threading.Lock()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load_auth(config: GSheetSourceConfig) -> GoogleAuth:
    """The credentials a ``gsheet`` source uses. Raises ``SourceError`` saying what to fix."""
    if config.credentials is not None:
        kind, path = "service_account", config.credentials
    elif config.oauth:
        kind, path = "oauth", default_token_path()
    else:
        kind, path = "default", None
    key = (kind, str(path), _stamp(path) if path else None)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    if kind == "service_account":
        auth = service_account_auth(path)
    elif kind == "oauth":
        auth = oauth_auth(path)
    else:
        auth = default_auth()
    with _cache_lock:
        _cache[key] = auth
    return auth


def _read_json(path: Path, what: str, fix: str) -> dict[str, Any]:
    try:
        if path.stat().st_size > _KEY_FILE_MAX:
            raise SourceError(f"{path} is too big to be {what} — {fix}.")
        with open(path, "rb") as f:
            data = json.loads(f.read(_KEY_FILE_MAX))
    except FileNotFoundError:
        raise SourceError(f"{path} does not exist (syncd needs {what} there) — {fix}.") from None
    except OSError as exc:
        raise SourceError(f"Cannot read {what} {path} ({exc.strerror or 'read error'}) — check its permissions.") from None
    except (ValueError, UnicodeDecodeError):
        raise SourceError(f"{path} is not {what} (it is not JSON) — {fix}.") from None
    if not isinstance(data, dict):
        raise SourceError(f"{path} is not {what} — {fix}.")
    return data


def service_account_auth(path: Path) -> GoogleAuth:
    """Credentials from a service-account JSON key file; its own ``token_uri`` is used for tokens."""
    from google.oauth2 import service_account

    fix = "download a JSON key for the service account (README, section Google Sheets) and set `credentials` to it"
    info = _read_json(path, "a service-account key file", fix)
    missing = [k for k in _REQUIRED_KEYS if not isinstance(info.get(k), str) or not info[k]]
    if info.get("type") != "service_account" or missing:
        detail = f"it lacks {', '.join(missing)}" if missing else "its type is not service_account"
        raise SourceError(f"{path} is not a service-account key file ({detail}) — {fix}.")
    try:
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    except Exception:  # noqa: BLE001 - the library's message may quote the key; say it in our words
        raise SourceError(f"The private key in {path} cannot be used (it is damaged or not a key) — {fix}.") from None
    email = info["client_email"]
    return GoogleAuth(creds, "service_account", email, email)


def oauth_auth(path: Path) -> GoogleAuth:
    """Credentials from the token cached by `syncd auth google` (refreshed as needed)."""
    from google.oauth2.credentials import Credentials

    fix = "run `syncd auth google` once to sign in"
    info = _read_json(path, "a saved Google sign-in", fix)
    _tighten(path)
    try:
        creds = Credentials.from_authorized_user_info(info, scopes=list(SCOPES))
        if isinstance(info.get("token_uri"), str) and info["token_uri"]:
            # google-auth always sends user sign-ins to Google's endpoint; honour the saved one (proxies, tests)
            creds = creds.with_token_uri(info["token_uri"])
    except Exception:  # noqa: BLE001
        raise SourceError(f"The saved Google sign-in {path} is incomplete — {fix}.") from None
    email = info.get("account") if isinstance(info.get("account"), str) and info.get("account") else None
    who = email or "the Google account you signed in with `syncd auth google`"
    return GoogleAuth(creds, "oauth", email, who)


def default_auth() -> GoogleAuth:
    """Application Default Credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud, a cloud VM)."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        creds, _project = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError:
        raise SourceError(
            "No Google credentials are set up for this sheet. Set `credentials` to a service-account key "
            "file, or `oauth = true` and run `syncd auth google` (README, section Google Sheets)."
        ) from None
    email = getattr(creds, "service_account_email", None)
    email = email if isinstance(email, str) and "@" in email else None
    return GoogleAuth(creds, "default", email, email or "the account of your Application Default Credentials")


def _tighten(path: Path) -> None:
    # A token someone copied in with loose permissions is made private again.
    try:
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".syncd-token-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def run_installed_app_flow(client_secrets: Path, token: Path, *, open_browser: bool = True,
                           timeout_seconds: int | None = 300) -> Path:
    """Sign in once in the browser (installed-app OAuth flow) and cache the refreshable token at
    ``token`` (mode 0600). Raises ``SourceError`` naming what went wrong, never a secret."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    fix = ("in Google Cloud Console create an OAuth client ID of type \"Desktop app\", download its JSON "
           "and pass it with --client-secrets")
    config = _read_json(client_secrets, "an OAuth client file", fix)
    if not isinstance(config.get("installed"), dict) and not isinstance(config.get("web"), dict):
        raise SourceError(f"{client_secrets} is not an OAuth client file for a desktop app — {fix}.")
    try:
        flow = InstalledAppFlow.from_client_config(config, scopes=list(SCOPES))
        creds = flow.run_local_server(host="localhost", port=0, open_browser=open_browser,
                                      timeout_seconds=timeout_seconds,
                                      authorization_prompt_message="Open this address in your browser to sign in: {url}",
                                      success_message="syncd is signed in. You can close this window.")
    except Exception as exc:  # noqa: BLE001 - oauthlib's errors may carry the response; name the kind only
        raise SourceError(f"Signing in to Google did not finish ({type(exc).__name__}). Run `syncd auth google` "
                          "again and allow syncd access in the browser.") from None
    write_private(token, creds.to_json())
    return token
