"""The fuzzing harness with one bounds check of the loader removed: a seeded bug.

TableView normally sends an index past its table through the checked address
space (which faults where the kernel would); without that check a relocation whose
symbol index lies past the symbol table unpacks straight from the buffer.
"""

from lkmfuzz.fuzzing import harness
from lkmfuzz.kernel import memory


def buggy_holds(self, i: int, size: int) -> bool:
    return self.buf is not None


def plant() -> None:
    """Install the bug in this process (never at import: tests share one process)."""
    memory.TableView.holds = buggy_holds


if __name__ == "__main__":
    plant()
    harness.main()
