"""Branch coverage of lkmfuzz/loader reached by saved campaign corpora, and the loader's
errno sites they hit.

Run: .venv/bin/python benchmarks/coverage_compare.py .lkmfuzz/load .lkmfuzz/load-bytes

Each argument is a campaign work directory (its corpus/ and seeds/ are replayed
through the load target).  An errno site is a line of lkmfuzz/loader that builds a
refusal (``refuse(errno.X`` or ``LoadError(errno.X``); it is hit when that line ran.
"""

import re
import sys
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LOADER = ROOT / "lkmfuzz" / "loader"
ERRNO_SITE = re.compile(r"(refuse\(|LoadError\()\s*(errno\.E[A-Z]+|failed\.errno|-?ret|err\b)")


def errno_sites() -> dict:
    sites = {}
    for path in sorted(LOADER.glob("*.py")):
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if ERRNO_SITE.search(line):
                sites[(str(path), lineno)] = line.strip()[:90]
    return sites


def replay(work: Path) -> coverage.Coverage:
    from lkmfuzz.fuzzing.targets import Finding, TestCase, execute
    cov = coverage.Coverage(branch=True, source=[str(LOADER)], data_file=None)
    cov.start()
    for directory in (work / "seeds", work / "corpus"):
        for path in sorted(directory.iterdir()) if directory.is_dir() else []:
            try:
                execute(TestCase(module=path.read_bytes()))
            except Finding:
                pass   # a finding still covered its path; the campaign recorded it
    cov.stop()
    return cov


def branch_percent(cov: coverage.Coverage) -> tuple[float, int, int]:
    data = cov.get_data()
    taken = total = 0
    for filename in data.measured_files():
        analysis = cov._analyze(filename)
        numbers = analysis.numbers
        total += numbers.n_branches
        taken += numbers.n_branches - numbers.n_missing_branches
    return 100.0 * taken / max(1, total), taken, total


def main(argv) -> int:
    sites = errno_sites()
    for arg in argv:
        work = Path(arg)
        cov = replay(work)
        pct, taken, total = branch_percent(cov)
        data = cov.get_data()
        hit = {key for key in sites if key[1] in (data.lines(key[0]) or [])}
        files = len(list((work / "corpus").iterdir())) if (work / "corpus").is_dir() else 0
        print(f"{work}: corpus {files} inputs; loader branches {taken}/{total} = {pct:.1f}%; "
              f"errno sites hit {len(hit)}/{len(sites)}")
        for key in sorted(set(sites) - hit):
            print(f"   not hit: {Path(key[0]).name}:{key[1]}  {sites[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
