"""/docs and /redoc work offline: every script, style and icon they load is served by the service itself, from
the installed fastapi-offline package; in a real browser (headless Chromium, Debian's `chromium`) with every
other host unreachable, Swagger UI renders the request example.

The browser test skips where no Chromium is installed (`apt-get install chromium`); scripts/test.sh installs
it in CI.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import fastapi_offline
import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from app import DOCS_ASSETS, create_app
from config import load_settings
from schema.correct import SPEC_EXAMPLE
from tests.production_helpers import free_port

PACKAGE_ASSETS = Path(fastapi_offline.__file__).parent / "static"


class _References(HTMLParser):
    """Every address a page makes the browser load: src= and href= of its tags."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.addresses += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture(scope="module")
def client():
    # No lifespan: the docs pages need no models.
    return TestClient(create_app(load_settings({"EC_PROCESSES": "1"})))


@pytest.mark.parametrize("page, kinds", [
    ("/docs", {"swagger-ui-bundle.js": "javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}),
    ("/redoc", {"redoc.standalone.js": "javascript", "favicon.png": "image/png"}),
])
def test_docs_pages_load_only_the_services_own_assets(client, page, kinds):
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    # Nothing from another host: no absolute address anywhere in the page (scripts, styles, fonts, icons).
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), html
    parser = _References()
    parser.feed(html)
    expected = {f"{DOCS_ASSETS}/{name}" for name in kinds}
    assert set(parser.addresses) == expected
    for name, kind in kinds.items():
        asset = client.get(f"{DOCS_ASSETS}/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"]
        # Served from the installed package, not from files kept in this repository.
        assert asset.content == (PACKAGE_ASSETS / name).read_bytes()
    assert "spec-url=\"/openapi.json\"" in html or "url: '/openapi.json'" in html


def test_no_docs_asset_is_kept_in_the_repository():
    root = Path(__file__).resolve().parents[1]
    names = {p.name for p in PACKAGE_ASSETS.iterdir()} | {"redoc.standalone.js", "swagger-ui-bundle.js"}
    kept = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in (".venv", ".git", "__pycache__")]
        kept += [os.path.join(folder, f) for f in files if f in names]
    assert kept == []


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def live_url():
    """The real app under uvicorn in a thread of this process (the session's shared Kiwi), on 127.0.0.1."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(load_settings({"EC_PROCESSES": "1"})), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)


def _rendered(url: str, profile: Path) -> str:
    """The page's DOM after its scripts ran, in headless Chromium that can reach 127.0.0.1 and nothing else."""
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
               "--virtual-time-budget=20000", "--dump-dom", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(_chromium() is None, reason="no Chromium installed (apt-get install chromium)")
def test_swagger_ui_renders_the_request_example_offline(live_url, tmp_path):
    assert httpx.get(live_url + "/healthz").status_code == 200
    # Deep link to POST /ec/correct: Swagger UI opens the operation and shows its request example.
    dom = _rendered(live_url + "/docs#/correction/correct_ec_correct_post", tmp_path / "profile")
    example = re.search(r'<pre class="body-param__example[^"]*"[^>]*>(.*?)</pre>', dom, re.S)
    assert example, dom[-3000:]
    shown = unescape(re.sub(r"<[^>]+>", "", example.group(1)))
    segment = SPEC_EXAMPLE["segments"][0]
    for value in (segment["id"], segment["text"], SPEC_EXAMPLE["decoder"]["type"], *SPEC_EXAMPLE["hotwords"]):
        assert f'"{value}"' in shown, (value, shown[:2000])


@pytest.mark.skipif(_chromium() is None, reason="no Chromium installed (apt-get install chromium)")
def test_redoc_renders_the_operations_offline(live_url, tmp_path):
    dom = _rendered(live_url + "/redoc", tmp_path / "profile")
    text = unescape(re.sub(r"<[^>]+>", " ", dom))
    assert "/ec/correct" in text and "Correct a request of ASR segments" in text
