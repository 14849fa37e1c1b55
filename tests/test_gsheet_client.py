"""Talking to Google: retries and their timing, messages for what cannot be retried, timeouts, and the
three ways to sign in (service-account key, `syncd auth google`, Application Default Credentials).

Every test goes over real HTTP to the stand-in; only the clock (``sleep``) and the browser are replaced.
"""

from __future__ import annotations

import json
import socket
import stat
import threading
import urllib.parse
import urllib.request
import webbrowser

import pytest
from click.testing import CliRunner

from fake_google import PRIYA, SERVICE_ACCOUNT
from fake_google.team import google, google_env  # noqa: F401 - fixtures
from syncd.cli import main
from syncd.config import GSheetSourceConfig
from syncd.errors import CopyRejected, SourceError
from syncd.sources.google.client import RetryPolicy, redact, retry_after_seconds
from syncd.sources.gsheet import GSheetSource


class Clock:
    """Records the waits instead of sleeping them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def source(google, tmp_path, *, clock=None, policy=None, **config) -> GSheetSource:
    key = config.pop("credentials", None) or google.service_account_file(tmp_path / "sa.json")
    if "S1" not in google.books:
        google.add_spreadsheet("S1", "Campaign tracker", {"Tasks": [["ID", "Task"], ["T-1", "Draft"]]})
    cfg = GSheetSourceConfig(spreadsheet="S1", sheet="Tasks", credentials=key, api_endpoint=google.url, **config)
    return GSheetSource(cfg, state_dir=tmp_path / "state", policy=policy or RetryPolicy(base=0.5, cap=8.0),
                        sleep=clock or Clock())


def test_a_rate_limit_is_retried_after_at_least_what_retry_after_asks(google, tmp_path):
    clock = Clock()
    src = source(google, tmp_path, clock=clock)
    google.fail_next(1, 429, retry_after="7")
    google.fail_next(1, 403, reason="userRateLimitExceeded")  # Drive's way of saying the same
    [ref] = src.list()
    assert ref.name == 'Google Sheet "Campaign tracker"'
    assert len(clock.waits) == 2 and clock.waits[0] >= 7 and 0 < clock.waits[1] <= 8


def test_backoff_doubles_up_to_its_cap_with_jitter():
    policy = RetryPolicy(base=1.0, cap=8.0)
    low = [policy.delay(n, None, rng=lambda: 0.0) for n in range(6)]
    high = [policy.delay(n, None, rng=lambda: 1.0) for n in range(6)]
    assert high == [1, 2, 4, 8, 8, 8] and low == [h / 2 for h in high]
    assert policy.delay(0, 30.0, rng=lambda: 0.5) == 30.0
    assert retry_after_seconds("120") == 120 and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # a date in the past: go now


def test_a_server_error_that_does_not_pass_is_reported_after_the_last_try(google, tmp_path):
    clock = Clock()
    src = source(google, tmp_path, clock=clock, policy=RetryPolicy(attempts=4, base=0.5))
    google.fail_next(4, 500)
    with pytest.raises(SourceError, match=r"not answering for the Google Sheet S1 \(HTTP 500 after 4 tries\)"):
        src.list()
    assert len(clock.waits) == 3
    assert [c.status for c in google.calls()] == [500, 500, 500, 500]


def test_a_wait_longer_than_a_sync_should_take_is_left_to_the_next_sync(google, tmp_path):
    src = source(google, tmp_path)
    google.fail_next(1, 429, retry_after="3600")
    with pytest.raises(SourceError, match="wait 3600 seconds"):
        src.list()
    assert len(google.calls()) == 1


@pytest.mark.parametrize("mirror, role", [(True, "Editor"), (False, "Viewer")])
def test_no_permission_is_not_retried_and_says_whom_to_share_the_sheet_with(google, tmp_path, mirror, role):
    src = source(google, tmp_path, mirror=mirror)
    google.fail_next(1, 403)
    with pytest.raises(SourceError) as caught:
        src.list()
    assert f"share the sheet with {SERVICE_ACCOUNT} as {role}" in str(caught.value)
    assert len(google.calls()) == 1


def test_a_sheet_that_does_not_exist_or_is_not_shared_says_what_to_check(google, tmp_path):
    google.add_spreadsheet("S1", "Campaign tracker", {"Tasks": []}, share={})
    src = source(google, tmp_path)
    with pytest.raises(SourceError) as caught:
        src.list()
    text = str(caught.value)
    assert "check `spreadsheet` in the configuration" in text and SERVICE_ACCOUNT in text
    assert len(google.calls()) == 1


def test_reading_a_sheet_shared_for_drive_but_not_for_sheets_refuses_that_copy_only(google, tmp_path):
    src = source(google, tmp_path)
    [ref] = src.list()
    first = src.fingerprint(ref)
    google.fail_next(1, 403)
    with pytest.raises(CopyRejected) as caught:
        src.read(ref, None)
    assert caught.value.file == 'Google Sheet "Campaign tracker"' and SERVICE_ACCOUNT in caught.value.reason
    # the failed read does not leave that version marked as seen: it is read again next time
    assert src.fingerprint(ref) != first


def test_google_not_answering_in_time_is_a_clear_problem_not_a_hang(google, tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    try:
        clock = Clock()
        src = GSheetSource(
            GSheetSourceConfig(spreadsheet="S1", credentials=google.service_account_file(tmp_path / "sa.json"),
                               api_endpoint=f"http://127.0.0.1:{silent.getsockname()[1]}/"),
            state_dir=tmp_path, policy=RetryPolicy(timeout=0.3, base=0.01), sleep=clock)
        with pytest.raises(SourceError, match=r"could not be reached .*no answer within 0.3 seconds"):
            src.list()
        assert len(clock.waits) == 1  # tried twice, then left for the next sync
    finally:
        silent.close()


def test_a_broken_key_file_is_explained_without_quoting_it(google, tmp_path):
    key = google.service_account_file(tmp_path / "sa.json")
    info = json.loads(key.read_text())
    info["private_key"] = info["private_key"].replace("MII", "XXX")
    key.write_text(json.dumps(info))
    with pytest.raises(SourceError) as caught:
        source(google, tmp_path, credentials=key).list()
    assert "cannot be used" in str(caught.value) and "XXX" not in str(caught.value)
    (tmp_path / "notakey.json").write_text('{"type": "authorized_user"}')
    with pytest.raises(SourceError, match="not a service-account key file"):
        source(google, tmp_path, credentials=tmp_path / "notakey.json").list()
    with pytest.raises(SourceError, match="missing.json does not exist .syncd needs a service-account key file there"):
        source(google, tmp_path, credentials=tmp_path / "missing.json").list()


def test_a_key_google_no_longer_accepts_says_to_make_a_new_one(google, tmp_path):
    other = google.service_account_file(tmp_path / "other.json", email="old@project.iam.gserviceaccount.com")
    google._sa_keys.pop("old@project.iam.gserviceaccount.com")  # the key was deleted in Cloud Console
    with pytest.raises(SourceError, match="create a new JSON key for old@project.iam.gserviceaccount.com"):
        source(google, tmp_path, credentials=other).list()


def test_redact_hides_keys_and_tokens_in_text_from_outside():
    text = "failed: ya29.a0AfH6SMB token, refresh 1//0gabcdefghijklmnop, key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"
    out = redact(text, ("s3cr3t-value",))
    assert "ya29." not in out and "1//0g" not in out and "MIIE" not in out and out.count("[hidden]") == 3
    assert redact("my s3cr3t-value", ("s3cr3t-value",)) == "my [hidden]"


# --- signing in --------------------------------------------------------------------------------------


class Browser:
    """Plays the person in the browser: approves, and Google redirects back with a code."""

    def __init__(self, google) -> None:
        self.google = google
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        back = query["redirect_uri"][0] + "?" + urllib.parse.urlencode(
            {"state": query["state"][0], "code": self.google.authorization_code(PRIYA.email),
             "scope": " ".join(query["scope"][0].split())})
        threading.Thread(target=lambda: urllib.request.urlopen(back, timeout=10).read(), daemon=True).start()
        return True


def test_syncd_auth_google_signs_in_once_and_keeps_a_private_renewable_token(google, tmp_path, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the stand-in speaks http
    browser = Browser(google)
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    client = google.oauth_client_file(tmp_path / "client.json")
    token = tmp_path / "private" / "google-token.json"
    result = CliRunner().invoke(main, ["auth", "google", "--client-secrets", str(client), "--token", str(token)])
    assert result.exit_code == 0, result.output
    assert "Signed in" in result.output and browser.opened
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert not any(secret in result.output for secret in google.issued)
    # a sheet with `oauth = true` now works as Priya, and renews the token when it has expired
    saved = json.loads(token.read_text())
    saved.pop("token")
    token.write_text(json.dumps(saved))
    monkeypatch.setenv("SYNCD_GOOGLE_TOKEN", str(token))
    google.add_spreadsheet("S1", "Campaign tracker", {"Tasks": [["ID"], ["T-1"]]}, share={PRIYA.email: "writer"})
    src = GSheetSource(GSheetSourceConfig(spreadsheet="S1", oauth=True, api_endpoint=google.url), state_dir=tmp_path)
    [ref] = src.list()
    assert ref.size == 1
    assert [c.op for c in google.calls(tokens=True)][-2:] == ["token", "drive files.get"]


def test_without_a_sign_in_oauth_says_to_run_syncd_auth_google(google, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNCD_GOOGLE_TOKEN", str(tmp_path / "none.json"))
    src = GSheetSource(GSheetSourceConfig(spreadsheet="S1", oauth=True, api_endpoint=google.url), state_dir=tmp_path)
    with pytest.raises(SourceError, match="run `syncd auth google` once"):
        src.list()


def test_application_default_credentials_are_used_when_nothing_else_is_set(google, tmp_path, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(google.service_account_file(tmp_path / "adc.json")))
    google.add_spreadsheet("S1", "Campaign tracker", {"Tasks": [["ID"], ["T-1"]]}, share={})
    src = GSheetSource(GSheetSourceConfig(spreadsheet="S1", api_endpoint=google.url), state_dir=tmp_path)
    with pytest.raises(SourceError) as caught:
        src.list()
    assert SERVICE_ACCOUNT in str(caught.value)  # the account behind the default credentials is named
    google.books["S1"].shared[SERVICE_ACCOUNT] = "reader"
    assert src.list()[0].name == 'Google Sheet "Campaign tracker"'


def test_an_answer_that_is_not_json_is_a_problem_not_a_crash(google, tmp_path):
    src = source(google, tmp_path)
    google.garble_next(1)
    with pytest.raises(SourceError, match="an answer about the Google Sheet S1 that syncd cannot understand"):
        src.list()
    [ref] = src.list()
    src.fingerprint(ref)
    google.garble_next(1, b'{"sheets": [{"properties": {"title": 42}}]}')
    with pytest.raises(CopyRejected, match="cannot understand"):
        src.read(ref, None)


def test_content_syncd_cannot_read_as_a_table_is_never_written_over(google, tmp_path):
    from syncd.model import Table, WorkbookMeta
    from syncd.workbook.write import CanonicalDoc

    google.add_spreadsheet("S1", "Campaign tracker", {"Tasks": [["ID", "Task"], ["T-1", "x" * 60_000]]})
    src = source(google, tmp_path, mirror=True)
    [ref] = src.list()
    src.fingerprint(ref)
    with pytest.raises(CopyRejected, match="cell B2 holds more than 50,000 characters"):
        src.read(ref, None)
    doc = CanonicalDoc(Table.from_lists(["ID", "Task"], [["T-1", "short"]], ["r1"]), "Tasks",
                       WorkbookMeta(tracker="t", lineage="L", generation=1))
    with pytest.raises(SourceError, match="did not write the canonical"):
        src.write_back(doc)
    assert not [c for c in google.calls() if c.method == "POST"]
