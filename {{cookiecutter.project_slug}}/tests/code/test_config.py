"""The configuration files load, and a broken one gives an error that names the bad key."""

import shutil

import pytest
from capstone.config import ConfigError, load_params, load_spec


def test_params_and_spec_load(repo_root):
    params = load_params(repo_root)
    spec = load_spec(repo_root)
    assert params.data.dataset == spec.dataset
    assert [stage.number for stage in spec.stages] == [1, 2, 3, 4, 5]


def test_every_stage_brief_exists(repo_root):
    for stage in load_spec(repo_root).stages:
        assert (repo_root / stage.brief).is_file(), stage.brief


def test_a_bad_gate_kind_is_reported_by_key(repo_root, tmp_path):
    shutil.copy(repo_root / "capstone.yaml", tmp_path / "capstone.yaml")
    spec_file = tmp_path / "capstone.yaml"
    spec_file.write_text(spec_file.read_text().replace("kind: auto", "kind: robot", 1))
    # The first gate in the file is the integrity gate every stage runs.
    with pytest.raises(ConfigError, match=r"capstone.yaml: every_stage\.0\.kind"):
        load_spec(tmp_path)
