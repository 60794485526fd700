"""Browser tests: the real `supervision serve` on a fresh database with the demo data, driven
by Playwright through Debian's chromium (never a browser downloaded by Playwright).

Without chromium the tier is skipped on a developer's machine and FAILS in CI (CI=true):
a browser tier must never pass silently by testing nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import ViewportSize

from tests.conftest import ADMIN_TOKEN
from tests.support import in_ci

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = Path(os.environ.get("SUPERVISION_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-results" / "screenshots"
DESKTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, or a skip (a failure in CI)."""
    if CHROMIUM.exists() and shutil.which(str(CHROMIUM)):
        return CHROMIUM
    message = f"no chromium at {CHROMIUM} (apt-get install chromium)"
    if in_ci():
        pytest.fail(message + "; CI must run the browser tests")
    pytest.skip(message)


@dataclass
class Service:
    url: str
    tokens: dict[str, str]
    log: Path


@pytest.fixture(scope="session")
def service(
    chromium: Path,
    new_database: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    """`supervision migrate`, `demo` and `serve` as subprocesses, as an operator runs them."""
    data = tmp_path_factory.mktemp("console-service")
    env = dict(
        os.environ,
        SUPERVISION_DATABASE_URL=new_database(),
        SUPERVISION_BOOTSTRAP_ADMIN_TOKEN=ADMIN_TOKEN,
        SUPERVISION_DATA_DIR=str(data),
        SUPERVISION_LOG_LEVEL="WARNING",
    )
    for command in ("migrate", "demo"):
        done = subprocess.run(
            [str(BIN / "supervision"), command], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"supervision {command}:\n{done.stdout}{done.stderr}"
    tokens = json.loads((data / "demo-accounts.json").read_text(encoding="utf-8"))
    port, log = free_port(), data / "service.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(BIN / "supervision"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, log)
        yield Service(url, tokens, log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wait_until_ready(url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"service did not become ready:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium refuses its sandbox.
        launched = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=["--no-sandbox", "--lang=zh-CN"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
