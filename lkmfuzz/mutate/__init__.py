"""Mutators: structure-aware operators over module files, parameter strings and signatures."""
