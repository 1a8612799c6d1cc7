"""The case model (lkmfuzz/case.py): testcase.json written by earlier versions still loads,
and a case survives its JSON."""

import json

import pytest
from conftest import ROOT, seed_bytes

from lkmfuzz.case import UNLOAD_MODES, TestCase, case_from_json, case_to_json
from lkmfuzz.faults import FaultPlan
from lkmfuzz.fuzzing import scenario

EXAMPLE = ROOT / "examples" / "crash"


def test_the_saved_example_crash_still_loads():
    module = (EXAMPLE / "input.ko").read_bytes()
    case = case_from_json(module, (EXAMPLE / "testcase.json").read_text())
    meta = json.loads((EXAMPLE / "testcase.json").read_text())
    assert case.module == module and case.args == meta.get("args", "")
    assert case.profile == meta.get("profile", "hardened")


def test_a_case_survives_its_json():
    case = TestCase(module=seed_bytes("hello"), args="myint=\xff", plan=FaultPlan(fail_nth=3), flags=2,
                    profile="linux-6.1", config=(("sig_enforce", True),), trusted=(b"\x30\x00",),
                    syscall="init_module", init_result=-12, unload="held")
    assert case_from_json(case.module, case_to_json(case)) == case


@pytest.mark.parametrize("meta, complaint", [
    ({"unload": "sideways"}, "unknown unload mode"),
    ({"syscall": "open"}, "unknown syscall"),
    ({"flags": True}, "'flags' is true, expected int"),
    ({"args": "\u0100"}, "a character above U"),
])
def test_a_damaged_testcase_json_is_refused_in_one_line(meta, complaint):
    with pytest.raises(ValueError, match=complaint):
        case_from_json(b"", json.dumps(meta))


def test_the_scenario_header_picks_from_the_case_models_unload_modes():
    assert scenario.UNLOAD_MODES is UNLOAD_MODES
