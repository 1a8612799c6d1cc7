"""The data a campaign needs besides code, as package data found through importlib.resources.

``lkmfuzz/fuzzing/data/corpus`` and ``lkmfuzz/fuzzing/data/harnesses`` are symbolic
links to the repository's ``corpus/`` and ``harnesses/`` (the one copy, edited there).
A checkout (editable install) reads through the links; building a wheel copies the
files they reach into the package (pyproject.toml's package-data), and PyInstaller's
``--collect-data lkmfuzz`` copies them into a frozen fuzzer.  So the seed modules, the
scenario preloads, the params target's module and every target's ``.options`` and
``.dict`` are the same in the checkout, in ``pip install lkmfuzz`` and in an OSS-Fuzz /
ClusterFuzzLite binary.  A data directory that is not there is ``None``: callers fall
back to nothing (no options, no preloads) instead of failing at import.
"""

from importlib import resources
from pathlib import Path


def data_dir(name: str) -> Path | None:
    """lkmfuzz/fuzzing/data/<name> as a real directory, or None when it is not installed."""
    root = resources.files(__package__) / "data" / name
    # A file-system install and PyInstaller's reader both give a pathlib.Path; a zip
    # import would not, and gets nothing rather than paths nobody can open.
    if isinstance(root, Path) and root.is_dir():
        return root.resolve()
    return None


CORPUS = data_dir("corpus")          # corpus/*.ko: seeds, scenario preloads, the params module
HARNESSES = data_dir("harnesses")    # harnesses/<target>_fuzzer.options and .dict


def release_seeds(profile: str) -> Path | None:
    """The bundled seeds built for the kernel release a profile imitates: corpus/ for
    6.1, corpus/linux-6.12/ for 6.12 (Release.seeds); None when not installed."""
    from ..kernel.profile import get_profile
    if CORPUS is None:
        return None
    folder = CORPUS / get_profile(profile).release.seeds
    return folder if folder.is_dir() else None
