"""A text corpus that needs no download: the Python standard library's own source files.

:func:`python_source_corpus` reads the ``.py`` files at the top of the running Python's standard library
folder (``sysconfig.get_paths()["stdlib"]``), in sorted file-name order, and keeps the lines written in
:data:`ALPHABET` (a newline and the 95 printable ASCII characters; a line with a tab, a form feed or a
non-ASCII character is left out), until ``max_bytes`` characters are collected. The same Python gives
the same text; another Python version gives another (its library differs), in the same alphabet.

    text = python_source_corpus(20_000)      # str of exactly 20 000 characters
"""
from __future__ import annotations

import sysconfig
from pathlib import Path

from ..errors import DataError
from ..limits import MAX_TEXT_FILE_BYTES, over

#: the corpus's characters in one-hot order: a newline, then the printable ASCII characters (space … "~")
ALPHABET = "\n" + "".join(chr(c) for c in range(32, 127))


def stdlib_folder() -> Path:
    """The running Python's standard library folder; DataError when it holds no ``.py`` files (a frozen app)."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    if not folder.is_dir() or not any(folder.glob("*.py")):
        raise DataError(f"the Python standard library's source files are not found at {folder}; "
                        f"the 'python-source' text needs them")
    return folder


def python_source_corpus(max_bytes: int = 20_000) -> str:
    """The first ``max_bytes`` characters of the standard library's source text (see the module docstring)."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise DataError(f"python-source: max_bytes must be a whole number ≥ 1, got {max_bytes!r}")
    if max_bytes > MAX_TEXT_FILE_BYTES:
        raise DataError(over("python-source: max_bytes", max_bytes, MAX_TEXT_FILE_BYTES, bytes_=True))
    allowed = set(ALPHABET)
    parts, total = [], 0
    for path in sorted(stdlib_folder().glob("*.py"), key=lambda p: p.name):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue                                  # unreadable or not UTF-8: the next file
        for line in source.splitlines(keepends=True):
            if not line.endswith("\n"):
                line += "\n"
            if set(line) <= allowed:
                parts.append(line)
                total += len(line)
                if total >= max_bytes:
                    return "".join(parts)[:max_bytes]
    text = "".join(parts)
    if not text:
        raise DataError("python-source: the standard library's files hold no lines in the corpus's alphabet")
    return text
