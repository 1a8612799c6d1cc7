"""crashes/<id>/: one directory per crash title, written atomically.

Each finding directory holds ``input.ko`` (the module bytes), ``preload-N.ko``
(dependencies), ``testcase.json`` (args, fault plan, flags, profile),
``finding.json`` (title, kind, target, summary, detail/traceback, count, first and
last seen) and ``examples/`` (a capped ring of other inputs with the same title).
Every file is written to a temporary name, fsynced and renamed, so a campaign
killed at any moment leaves each finding it reported whole.
"""

import fcntl
import hashlib
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import LkmfuzzError
from ..files import read_json

EXAMPLES_KEPT = 8


class StoreError(LkmfuzzError, ValueError):
    """A crash directory that cannot be read back: names the file and what is wrong."""


def crash_id(title: str) -> str:
    return hashlib.sha1(title.encode()).hexdigest()[:12]


def check_writable(directory: Path) -> None:
    """Raise StoreError unless files can be created in ``directory`` (made if missing):
    asked before the work whose result would be written there, not after.  Creates and
    removes one probe file of its own (root ignores permission bits, so os.access
    would not tell)."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".lkmfuzz-probe.{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as e:
        raise StoreError(f"cannot write into {directory}: {e.strerror}") from None


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@contextmanager
def _locked(directory: Path):
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def record(root: Path, title: str, kind: str, target: str, summary: str, detail: str,
           module: bytes, meta: dict, preload: tuple = ()) -> Path:
    """Add one occurrence of a finding; the first input of a title is its reproducer."""
    directory = Path(root) / crash_id(title)
    directory.mkdir(parents=True, exist_ok=True)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with _locked(directory):
        finding_path = directory / "finding.json"
        if finding_path.exists():
            finding = json.loads(finding_path.read_text())
            finding["count"] += 1
            finding["last_seen"] = now
            _keep_example(directory, module, finding["count"])
        else:
            for i, dep in enumerate(preload):
                atomic_write(directory / f"preload-{i}.ko", dep)
            atomic_write(directory / "input.ko", module)
            atomic_write(directory / "testcase.json", json.dumps(meta, indent=1, sort_keys=True).encode())
            finding = {"title": title, "kind": kind, "target": target, "summary": summary, "detail": detail,
                       "count": 1, "first_seen": now, "last_seen": now}
        atomic_write(finding_path, json.dumps(finding, indent=1, sort_keys=True).encode())
    return directory


def _keep_example(directory: Path, module: bytes, count: int) -> None:
    examples = directory / "examples"
    examples.mkdir(exist_ok=True)
    atomic_write(examples / f"{count % EXAMPLES_KEPT}.ko", module)


def load(directory: Path) -> tuple[dict, bytes, dict, tuple]:
    """(finding, module, testcase meta, preload) of one crash directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise StoreError(f"{directory}: not a crash directory (crashes/<id>/ with finding.json, testcase.json, "
                         f"input.ko)")
    finding = read_json(directory / "finding.json", StoreError, "crash record")
    meta = read_json(directory / "testcase.json", StoreError, "crash record")
    try:
        module = (directory / "input.ko").read_bytes()
    except FileNotFoundError:
        raise StoreError(f"{directory}: missing input.ko") from None
    except OSError as e:
        raise StoreError(f"{directory}: cannot read input.ko: {e.strerror}") from None
    if not isinstance(finding, dict) or not isinstance(meta, dict):
        raise StoreError(f"{directory}: finding.json and testcase.json must hold JSON objects")
    preload = tuple(p.read_bytes() for p in sorted(directory.glob("preload-*.ko")))
    return finding, module, meta, preload


def list_findings(root: Path) -> list[Path]:
    return sorted(p.parent for p in Path(root).glob("*/finding.json"))
