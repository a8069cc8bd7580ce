"""The import contracts in pyproject.toml ([tool.importlinter]) hold: the engine never imports Qt or the
app, the app's layers only import downwards, no import cycles between siblings. Checked by import-linter
(`lint-imports`, in the `test` extra); tests/engine/test_no_qt.py checks the lazy imports beside it."""
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import pytest

try:
    import tomllib
except ModuleNotFoundError:          # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"


def _lint_imports(config):
    exe = shutil.which("lint-imports", path=sysconfig.get_path("scripts")) or shutil.which("lint-imports")
    assert exe, "lint-imports is not installed: python -m pip install -e '.[test]'"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    # --no-cache: the graph cache would be written into the working tree
    proc = subprocess.run([exe, str(config), "--no-cache", "--no-logo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def test_import_contracts_are_kept():
    contracts = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    assert len(contracts) >= 4
    code, out = _lint_imports(CONFIG)
    assert code == 0, out
    for contract in contracts:
        assert f"{contract['name']} KEPT" in " ".join(out.split()), out
    assert f"Contracts: {len(contracts)} kept, 0 broken." in out, out


def _layer_modules(contract):
    """Every module a layers contract names (optional "(x)" layers too)."""
    names = set()
    for layer in contract["layers"]:
        for part in layer.replace(":", "|").split("|"):
            name = part.strip().strip("()")
            names.add(f"{contract['containers'][0]}.{name}" if contract.get("containers") else name)
    return names


def test_every_app_module_has_a_layer():
    """The layers contract names modules and packages at different depths (ui.views as a whole, ui.training
    module by module), so import-linter's `exhaustive` cannot say this: each module under ui/ is a named
    layer or inside one. A new module must be given its place in pyproject.toml."""
    contracts = tomllib.loads(CONFIG.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers" and any("ui." in l or "main_window" in l
                                                                          for l in c["layers"]))
    named = _layer_modules(layers)
    ui = ROOT / "ui"
    modules = {"ui." + p.relative_to(ui).with_suffix("").as_posix().replace("/", ".")
               for p in ui.rglob("*.py") if "__pycache__" not in p.parts and p.name != "__init__.py"}
    unplaced = sorted(m for m in modules if not any(m == n or m.startswith(n + ".") for n in named))
    assert not unplaced, f"modules without a layer in pyproject.toml's ui layers contract: {unplaced}"


def test_a_broken_contract_fails(tmp_path):
    """Control: the same command exits non-zero and names the import when a contract is broken."""
    config = tmp_path / "broken.toml"
    config.write_text('[tool.importlinter]\nroot_packages = ["rnnsim", "ui"]\n\n'
                      '[[tool.importlinter.contracts]]\nname = "the window never imports the session"\n'
                      'type = "forbidden"\nsource_modules = ["ui.main_window"]\n'
                      'forbidden_modules = ["ui.session"]\n', encoding="utf-8")
    code, out = _lint_imports(config)
    assert code == 1, out
    assert "BROKEN" in out and "ui.main_window -> ui.session" in out, out
