"""The engine's size limits: every declared size is checked against these BEFORE anything is allocated.

A file, a command-line option or a session may declare any size; rnnsim refuses one above its limit with a
message that names the limit ("hidden_size 10000000 is over the limit of 4096"), instead of running out
of memory or computing for hours. The limits sit far above what the lessons use.

=============================  ===============  ============================================================
limit                          value            what it bounds
=============================  ===============  ============================================================
``MAX_MESSAGE_CHARS``          200              one error message (control bytes removed, longer ones cut
                                                in the middle with "…")
``MAX_FILE_BYTES``             1 GiB            a model, session or data ``.npz`` / ``.npy`` file on disk
``MAX_TEXT_FILE_BYTES``        32 MiB           a CSV or text file (``--data``, ``--input``)
``MAX_MEMBERS``                10 000           arrays in one ``.npz`` archive (read from its zip directory)
``MAX_ZIP_DIRECTORY_BYTES``    16 MiB           the size of an archive's zip directory
``MAX_ARRAY_BYTES``            256 MiB          one array, as its ``.npy`` header declares it (shape × item
                                                size), and a zip member's declared uncompressed size
``MAX_ARCHIVE_BYTES``          1 GiB            all members of one archive together (declared, uncompressed)
``MAX_NPY_HEADER_BYTES``       10 000           one ``.npy`` header (numpy's own default)
``MAX_JSON_CHARS``             64 Mi chars      a spec or session JSON text
``MAX_JSON_DEPTH``             64               nesting of JSON objects and lists
``MAX_INPUT_SIZE``             4096             a model's ``input_size`` (values per step)
``MAX_HIDDEN_SIZE``            4096             ``hidden_size`` (units per layer and direction)
``MAX_OUTPUT_SIZE``            4096             ``output_size`` (the head's width; also classes in data)
``MAX_LAYERS``                 64               ``num_layers``
``MAX_PARAMETERS``             16 777 216       all parameters of one model (128 MiB as float64)
``MAX_SEQUENCES``              1 000 000        sequences in a data set (N), a task's ``n``
``MAX_STEPS``                  100 000          steps of one sequence (T): data, tasks, ``--input``
``MAX_DATA_BYTES``             512 MiB          a data set's inputs as float64 (N × T × features × 8)
``MAX_TRACE_STEPS``            2 000            ``rnnsim trace``: steps of the traced sequence
``MAX_TRACE_VALUES``           1 000 000        ``rnnsim trace``: steps × parameters (the Tape keeps every
                                                step's numbers; ~150 bytes of ``--json`` per value)
``MAX_GRADCHECK_WORK``         10 000 000       ``rnnsim gradcheck``: parameters × batch × steps (two
                                                forward passes per parameter)
``MAX_SEED``                   2⁶³ − 1          a random seed
``MAX_GENERATE_CHARS``         100 000          ``rnnsim generate``: characters sampled after the prime
=============================  ===============  ============================================================
"""
from __future__ import annotations

MiB = 1 << 20
GiB = 1 << 30

MAX_MESSAGE_CHARS = 200
MAX_FILE_BYTES = 1 * GiB
MAX_TEXT_FILE_BYTES = 32 * MiB
MAX_MEMBERS = 10_000
MAX_ZIP_DIRECTORY_BYTES = 16 * MiB
MAX_ARRAY_BYTES = 256 * MiB
MAX_ARCHIVE_BYTES = 1 * GiB
MAX_NPY_HEADER_BYTES = 10_000
MAX_JSON_CHARS = 64 * MiB
MAX_JSON_DEPTH = 64
MAX_INPUT_SIZE = 4096
MAX_HIDDEN_SIZE = 4096
MAX_OUTPUT_SIZE = 4096
MAX_LAYERS = 64
MAX_PARAMETERS = 1 << 24
MAX_SEQUENCES = 1_000_000
MAX_STEPS = 100_000
MAX_DATA_BYTES = 512 * MiB
MAX_TRACE_STEPS = 2_000
MAX_TRACE_VALUES = 1_000_000
MAX_GRADCHECK_WORK = 10_000_000
MAX_SEED = (1 << 63) - 1
MAX_GENERATE_CHARS = 100_000

#: the sizes of a model spec and their limits (checked by rnnsim.spec.ModelSpec)
SPEC_LIMITS = {"input_size": MAX_INPUT_SIZE, "hidden_size": MAX_HIDDEN_SIZE, "output_size": MAX_OUTPUT_SIZE,
               "num_layers": MAX_LAYERS, "decoder_input_size": MAX_INPUT_SIZE}


def amount(n: int) -> str:
    """A whole number as people read it: 4096, 10 000 000; bytes are shown by :func:`size`."""
    return f"{n:,}".replace(",", " ") if abs(n) >= 10_000 else str(n)


def size(n: int) -> str:
    """A byte count: '512 MiB', '3.2 KiB', '17 bytes'."""
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) or value >= 100 else f"{value:.1f} {unit}"
    return f"{n} byte{'s' * (n != 1)}"


def over(what: str, value: int, limit: int, bytes_: bool = False) -> str:
    """'hidden_size 10000000 is over the limit of 4096' (``bytes_``: both shown as sizes)."""
    shown = size if bytes_ else _plain
    return f"{what} {shown(value)} is over the limit of {shown(limit)}"


def _plain(n: int) -> str:
    digits = len(str(n)) if abs(n) < 10 ** 60 else None
    return str(n) if digits is not None else f"of {n.bit_length() * 30103 // 100000 + 1} digits"
