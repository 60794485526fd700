"""`supervision serve` checks what would stop it before it prints where it listens: a database
never migrated, or a port another process holds, is one line saying what to do, exit 2, and
no banner; the port it takes first is the one it then serves on."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bench.harness import free_port
from infra.settings import Settings
from tests.served import wait_ready

ROOT = Path(__file__).resolve().parents[2]


SERVE = [sys.executable, "-c", "from api.cli.main import main; main()", "serve"]


def env_of(database_url: str, data_dir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        SUPERVISION_DATABASE_URL=database_url,
        SUPERVISION_DATA_DIR=str(data_dir),
        SUPERVISION_LOG_LEVEL="DEBUG",
        SUPERVISION_LOG_FORMAT="text",
    )


def serve(database_url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`supervision serve` run as an operator runs it (this checkout's code), to its end."""
    return subprocess.run(
        [*SERVE, *args], env=env_of(database_url, data_dir), capture_output=True, text=True,
        cwd=ROOT, timeout=120,
    )  # fmt: skip


def test_serve_on_an_unmigrated_database_says_to_migrate_before_any_banner(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    refused = serve(new_database(), tmp_path, "--port", str(free_port()))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stdout == ""  # no banner: it does not listen
    assert refused.stderr.splitlines() == [
        "错误 (error): the database has no event log yet: run `supervision migrate` first "
        "(or `supervision serve --migrate`)"
    ]


@pytest.mark.parametrize(
    ("workers", "shared"),
    [
        pytest.param("1", False, id="one-process"),
        pytest.param("2", False, id="workers"),
        # Another `serve --workers` holds it: its sockets would let this one's bind beside them.
        pytest.param("2", True, id="workers-beside-another-services-workers"),
    ],
)
def test_serve_on_a_port_in_use_says_so_in_one_line_before_any_banner(
    fresh_settings: Settings, tmp_path: Path, workers: str, shared: bool
) -> None:
    assert fresh_settings.database_url is not None
    with socket.create_server(("127.0.0.1", 0), reuse_port=shared) as taken:
        port = taken.getsockname()[1]
        refused = serve(
            fresh_settings.database_url, tmp_path, "--port", str(port), "--workers", workers
        )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"错误 (error): 端口 {port} 已被占用 (port {port} is in use): "
        "请用 --port 或 SUPERVISION_PORT 换一个端口"
    ]


def test_serve_answers_on_the_port_it_took_before_starting(
    fresh_settings: Settings, tmp_path: Path
) -> None:
    assert fresh_settings.database_url is not None
    port, log = free_port(), tmp_path / "serve.log"
    with log.open("wb") as out:
        served = subprocess.Popen(
            [*SERVE, "--port", str(port)], env=env_of(fresh_settings.database_url, tmp_path),
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    try:
        wait_ready(f"http://127.0.0.1:{port}", log)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        served.terminate()
        served.wait(30)
    assert log.read_text().startswith(
        f"督查问责服务 (supervision service): http://127.0.0.1:{port}"
    )
