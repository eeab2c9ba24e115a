"""The team's reference-only tests say what unskips them: a flag in the test file, False in the skeleton
(the team sets it when its code does the work), True in the reference."""

import pytest
from bakery import bake


@pytest.mark.parametrize(("scaffold", "done"), [("skeleton", "False"), ("reference", "True")])
def test_the_answer_key_tests_run_once_the_team_says_its_code_is_done(tmp_path, cc_config, scaffold, done):
    repo = bake(tmp_path, cc_config, scaffold=scaffold)
    for path, flag in (("tests/data/test_cleaning.py", "CLEANING_DONE"), ("tests/data/test_suites.py", "SUITES_DONE")):
        text = (repo / path).read_text()
        assert f"{flag} = {done}\n" in text and f'pytest.skip("set {flag} = True in this file' in text
        assert "scaffold" not in text  # the skip depends on the team's code, not on the bake
