"""lkmfuzz: a fuzzing and fault-injection harness for the Linux kernel module loader."""

__version__ = "0.1.0"
