"""The functions capstone.yaml declares as hooks exist and take what the course kit passes them.

The pipeline and the checkpoints call your code only through these hooks (`hooks:` in
capstone.yaml): rename or move one of them and this test says which, before a stage fails.
"""

from capstone.testing import hook_problems


def test_every_hook_is_where_capstone_yaml_says(repo_root):
    assert hook_problems(repo_root) == []
