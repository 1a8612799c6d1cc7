"""A minimal writer of "newc" cpio archives, the format the kernel unpacks as initramfs.

Only what an initramfs needs: directories, regular files and character devices,
all owned by root.  No compression: the kernel unpacks a plain archive fastest.
"""

import stat

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
ALIGN = 4


def _pad(length: int) -> bytes:
    return b"\0" * (-length % ALIGN)


class CpioWriter:
    """Collects entries in order; ``bytes()`` gives the finished archive."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._ino = 0

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        self._ino += 1
        raw_name = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(raw_name), 0)
        header = MAGIC + b"".join(b"%08X" % value for value in fields)
        self._parts += [header, raw_name, _pad(len(header) + len(raw_name)), data, _pad(len(data))]

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, executable: bool = False) -> None:
        self._entry(name, stat.S_IFREG | (0o755 if executable else 0o644), data)

    def char_device(self, name: str, major: int, minor: int) -> None:
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def __bytes__(self) -> bytes:
        self._entry(TRAILER, 0)
        archive = b"".join(self._parts)
        del self._parts[-5:]
        self._ino -= 1
        return archive
