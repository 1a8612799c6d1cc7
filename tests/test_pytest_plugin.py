"""HYPOTHESIS_PROFILE works in a user's own suite: lkmfuzz's pytest plugin (entry point
pytest11) registers dev/ci/thorough wherever lkmfuzz is installed."""

import os
import subprocess
import sys

import pytest

USER_TEST = '''
from hypothesis import settings

def test_profile():
    assert settings().max_examples == {expected}, settings()
'''


@pytest.mark.parametrize("profile, expected", [("thorough", 5000), ("ci", 200), ("dev", 50)])
def test_hypothesis_profile_selects_lkmfuzz_profiles_in_a_foreign_suite(tmp_path, profile, expected):
    (tmp_path / "test_user.py").write_text(USER_TEST.format(expected=expected))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    env["HYPOTHESIS_PROFILE"] = profile
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
