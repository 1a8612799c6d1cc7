"""The fuzzing harness with one bounds check of the loader removed: a seeded bug.

TableView normally sends an index past its table through the checked address
space (which faults where the kernel would); without that check a relocation whose
symbol index lies past the symbol table unpacks straight from the buffer.
"""

from lkmfuzz.fuzzing import harness
from lkmfuzz.kernel import memory


def plant() -> None:
    memory.TableView._inside = lambda self, i, size: self.buf is not None


plant()

if __name__ == "__main__":
    harness.main()
