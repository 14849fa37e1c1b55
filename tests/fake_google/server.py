"""A local stand-in for Google: Sheets v4, Drive v3 (files.get) and the OAuth token endpoint, over real
HTTP on 127.0.0.1, so the whole real client stack (google-api-python-client, google-auth, httplib2)
runs against it.

It logs every request, can answer the next N requests with 429/403/500, runs hooks before or after a
request (a person editing the sheet between syncd's read and its write), and has helpers for a
person's edits between polls. Access control is Google's: a spreadsheet not shared with the caller is
404 on Drive and 403 on Sheets; a "reader" may not write.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from fake_google.book import Person, Spreadsheet
from fake_google.keys import private_key_pem, public_key, service_account_info, verify_jwt
from fake_google.sheets import ApiError, FTab, cell_ref, mask_paths, user_entered

SERVICE_ACCOUNT = "syncd@project.iam.gserviceaccount.com"
PRIYA = Person("priya@example.com", "Priya Shah")
UTC = dt.timezone.utc

_FAULTS = {
    429: ("RESOURCE_EXHAUSTED", "rateLimitExceeded", "Quota exceeded for quota metric 'Read requests' of service "
                                                     "'sheets.googleapis.com'."),
    403: ("PERMISSION_DENIED", "forbidden", "The caller does not have permission"),
    500: ("INTERNAL", "backendError", "Internal error encountered."),
    503: ("UNAVAILABLE", "backendError", "The service is currently unavailable."),
}


@dataclass
class Logged:
    method: str
    path: str
    op: str  # "token", "drive files.get", "sheets spreadsheets.get", "sheets spreadsheets.batchUpdate", ...
    query: dict[str, list[str]]
    body: Any
    status: int
    user: str | None


@dataclass
class _Fault:
    status: int
    retry_after: str | None
    reason: str | None
    garbage: bytes | None = None  # answer 200 with this body instead of JSON


class FakeGoogle:
    """Start with ``with FakeGoogle() as google:``; ``google.url`` is the ``api_endpoint``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.books: dict[str, Spreadsheet] = {}
        self.log: list[Logged] = []
        self.now = dt.datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
        self.issued: list[str] = []  # every secret handed out, so tests can look for leaks
        self._faults: deque[_Fault] = deque()
        self._hooks: list[tuple[str, str, Callable[[], None]]] = []
        self._tokens: dict[str, str] = {}
        self._refresh: dict[str, str] = {}
        self._codes: dict[str, str] = {}
        self._sa_keys: dict[str, Any] = {}
        self._clients: dict[str, str] = {}
        self.names: dict[str, str] = {SERVICE_ACCOUNT: "syncd", PRIYA.email: PRIYA.name}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, payload = fake.handle(self.command, self.path, dict(self.headers), body)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def token_uri(self) -> str:
        return self.url + "token"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FakeGoogle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- set-up ------------------------------------------------------------------------------------

    def service_account_file(self, path: Path, email: str = SERVICE_ACCOUNT) -> Path:
        """Write a service-account key file whose ``token_uri`` is this stand-in, and accept its grants."""
        pem = private_key_pem(email)
        self._sa_keys[email] = public_key(pem)
        key_id = secrets.token_hex(20)
        path.write_text(json.dumps(service_account_info(email, self.token_uri, pem, key_id), indent=2))
        self.issued += [pem.split("-----")[2].strip().splitlines()[1], key_id]
        return path

    def oauth_client_file(self, path: Path) -> Path:
        client_id, secret = "1234-fake.apps.googleusercontent.com", "GOCSPX-" + secrets.token_urlsafe(20)
        self._clients[client_id] = secret
        self.issued.append(secret)
        path.write_text(json.dumps({"installed": {
            "client_id": client_id, "client_secret": secret, "auth_uri": self.url + "auth",
            "token_uri": self.token_uri, "redirect_uris": ["http://localhost"]}}))
        return path

    def authorization_code(self, email: str = PRIYA.email) -> str:
        code = "4/fake-" + secrets.token_urlsafe(16)
        self._codes[code] = email
        return code

    def add_spreadsheet(self, sheet_id: str, name: str, tabs: dict[str, list[list[Any]]] | None = None, *,
                        share: dict[str, str] | None = None) -> Spreadsheet:
        """A spreadsheet with ``tabs`` (title → rows, typed in as a person would), shared as ``share``
        (default: the service account may write)."""
        book = Spreadsheet(sheet_id, name, shared=dict(share if share is not None else {SERVICE_ACCOUNT: "writer"}))
        for i, (title, rows) in enumerate((tabs or {"Sheet1": []}).items()):
            tab = FTab(i, title, i, rows=max(1000, len(rows) + 10), cols=26)
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    tab.put(r, c, user_entered(value))
            book.tabs.append(tab)
        with self.lock:
            self.books[sheet_id] = book
        return book

    # -- a person at work --------------------------------------------------------------------------

    def tick(self) -> dt.datetime:
        self.now += dt.timedelta(minutes=1)
        return self.now

    def edit(self, sheet_id: str, tab: str, cell: str, value: Any, *, by: Person = PRIYA) -> None:
        """A person types ``value`` into ``cell`` (e.g. ``"D3"``) in the browser."""
        with self.lock:
            book = self.books[sheet_id]
            r, c = cell_ref(cell)
            t = book.tab(tab)
            new = user_entered(value)
            old = t.cell(r, c)
            new.note, new.fmt = old.note, {**old.fmt, **new.fmt}
            t.put(r, c, new)
            book.touched(by, self.tick())

    def person_requests(self, sheet_id: str, requests: list[dict[str, Any]], *, by: Person = PRIYA) -> None:
        """A person's change expressed as Sheets requests (insert a row, add a note...)."""
        with self.lock:
            book = self.books[sheet_id]
            book.batch_update(requests)
            book.touched(by, self.tick())

    # -- faults, hooks, log ------------------------------------------------------------------------

    def fail_next(self, n: int, status: int, *, retry_after: str | None = None, reason: str | None = None) -> None:
        """Answer the next ``n`` API requests (not token requests) with ``status``."""
        with self.lock:
            self._faults.extend(_Fault(status, retry_after, reason) for _ in range(n))

    def garble_next(self, n: int, body: bytes = b"<html>Service temporarily overloaded</html>") -> None:
        """Answer the next ``n`` API requests with 200 and a body that is not JSON (a broken proxy)."""
        with self.lock:
            self._faults.extend(_Fault(200, None, None, body) for _ in range(n))

    def before(self, op: str, fn: Callable[[], None]) -> None:
        """Run ``fn`` once, just before the next request whose ``op`` is ``op`` is answered."""
        self._hooks.append(("before", op, fn))

    def after(self, op: str, fn: Callable[[], None]) -> None:
        """Run ``fn`` once, right after the next ``op`` request took effect (before its answer is sent)."""
        self._hooks.append(("after", op, fn))

    def mark(self) -> int:
        return len(self.log)

    def calls(self, since: int = 0, *, tokens: bool = False) -> list[Logged]:
        with self.lock:
            return [e for e in self.log[since:] if tokens or e.op != "token"]

    def _run_hooks(self, when: str, op: str) -> None:
        for hook in list(self._hooks):
            if hook[0] == when and hook[1] == op:
                self._hooks.remove(hook)
                hook[2]()

    # -- HTTP ----------------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        route = unquote(parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if route == "/token" and method == "POST":
            form = parse_qs(body.decode())
            basic = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
            if basic.startswith("Basic "):  # requests-oauthlib sends the client's id and secret this way
                client, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", [unquote(client)])
                form.setdefault("client_secret", [unquote(secret)])
            status, answer = self._token(form)
            with self.lock:
                self.log.append(Logged(method, route, "token", {}, None, status, None))
            return status, {"Content-Type": "application/json"}, json.dumps(answer).encode()
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        op = _operation(method, route)
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        user = self._tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        extra: dict[str, str] = {}
        with self.lock:
            self._run_hooks("before", op)
            try:
                if user is None:
                    raise ApiError(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED", "authError")
                if self._faults and self._faults[0].garbage is not None:
                    garbage = self._faults.popleft().garbage
                    self.log.append(Logged(method, route, op, query, payload, 200, user))
                    return 200, {"Content-Type": "application/json"}, garbage or b""
                if self._faults:
                    fault = self._faults.popleft()
                    google_status, reason, message = _FAULTS.get(fault.status, ("UNKNOWN", "unknown", "error"))
                    if fault.retry_after is not None:
                        extra["Retry-After"] = fault.retry_after
                    raise ApiError(fault.status, message, google_status, fault.reason or reason)
                status, answer = 200, self._dispatch(method, route, query, payload, user)
            except ApiError as exc:
                status, answer = exc.status, exc.body()
            self.log.append(Logged(method, route, op, query, payload, status, user))
            if status == 200:
                self._run_hooks("after", op)
        return status, {"Content-Type": "application/json; charset=UTF-8", **extra}, json.dumps(answer).encode()

    def _token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        grant = (form.get("grant_type") or [""])[0]
        email: str | None = None
        refresh = None
        try:
            if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                email = verify_jwt((form.get("assertion") or [""])[0], self._sa_keys, self.token_uri)["iss"]
            elif grant in ("refresh_token", "authorization_code"):
                client, secret = (form.get("client_id") or [""])[0], (form.get("client_secret") or [""])[0]
                if self._clients.get(client) != secret:
                    raise ValueError("The OAuth client was not found.")
                if grant == "refresh_token":
                    email = self._refresh.get((form.get("refresh_token") or [""])[0])
                else:
                    email = self._codes.pop((form.get("code") or [""])[0], None)
                    refresh = "1//fake-" + secrets.token_urlsafe(32)
                if email is None:
                    raise ValueError("Token has been expired or revoked.")
            else:
                raise ValueError("unsupported grant type")
        except ValueError as exc:
            return 400, {"error": "invalid_grant", "error_description": str(exc)}
        token = "ya29.fake-" + secrets.token_urlsafe(32)
        with self.lock:
            self._tokens[token] = email
            self.issued.append(token)
            answer: dict[str, Any] = {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
            if refresh:
                self._refresh[refresh] = email
                self.issued.append(refresh)
                answer["refresh_token"] = refresh
                answer["scope"] = ("https://www.googleapis.com/auth/spreadsheets "
                                   "https://www.googleapis.com/auth/drive.metadata.readonly")
        return 200, answer

    def _book(self, sheet_id: str, user: str, *, drive: bool, write: bool = False) -> Spreadsheet:
        book = self.books.get(sheet_id)
        role = book.shared.get(user) if book else None
        if book is None or role is None:
            if drive:
                raise ApiError(404, f"File not found: {sheet_id}.", "NOT_FOUND", "notFound")
            if book is None:
                raise ApiError(404, "Requested entity was not found.", "NOT_FOUND", "notFound")
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED", "forbidden")
        if write and role != "writer":
            raise ApiError(403, "The caller does not have permission", "PERMISSION_DENIED", "forbidden")
        return book

    def _dispatch(self, method: str, route: str, query: dict[str, list[str]], body: Any, user: str) -> dict[str, Any]:
        q = {k: v[0] for k, v in query.items()}
        if route.startswith("/drive/v3/files/") and method == "GET":
            book = self._book(route.rsplit("/", 1)[1], user, drive=True)
            return self._file(book, q.get("fields", ""), user)
        if not route.startswith("/v4/spreadsheets/"):
            raise ApiError(404, f"Not found: {route}", "NOT_FOUND", "notFound")
        rest = route[len("/v4/spreadsheets/"):]
        if method == "POST" and rest.endswith(":batchUpdate") and "/values" not in rest:
            book = self._book(rest[: -len(":batchUpdate")], user, drive=False, write=True)
            requests = (body or {}).get("requests")
            if not isinstance(requests, list) or not requests:
                raise ApiError(400, "Must specify at least one request.")
            replies = book.batch_update(requests)
            book.touched(Person(user, self.names.get(user, user)), self.tick())
            return {"spreadsheetId": book.id, "replies": replies}
        sheet_id, _, tail = rest.partition("/")
        if method == "GET" and not tail:
            book = self._book(sheet_id, user, drive=False)
            return book.resource(query.get("ranges", []), q.get("includeGridData") == "true")
        if tail == "values:batchGet" and method == "GET":
            book = self._book(sheet_id, user, drive=False)
            render = q.get("valueRenderOption", "FORMATTED_VALUE")
            return {"spreadsheetId": book.id, "valueRanges": [book.value_range(r, render) for r in query.get("ranges", [])]}
        if tail.startswith("values/") and method == "GET":
            book = self._book(sheet_id, user, drive=False)
            return book.value_range(tail[len("values/"):], q.get("valueRenderOption", "FORMATTED_VALUE"))
        if tail in ("values:batchUpdate",) and method == "POST" or tail.startswith("values/") and method == "PUT":
            book = self._book(sheet_id, user, drive=False, write=True)
            if method == "PUT":
                option, data = q.get("valueInputOption", ""), [{"range": tail[len("values/"):], **(body or {})}]
            else:
                option, data = (body or {}).get("valueInputOption", ""), (body or {}).get("data") or []
            cells = book.write_values(data, option)
            book.touched(Person(user, self.names.get(user, user)), self.tick())
            return {"spreadsheetId": book.id, "totalUpdatedCells": cells}
        raise ApiError(404, f"Not found: {method} {route}", "NOT_FOUND", "notFound")

    def _file(self, book: Spreadsheet, fields: str, user: str) -> dict[str, Any]:
        full = {
            "kind": "drive#file", "id": book.id, "name": book.name, "mimeType": "application/vnd.google-apps.spreadsheet",
            "version": str(book.version),
            "modifiedTime": book.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "lastModifyingUser": {"kind": "drive#user", "displayName": book.last_user.name,
                                  "emailAddress": book.last_user.email, "me": book.last_user.email == user},
        }
        if not fields:
            return {k: full[k] for k in ("kind", "id", "name", "mimeType")}
        wanted = {path[0] for path in mask_paths(fields)}
        return {k: v for k, v in full.items() if k in wanted}


def _operation(method: str, route: str) -> str:
    if route.startswith("/drive/v3/files/"):
        return "drive files.get"
    if route.endswith(":batchUpdate"):
        return "sheets values.batchUpdate" if "/values" in route else "sheets spreadsheets.batchUpdate"
    if "/values" in route:
        return "sheets values.update" if method == "PUT" else "sheets values.get"
    return "sheets spreadsheets.get"
