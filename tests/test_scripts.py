"""scripts/serve.sh and scripts/test.sh set .venv up with Python 3.11 and say so in one line when they cannot."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from config import PROJECT_ROOT

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@pytest.fixture
def checkout(tmp_path) -> Path:
    """The scripts in a folder of their own (no .venv there yet), and a stand-in interpreter of Python 3.9."""
    (tmp_path / "scripts").mkdir()
    for name in ("serve.sh", "test.sh", "setup_venv.sh"):
        shutil.copy(PROJECT_ROOT / "scripts" / name, tmp_path / "scripts" / name)
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    old = tmp_path / "python3.9"
    old.write_text("#!/bin/sh\necho 3.9\n")
    old.chmod(0o755)
    return tmp_path


@pytest.mark.parametrize("script", ["serve.sh", "test.sh"])
def test_another_python_is_refused_in_one_line(checkout, script):
    done = subprocess.run(["bash", f"scripts/{script}"], cwd=checkout, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHON": str(checkout / "python3.9")})
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: this service needs Python 3.11; {checkout / 'python3.9'} is 3.9 (set PYTHON=/path/to/python3.11)"]
    assert not (checkout / ".venv").exists()


def test_a_venv_of_another_python_is_refused_in_one_line(checkout):
    (checkout / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(checkout / "python3.9", checkout / ".venv" / "bin" / "python")
    done = subprocess.run(["bash", "scripts/serve.sh"], cwd=checkout, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and ".venv has Python 3.9" in lines[0] and "remove .venv" in lines[0]
