"""The engine's modules import each other at the top: no import inside a function hides a cycle (the command
line and its subcommands, the Tape's formula builders, the tasks and the recipe), and each entry point
imports first in a fresh interpreter."""
import ast
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "rnnsim"
#: imports inside a function that are there for start-up speed, not to dodge a cycle: (file, function)
LAZY_ON_PURPOSE = {("train_process.py", "serve_fd")}       # the worker process sets up BLAS threads first


def _function_level_engine_imports(path):
    """(function, module) for every import of an rnnsim module inside a function of ``path``."""
    found = []

    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if func is not None and isinstance(child, ast.ImportFrom):
                if child.level > 0 or (child.module or "").split(".")[0] == "rnnsim":
                    found.append((func, "." * child.level + (child.module or "")))
            elif func is not None and isinstance(child, ast.Import):
                found.extend((func, a.name) for a in child.names if a.name.split(".")[0] == "rnnsim")
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def test_no_function_level_imports_of_engine_modules():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for func, module in _function_level_engine_imports(path):
            if (rel, func) not in LAZY_ON_PURPOSE:
                bad.append(f"{rel}: {func}() imports {module}")
    assert bad == []


def test_the_check_sees_a_function_level_import(tmp_path):
    """Control: the walk finds relative and absolute imports inside functions, not at the top."""
    path = tmp_path / "m.py"
    path.write_text("from . import a\nimport rnnsim.spec\ndef f():\n    from ..cli import x\n"
                    "    import rnnsim.tape\n    import json\n", encoding="utf-8")
    assert _function_level_engine_imports(path) == [("f", "..cli"), ("f", "rnnsim.tape")]


@pytest.mark.parametrize("first", ["rnnsim.cli, rnnsim.tape", "rnnsim.tape.formulas", "rnnsim.commands.trace",
                                   "rnnsim.data.tasks", "rnnsim.data.setup"])
def test_each_entry_point_imports_first(first):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run([sys.executable, "-c", f"import {first}"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
