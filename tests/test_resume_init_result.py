"""A case resumed from a checkpoint keeps its init result (its module's init return)."""

from conftest import seed_bytes

from lkmfuzz.case import TestCase
from lkmfuzz.fuzzing.targets import Resumable, execute
from lkmfuzz.fuzzing.targets.kernels import fresh_kernel, run_syscall


def test_execute_resumes_with_the_cases_init_result():
    # A Resumable fits only cases with its base's init_result; execute() used to resume
    # them with init_result 0, so a failing init loaded.
    case = TestCase(module=seed_bytes("hello"), args="myint=3", init_result=-12)
    resumable = Resumable.prepare(TestCase(module=seed_bytes("hello"), init_result=-12))
    assert resumable.fits(case)
    fresh = run_syscall(fresh_kernel(case), case)
    resumed = execute(case, resumable)
    assert not fresh.ok and fresh.kind == "ENOMEM"
    assert (str(resumed.verdict), resumed.trace) == (str(fresh.verdict), fresh.trace)
