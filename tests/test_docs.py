"""Every command has help text and is documented in the README's commands table (sqlite-utils style)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from syncd.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands():
    for name, cmd in sorted(main.commands.items()):
        if hasattr(cmd, "commands"):
            for sub in sorted(cmd.commands):
                yield f"{name} {sub}", [name, sub]
        else:
            yield name, [name]


@pytest.mark.parametrize("name,args", list(_commands()), ids=lambda v: v if isinstance(v, str) else None)
def test_command_has_help_and_is_in_the_readme(name, args):
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0 and len(result.output.strip().splitlines()) > 2
    assert f"| `syncd {name}" in README, f"`syncd {name}` is missing from the README's commands table"


def test_readme_opens_with_the_two_setup_commands():
    head = "\n".join(README.splitlines()[:10])
    assert "make demo" in head and "make test" in head
