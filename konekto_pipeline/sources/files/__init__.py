"""Shared machinery for programs that keep their data in files (DBF, INI)."""
