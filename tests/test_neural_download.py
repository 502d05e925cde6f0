"""models/kobart_ec/download_model.sh: addresses from the environment, SHA-256 verified, idempotent, clear failures.

The "network" is file:// addresses into a temporary directory (curl and wget both read them).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "models" / "kobart_ec" / "download_model.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("curl") is None,
                                reason="needs bash and curl")

REQUIRED = {"CONFIG": "config.json", "TOKENIZER": "tokenizer.json", "WEIGHTS": "model.safetensors"}


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOBART_")}
    return subprocess.run(["bash", str(SCRIPT)], env=clean | env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def server(tmp_path) -> dict[str, str]:
    """Source files, and the variables that point at them with their true checksums."""
    source = tmp_path / "remote"
    source.mkdir()
    env = {"KOBART_DEST": str(tmp_path / "dest")}
    for key, name in REQUIRED.items():
        data = f"{name} contents".encode() * 100
        (source / name).write_bytes(data)
        env[f"KOBART_{key}_URL"] = (source / name).as_uri()
        env[f"KOBART_{key}_SHA256"] = hashlib.sha256(data).hexdigest()
    return env


def test_missing_variables_fail_with_a_clear_message(tmp_path):
    result = _run({"KOBART_DEST": str(tmp_path / "dest")})
    assert result.returncode == 2
    assert "KOBART_WEIGHTS_URL" in result.stderr and "KOBART_WEIGHTS_SHA256" in result.stderr
    assert not (tmp_path / "dest").exists()


def test_fetches_verifies_and_is_idempotent(server):
    dest = Path(server["KOBART_DEST"])
    first = _run(server)
    assert first.returncode == 0, first.stderr
    for key, name in REQUIRED.items():
        assert hashlib.sha256((dest / name).read_bytes()).hexdigest() == server[f"KOBART_{key}_SHA256"]
    stamps = {name: (dest / name).stat().st_mtime_ns for name in REQUIRED.values()}
    second = _run(server)
    assert second.returncode == 0 and second.stdout.count("up to date") == 3
    assert stamps == {name: (dest / name).stat().st_mtime_ns for name in REQUIRED.values()}
    assert not list(dest.glob(".*.part"))


def test_checksum_mismatch_is_refused_and_nothing_is_kept(server):
    server["KOBART_WEIGHTS_SHA256"] = "0" * 64
    result = _run(server)
    assert result.returncode == 4
    assert "SHA-256 mismatch for model.safetensors" in result.stderr
    assert not (Path(server["KOBART_DEST"]) / "model.safetensors").exists()


def test_unreachable_address_fails_clearly(server, tmp_path):
    server["KOBART_TOKENIZER_URL"] = (tmp_path / "nowhere" / "tokenizer.json").as_uri()
    result = _run(server)
    assert result.returncode == 3
    assert "download failed for tokenizer.json" in result.stderr


def test_base_url_serves_every_file(server, tmp_path):
    base = Path(server.pop("KOBART_CONFIG_URL")[len("file://"):]).parent
    for key in ("TOKENIZER", "WEIGHTS"):
        server.pop(f"KOBART_{key}_URL")
    server["KOBART_BASE_URL"] = base.as_uri()
    assert _run(server).returncode == 0


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_says_what_it_needs_and_exits_0(flag, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KOBART_")}
    result = subprocess.run(["bash", str(SCRIPT), flag], env=clean | {"KOBART_DEST": str(tmp_path / "d")},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "KOBART_<FILE>_URL" in result.stdout and "Exit status" in result.stdout
    assert "#" not in result.stdout.splitlines()[0] and not (tmp_path / "d").exists()


def test_an_unknown_argument_is_refused(tmp_path):
    result = subprocess.run(["bash", str(SCRIPT), "--dest", str(tmp_path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "unknown argument --dest" in result.stderr
