"""The engine never imports Qt (docs/contract.md: the Python API is importable without Qt)."""
import ast
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "rnnsim"
QT = ("PySide6", "shiboken6", "pyqtgraph", "PyQt4", "PyQt5", "PyQt6")
APP = ("ui",)                                   # the desktop app's package (imports Qt)
#: the one place allowed to import the app, lazily inside a function: `rnnsim` without arguments
#: opens the desktop app (docs/contract.md, command line).
LAZY_APP_IMPORTS = {("cli.py", "open_app")}

PROBE = r"""
import importlib, importlib.util, json, pkgutil, runpy, sys
import rnnsim
imported = ["rnnsim"]
if importlib.util.find_spec("rnnsim.cli") is not None:
    import rnnsim.cli
    imported.append("rnnsim.cli")
for info in pkgutil.walk_packages(rnnsim.__path__, "rnnsim."):
    if info.name.split(".")[-1] == "__main__":
        continue
    importlib.import_module(info.name)
    imported.append(info.name)
if importlib.util.find_spec("rnnsim.cli") is not None:
    for argv in (["--help"], ["gradcheck", "--help"], ["predict", "--help"], ["bench", "--help"],
                 ["gradcheck", "--cell", "gru", "--steps", "2", "--batch", "1", "--hidden", "1"]):
        sys.argv = ["rnnsim", *argv]
        try:
            runpy.run_module("rnnsim", run_name="__main__", alter_sys=True)
        except SystemExit:
            pass
qt = sorted(m for m in sys.modules if m.split(".")[0] in QT or m.startswith("PyQt"))
app = sorted(m for m in sys.modules if m.split(".")[0] in APP)
print(json.dumps({"imported": imported, "qt": qt, "app": app}))
"""


def _probe(prelude=""):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.pop("QT_QPA_PLATFORM", None)
    code = f"QT = {QT!r}; APP = {APP!r}\n{prelude}\n" + PROBE
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def probe():
    return _probe()


def test_import_rnnsim_loads_no_qt(probe):
    assert "rnnsim" in probe["imported"]
    assert probe["qt"] == [], f"Qt modules imported by the engine: {probe['qt']}"


def test_import_rnnsim_loads_no_app(probe):
    assert probe["app"] == [], f"the desktop app was imported by the engine: {probe['app']}"


def test_probe_detects_qt():
    """Control: the probe does see Qt when something imports it."""
    pytest.importorskip("PySide6.QtCore")
    assert "PySide6.QtCore" in _probe("import PySide6.QtCore")["qt"]


def test_every_engine_module_was_probed(probe):
    expected = {"rnnsim." + p.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")
                for p in PACKAGE.rglob("*.py")
                if p.name not in ("__init__.py", "__main__.py") and "__pycache__" not in p.parts}
    missing = expected - set(probe["imported"])
    # modules in folders without __init__.py are namespace packages walk_packages may skip
    missing = {m for m in missing if (PACKAGE / pathlib.Path(*m.split(".")[1:-1]) / "__init__.py").exists()
               or m.count(".") == 1}
    assert not missing, missing


def _imports(tree):
    """(module name, enclosing function name or None) for every import statement in a module."""
    found = []

    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else func
            if isinstance(child, ast.Import):
                found.extend((alias.name, func) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, func))
            elif isinstance(child, ast.Call):
                # importlib.import_module("PySide6...") / __import__("pyqtgraph")
                name = getattr(child.func, "attr", getattr(child.func, "id", None))
                if name in ("import_module", "__import__") and child.args and \
                        isinstance(child.args[0], ast.Constant) and isinstance(child.args[0].value, str):
                    found.append((child.args[0].value, func))
            visit(child, inner)

    visit(tree, None)
    return found


def _sources():
    files = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    assert files
    return [(p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in files]


def test_no_file_imports_qt():
    bad = [(str(p.relative_to(ROOT)), mod) for p, tree in _sources() for mod, _ in _imports(tree)
           if mod.split(".")[0] in QT or mod.startswith("PyQt")]
    assert bad == [], f"Qt imported under rnnsim/: {bad}"


def test_no_file_imports_the_app_except_the_launcher():
    bad = [(str(p.relative_to(ROOT)), mod, func) for p, tree in _sources() for mod, func in _imports(tree)
           if mod.split(".")[0] in APP and (p.relative_to(PACKAGE).as_posix(), func) not in LAZY_APP_IMPORTS]
    assert bad == [], f"the desktop app (ui) imported under rnnsim/: {bad}"


def test_static_check_sees_imports():
    """Control: the AST walk finds module-level, lazy and importlib imports."""
    tree = ast.parse("import PySide6.QtCore\nfrom pyqtgraph import PlotWidget\n"
                     "def f():\n    from ui.app import main\n    import importlib\n"
                     "    importlib.import_module('PyQt5')\n")
    assert _imports(tree) == [("PySide6.QtCore", None), ("pyqtgraph", None), ("ui.app", "f"),
                              ("importlib", "f"), ("PyQt5", "f")]
