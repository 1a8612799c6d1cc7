"""Fuzz targets: how a raw fuzzer input becomes a test case (lkmfuzz.case.TestCase), and
how a case runs and what counts as a finding.

One module per target, each with its decoder (syzkaller keeps the input model apart
from execution the same way): ``load``, ``faults``, ``params``, ``signature``,
``scenario``; ``registry`` names them (``TARGETS``, ``decoder_for``).  Running a case:
``execution`` (``execute``, the second opinions), ``kernels`` (the kernel a case runs
on, checkpoints to resume from), ``unload_modes`` (what follows a successful load),
``findings`` (``Finding``, the crash store record).

The names below are the package's interface for harnesses, the CLI and triage; state
a test may replace (FROZEN_KERNELS, SECOND_OPINION_EVERY, fresh_kernel, ...) is
replaced in the module that holds it.
"""

from .execution import execute
from .faults import (
    MAX_NTH,
    NO_FAULT_PLAN,
    PLAN_HEADER,
    decode_faults,
    decode_plan,
    encode_fail_nth_plan,
    encode_faults,
    encode_sites_plan,
    modprobe_preload,
    module_library,
)
from .findings import FINDING_LINE, Finding, save_finding
from .kernels import Resumable
from .load import decode_load
from .params import decode_params, parameter_names
from .registry import TARGETS, decoder_for
from .scenario import decode_scenario
from .signature import decode_signature
from .unload_modes import AFTER_LOAD

__all__ = [
    "AFTER_LOAD", "FINDING_LINE", "MAX_NTH", "NO_FAULT_PLAN", "PLAN_HEADER", "TARGETS", "Finding", "Resumable",
    "decode_faults", "decode_load", "decode_params", "decode_plan", "decode_scenario", "decode_signature",
    "decoder_for", "encode_fail_nth_plan", "encode_faults", "encode_sites_plan", "execute", "modprobe_preload",
    "module_library", "parameter_names", "save_finding",
]
