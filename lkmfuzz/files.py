"""Reading the project's own JSON files (crash records, campaign stats) with one-line errors."""

import json
from pathlib import Path

from .errors import LkmfuzzError


def read_json(path: Path, error: type[LkmfuzzError], what: str):
    """The JSON value in ``path``.  Raises ``error`` with one line naming ``path`` and what
    is wrong with it (``what`` says what kind of file was expected)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except OSError as e:
        raise error(f"{path}: cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a {what} (not UTF-8 text)") from None
    except json.JSONDecodeError as e:
        raise error(f"{path}: damaged JSON ({e.msg} at line {e.lineno})") from None
