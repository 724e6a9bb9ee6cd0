"""Model versions: the default pointer switches atomically, is logged, and rolls back as a stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framing import registry
from framing.cli import main
from framing.errors import InputError
from framing.paths import SHIPPED_MODEL_DIR


@pytest.fixture()
def home(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("FRAMING_MODELS", str(folder))
    return folder


def _version(home: Path, name: str, f1: float | None = None) -> Path:
    """A run folder with a model folder (only what the registry reads) and, optionally, metrics."""
    run = home / "exp" / name
    (run / "model").mkdir(parents=True)
    (run / "model" / "tagger.json").write_text(json.dumps({"model_id": f"framing-minilm@{name}"}))
    if f1 is not None:
        mean = {"frames_macro_f1": f1, "attribution_macro_f1": f1, "boilerplate_f1": f1}
        (run / "metrics.json").write_text(json.dumps({"results": {"seeds": {"mean": mean, "std": {}, "per_seed": []}}}))
    return run / "model"


def test_set_default_points_at_the_model_and_logs_the_switch(home):
    a = _version(home, "a")
    assert registry.set_default(a.parent) == a  # a run folder resolves to its model
    assert (home / "DEFAULT").read_text().strip() == "exp/a/model"  # relative: the models folder can move
    assert registry.default_model_dir() == home / "exp/a/model"
    (entry,) = registry.read_log(home)
    assert entry["action"] == "set" and entry["default"] == "exp/a/model" and entry["previous"] is None
    assert not [p for p in home.iterdir() if p.name.startswith(".DEFAULT")]  # no temporary file left
    registry.set_default(a)  # already the default: not logged again, so one rollback undoes one switch
    assert len(registry.read_log(home)) == 1


def test_rollback_walks_back_one_version_at_a_time(home):
    a, b, c = (_version(home, n) for n in "abc")
    for v in (a, b, c):
        registry.set_default(v)
    assert registry.rollback() == home / "exp/b/model"
    assert registry.rollback() == home / "exp/a/model"
    registry.set_default(c)  # a new switch pushes again
    assert registry.rollback() == home / "exp/a/model"
    assert registry.rollback() == SHIPPED_MODEL_DIR and not (home / "DEFAULT").exists()
    with pytest.raises(InputError, match="no earlier default"):
        registry.rollback()


def test_rollback_refuses_a_previous_version_that_was_deleted(home):
    a, b = _version(home, "a"), _version(home, "b")
    registry.set_default(a)
    registry.set_default(b)
    (a / "tagger.json").unlink()
    with pytest.raises(InputError, match="previous default is missing"):
        registry.rollback()
    assert registry.default_model_dir() == home / "exp/b/model"


def test_list_versions_shows_default_and_metrics_and_skips_half_written_folders(home):
    a, b = _version(home, "a", f1=0.61), _version(home, "b")
    hidden = home / "retrain" / ".partial-xyz" / "model"
    hidden.mkdir(parents=True)
    (hidden / "tagger.json").write_text("{}")
    registry.set_default(b)
    versions = {v.path: v for v in registry.list_versions()}
    assert set(versions) == {a, b}
    assert versions[b].is_default and not versions[a].is_default
    assert versions[a].headline == {"frames_macro_f1": 0.61, "attribution_macro_f1": 0.61, "boilerplate_f1": 0.61}
    assert versions[a].scored_on == "seeds" and versions[b].headline is None
    table = registry.format_versions(list(versions.values()))
    assert "0.610" in table and "framing-minilm@b" in table


def test_model_commands_switch_list_and_roll_back(home, capsys):
    a, b = _version(home, "a", f1=0.5), _version(home, "b", f1=0.7)
    assert main(["model", "default", str(a)]) == 0
    assert main(["model", "default", str(b.parent)]) == 0
    assert main(["model", "list"]) == 0
    (star,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("*")]
    assert "framing-minilm@b" in star and "0.700" in star
    assert main(["model", "rollback"]) == 0
    assert registry.default_model_dir() == home / "exp/a/model"


@pytest.mark.parametrize("argv, message", [
    (["model", "default", "NOWHERE"], "no model here"),
    (["model", "rollback"], "DEFAULT.log: no earlier default to roll back to"),
])
def test_bad_model_command_exits_2_and_changes_nothing(home, tmp_path, capsys, argv, message):
    argv = [str(tmp_path / a) if a == "NOWHERE" else a for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (home / "DEFAULT").exists() and not (home / "DEFAULT.log").exists()


def test_a_pointer_to_a_vanished_model_is_an_input_error(home):
    a = _version(home, "a")
    registry.set_default(a)
    (a / "tagger.json").unlink()
    with pytest.raises(InputError, match="missing or incomplete"):
        registry.default_model_dir()
