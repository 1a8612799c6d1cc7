"""scripts/mutation-check (lkmfuzz.fuzzing.selftest): mutants of the hardened loader, run
through a real harness worker."""

import json

import pytest

from lkmfuzz.fuzzing import selftest
from lkmfuzz.kernel.profile import CLEANUP_LABELS, HARDENING_CHECKS


def test_every_check_goes_to_load_and_every_label_to_faults():
    plan = selftest.mutants()
    assert [m for m, t in plan if t == "load"] == list(HARDENING_CHECKS)
    assert [m for m, t in plan if t == "faults"] == ["undo_" + label for label in CLEANUP_LABELS]
    with pytest.raises(ValueError, match="unknown mutant"):
        selftest.mutants(["validate_nothing"])


def test_a_deleted_check_is_found_and_reported(tmp_path, capsys):
    out = tmp_path / "outcomes.json"
    code = selftest.main(["--only", "validate_rela_symbols", "--runs", "2000", "--no-control", "--json", str(out),
                          "--keep", str(tmp_path / "work")])
    assert code == 0
    [outcome] = json.loads(out.read_text())
    assert outcome["found"] and outcome["title"].startswith("unvalidated-access in apply_relocate_add")
    assert "1/1 mutants found" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--only", "validate_nothing"], "unknown mutant"),
    (["--json", "/etc/passwd/x.json"], "cannot write into /etc/passwd"),
])
def test_bad_usage_is_one_line_and_exit_two_before_any_run(argv, message, capsys):
    assert selftest.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
