"""Under CI=true a test that needs PyTorch fails instead of skipping (tests/conftest.py): run pytest on a
small test folder that uses the suite's conftest, with ``import torch`` made to fail."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

CONFTEST = pathlib.Path(__file__).resolve().parents[1] / "conftest.py"

FILES = {
    "pytest.ini": "[pytest]\nmarkers =\n    torch: needs PyTorch\n",
    # torch present or not on this machine, the folder sees it missing
    "conftest.py": "import sys\nsys.modules['torch'] = None\n\n" + CONFTEST.read_text(encoding="utf-8"),
    "test_module_skip.py": "import pytest\ntorch = pytest.importorskip('torch')\n\n\ndef test_live():\n    pass\n",
    "test_marked.py": "import pytest\n\n\n@pytest.mark.torch\ndef test_marked():\n    pytest.skip('no torch')\n",
    "test_unrelated.py": "import pytest\n\n\ndef test_other():\n    pytest.skip('nothing to do with torch')\n",
}


def _run(folder, ci):
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    if ci:
        env["CI"] = "true"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors",
                           "-c", str(folder / "pytest.ini"), "--rootdir", str(folder), str(folder)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    counts = dict((word, int(n)) for n, word in re.findall(r"(\d+) (failed|passed|skipped|errors?)",
                                                            proc.stdout.strip().splitlines()[-1]))
    return proc, counts


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("torchless")
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_without_ci_they_skip(folder):
    proc, counts = _run(folder, ci=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert counts == {"skipped": 3}, proc.stdout


def test_in_ci_they_fail(folder):
    proc, counts = _run(folder, ci=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # the module that could not import torch: a collection error; the marked test: a failure;
    # a skip that has nothing to do with torch stays a skip
    assert counts == {"failed": 1, "error": 1, "skipped": 1}, proc.stdout
    assert "CI=true" in proc.stdout and "test_module_skip.py" in proc.stdout, proc.stdout
