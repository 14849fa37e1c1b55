"""`syncd auth google`: sign in to Google once, for Google Sheet sources with ``oauth = true``."""

from __future__ import annotations

from pathlib import Path

import click

from syncd.cli import CONTEXT, handle_errors


@click.group("auth", context_settings=CONTEXT)
def auth() -> None:
    """Sign in to services syncd reads from."""


@auth.command("google")
@click.option("--client-secrets", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The OAuth client file (type \"Desktop app\") downloaded from Google Cloud Console "
                   "(default: ~/.config/syncd/google-client-secrets.json).")
@click.option("--token", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to keep the sign-in (default: ~/.config/syncd/google-token.json, or $SYNCD_GOOGLE_TOKEN).")
@click.option("--no-browser", is_flag=True, help="Print the sign-in address instead of opening a browser.")
@handle_errors
def google(client_secrets: Path | None, token: Path | None, no_browser: bool) -> None:
    """Sign in to Google in the browser and keep the sign-in for `oauth = true` sheets.

    Run it once on the machine that runs syncd. The sign-in is saved readable by you only; syncd renews
    it by itself. Run it again if Google asks you to sign in again.
    """
    from syncd.sources.google.auth import default_client_secrets_path, default_token_path, run_installed_app_flow

    secrets = client_secrets or default_client_secrets_path()
    target = token or default_token_path()
    click.echo("Opening Google's sign-in page; allow syncd to see and edit your Google Sheets.")
    saved = run_installed_app_flow(secrets, target, open_browser=not no_browser)
    click.echo(f"Signed in. syncd keeps the sign-in in {saved} (readable by you only).")
