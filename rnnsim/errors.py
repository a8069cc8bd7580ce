"""The engine's exception types: one per family, each with a message a learner understands.

Every message is one printable line of at most ``limits.MAX_MESSAGE_CHARS`` characters: control bytes
(and other unprintable characters, e.g. from a file name or a damaged file) become spaces, runs of
white space one space, and a longer message is cut in the middle with "…" (its start names the file,
its end says what is wrong)."""
from __future__ import annotations

from .limits import MAX_MESSAGE_CHARS


def one_line(text, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as one printable line of at most ``limit`` characters."""
    text = str(text)
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) <= limit:
        return cleaned
    head = (limit - 1) * 3 // 5
    tail = limit - 1 - head
    return cleaned[:head].rstrip() + "…" + cleaned[len(cleaned) - tail:].lstrip()


def shown(value, limit: int = 40) -> str:
    """``repr(value)`` short enough to quote in a message (a huge integer by its number of digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of {value.bit_length() * 30103 // 100000 + 1} digits"
    try:
        text = repr(value)
    except Exception:                       # noqa: BLE001 - a repr that fails is shown by its type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RnnsimError(Exception):
    """Base of every error the engine raises on purpose. Its message is made one printable line."""

    def __init__(self, *args):
        if len(args) == 1 and isinstance(args[0], str):
            args = (one_line(args[0]),)
        super().__init__(*args)


class SpecError(RnnsimError, ValueError):
    """A model specification is invalid (unknown cell, a size that is not a positive integer, ...)."""


class ModelFileError(RnnsimError, ValueError):
    """A model file cannot be read: not an .npz, pickled arrays, bad spec JSON, missing or wrong arrays."""


class InputError(RnnsimError, ValueError):
    """Input or target arrays do not fit the model (shape, dtype, NaN, class index out of range)."""


class DataError(RnnsimError, ValueError):
    """A data file or built-in task cannot be used (empty, ragged, non-numeric, NaN, ...)."""


class ConfigError(RnnsimError, ValueError):
    """A hyperparameter or option is out of its allowed range."""


class LessonError(RnnsimError, ValueError):
    """A lesson file cannot be used: not a lesson, bad JSON, or a field missing or wrong (named in the message)."""
