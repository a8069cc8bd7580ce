"""The activation block each kernel module carries must stay identical (see the block's comment)."""
import pathlib

CELLS = pathlib.Path(__file__).parents[2] / "rnnsim" / "cells"
START = "# ---- activations:"


def activation_block(module: str) -> str:
    text = (CELLS / module).read_text()
    start = text.index(START)
    end = text.index("\n@kernel\ndef ", text.index("def _tanh", start))
    return text[start:end]


def test_activation_blocks_are_identical():
    blocks = {m: activation_block(m) for m in ("elman.py", "lstm.py", "gru.py")}
    assert len(set(blocks.values())) == 1, "edit the activation block in all three cell modules alike"
