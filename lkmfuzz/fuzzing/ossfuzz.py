"""What OSS-Fuzz / ClusterFuzzLite expect beside each fuzzer binary in $OUT.

    python3 -m lkmfuzz.fuzzing.ossfuzz OUT [--targets load,faults,...]

writes, for every target, ``<target>_fuzzer_seed_corpus.zip`` (the same seeds
``lkmfuzz fuzz`` starts from, made from the bundled corpus by campaign.seed_corpus),
``<target>_fuzzer.dict`` and ``<target>_fuzzer.options`` (copies of the bundled
harnesses/ files; ``dict = <target>_fuzzer.dict`` resolves beside the binary).  Every
file is written atomically.  .clusterfuzzlite/build.sh runs it; a one-line error on
stderr and exit 2 when something is missing.
"""

import argparse
import io
import sys
import tempfile
import zipfile
from pathlib import Path

from ..errors import LkmfuzzError
from ..findings.store import atomic_write
from .bundled import CORPUS, HARNESSES
from .campaign import seed_corpus
from .targets import TARGETS


class BuildError(LkmfuzzError):
    """One line for the build log."""


def seed_zip(target: str, corpus: Path) -> bytes:
    """The target's seed inputs as a zip (names sorted, so two builds give the same bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp)
        seed_corpus(target, [corpus], seeds)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(seeds.iterdir()):
                archive.writestr(zipfile.ZipInfo(path.name, date_time=(1980, 1, 1, 0, 0, 0)), path.read_bytes())
        return buffer.getvalue()


def write_target_files(out: Path, target: str, corpus: Path | None = CORPUS,
                       harnesses: Path | None = HARNESSES) -> list[Path]:
    """Write the three files of ``target`` into ``out``; return their paths."""
    if corpus is None or harnesses is None:
        raise BuildError("lkmfuzz is installed without its corpus/harnesses data (install it with pip, "
                         "not from a zip)")
    written = []
    for suffix in (".dict", ".options"):
        source = harnesses / f"{target}_fuzzer{suffix}"
        if not source.is_file():
            raise BuildError(f"missing {source}")
        written.append(out / source.name)
        atomic_write(written[-1], source.read_bytes())
    written.append(out / f"{target}_fuzzer_seed_corpus.zip")
    atomic_write(written[-1], seed_zip(target, corpus))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m lkmfuzz.fuzzing.ossfuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="$OUT")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated (default: all)")
    args = parser.parse_args(argv)
    chosen = [t for t in args.targets.split(",") if t]
    try:
        unknown = [t for t in chosen if t not in TARGETS]
        if unknown:
            raise BuildError(f"unknown target {unknown[0]!r}; choose from {', '.join(TARGETS)}")
        if not args.out.is_dir():
            raise BuildError(f"{args.out} is not a directory")
        for target in chosen:
            for path in write_target_files(args.out, target):
                print(f"wrote {path}")
    except (BuildError, OSError) as e:
        print(f"lkmfuzz.fuzzing.ossfuzz: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
