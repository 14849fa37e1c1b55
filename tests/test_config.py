"""The config contract: the documented example loads, and mistakes are all reported with the key path."""

from pathlib import Path

import pytest

from syncd.config import load_config, parse_config
from syncd.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent


def test_example_config_loads_with_every_key():
    cfg = load_config(REPO / "config.example.toml")
    (t,) = cfg.trackers
    assert cfg.state_dir == REPO / ".syncd"
    assert t.name == "tasks" and t.sheet == "Tasks" and t.key == "ID" and t.title == "Task"
    assert t.canonical == REPO / "canonical/tasks.xlsx"
    assert t.on_conflict == "newest" and t.match_threshold == 0.6
    assert t.duplicates.enabled is True and t.duplicates.threshold == 0.85
    assert t.duplicates.columns == ("Task", "Campaign", "Channel", "Owner", "Due")
    assert t.duplicates.auto_merge_above is None  # commented out in the example: off by default
    (s,) = t.sources
    assert s.type == "folder" and s.path == REPO / "inbox" and s.pattern == "*.xlsx"
    assert s.recursive is False and s.poll is False


def test_starter_config_from_init_loads(tmp_path):
    from syncd.starter import STARTER_CONFIG

    p = tmp_path / "syncd.toml"
    p.write_text(STARTER_CONFIG)
    cfg = load_config(p)
    assert cfg.trackers[0].canonical == tmp_path / "canonical/tasks.xlsx"


def test_every_problem_reported_at_once_with_key_path(tmp_path):
    raw = {
        "state_dirr": "x",
        "tracker": [
            {"name": "a", "canonical": "a.csv", "on_conflict": "loudest",
             "source": [{"type": "dropbox", "path": "in"}]},
            {"canonical": "b.xlsx", "source": [{"type": "folder"}]},
        ],
    }
    with pytest.raises(ConfigError) as err:
        parse_config(raw, tmp_path / "syncd.toml")
    text = str(err.value)
    assert err.value.exit_code == 2
    assert "state_dirr: unknown key — did you mean 'state_dir'?" in text
    assert "tracker[0].canonical: must be an .xlsx file" in text
    assert "tracker[0].on_conflict: must be one of" in text
    assert "tracker[0].source[0].type: must be one of: folder" in text
    assert "tracker[1].name: missing" in text
    assert "tracker[1].source[0].path: missing" in text


def test_missing_config_file_says_how_to_create_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="syncd init"):
        load_config(None)


def test_invalid_toml_names_the_file(tmp_path):
    p = tmp_path / "syncd.toml"
    p.write_text("[[tracker]\nname=")
    with pytest.raises(ConfigError, match="syncd.toml is not valid TOML"):
        load_config(p)


def test_duplicates_keys_are_checked(tmp_path):
    base = {"name": "a", "canonical": "a.xlsx", "source": [{"type": "folder", "path": "in"}]}
    cfg = parse_config({"tracker": [{**base, "duplicates": {"auto_merge_above": 0.95, "threshold": 0.8}}]},
                       tmp_path / "syncd.toml")
    assert cfg.trackers[0].duplicates.auto_merge_above == 0.95 and cfg.trackers[0].duplicates.threshold == 0.8
    with pytest.raises(ConfigError) as err:
        parse_config({"tracker": [{**base, "duplicates": {"treshold": 0.8, "auto_merge_above": 2, "columns": "Task"}}]},
                     tmp_path / "syncd.toml")
    text = str(err.value)
    assert "tracker[0].duplicates.treshold: unknown key — did you mean 'threshold'?" in text
    assert "tracker[0].duplicates.auto_merge_above: must be a number between 0 and 1" in text
    assert "tracker[0].duplicates.columns: must be a list of column names" in text
