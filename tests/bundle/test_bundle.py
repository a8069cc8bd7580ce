"""The bundle that needs no Python (scripts/build_bundle.py) builds, and starts where there is no Python.

Builds a fresh bundle into a temporary folder (~2 min on 2 cores) and runs scripts/check_bundle.py on it:
a read-only copy started twice under Xvfb with only DISPLAY, HOME and XDG_CACHE_HOME set, one window, a
screenshot that is not blank, the kernels compiled into the user's cache on the first start and loaded
on the second. Needs PyInstaller (the ``bundle`` extra): without it the test skips, except under CI=true,
where scripts/build_bundle.py installs that extra itself (as .ci/run installs PyTorch). Linux with
Xvfb, xdotool and ImageMagick only.
"""
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import check_bundle  # noqa: E402

sys.path.remove(str(ROOT / "scripts"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs the bundle under Xvfb (Linux)")
@pytest.mark.skipif(any(shutil.which(tool) is None for tool in ("Xvfb", "xdotool", "import", "identify")),
                    reason="needs Xvfb, xdotool and ImageMagick (apt-get install xvfb xdotool imagemagick)")
def test_the_bundle_builds_and_starts_without_python(tmp_path, capsys):
    if importlib.util.find_spec("PyInstaller") is None and not _in_ci():
        pytest.skip("PyInstaller is not installed: python -m pip install -e '.[bundle]'")
    shot = tmp_path / "bundle.png"
    status = check_bundle.main(["--rebuild", "--dist", str(tmp_path / "dist"), "--work", str(tmp_path / "work"),
                                "--screenshot", str(shot)])
    output = capsys.readouterr()
    assert status == 0, output.out + output.err
    assert "no kernel recompiled on the second start" in output.out
    assert shot.stat().st_size > 10_000
