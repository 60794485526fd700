"""Browser tests: the real `supervision serve` on a fresh database with the demo data, driven
by Playwright through Debian's chromium (never a browser downloaded by Playwright).

Without chromium the tier fails, on a developer's machine as in CI, saying what to install:
a browser tier must never pass by testing nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import ViewportSize

from tests.served import migrated_service, running, supervision

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("SUPERVISION_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "test-results" / "screenshots"
DESKTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, or a failure saying how to install it."""
    if CHROMIUM.exists() and shutil.which(str(CHROMIUM)):
        return CHROMIUM
    pytest.fail(
        f"no chromium at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei "
        "(or set SUPERVISION_CHROMIUM to a chromium binary)"
    )


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
    server = migrated_service(new_database(), data)
    supervision(server.env, "demo")
    tokens = json.loads((data / "demo-accounts.json").read_text(encoding="utf-8"))
    with running(server, ready_seconds=60):
        yield Service(server.url, tokens, server.log)


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
