"""The file stores (issue 17 item 1, ADR 033): a directory and an S3-compatible bucket — here
moto's S3 server, started on loopback in a process of its own — keep bytes by their SHA-256
and refuse bytes that no longer match; the service runs on either; uploads no event cites are
collected after their grace period, cited ones never."""

from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from api.cli.main import cli
from api.main import create_app
from api.runtime.bootstrap import Services, build
from api.runtime.dispatch import Chaser
from api.runtime.files import Incoming, collect, receive
from domain import clock
from infra.files import (
    CorruptFile,
    FileMissing,
    FileStore,
    LocalFileStore,
    S3FileStore,
    key_of,
    read_verified,
    s3_client,
    uploads_of,
)
from infra.settings import Settings
from projections.registry import PROJECTIONS
from projections.runner import catch_up
from tests.integration.conftest import ADMIN, INSPECTOR, raise_finding
from tests.support import ADMIN as ADMIN_HEADERS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-protocol server on loopback, in a process of its own."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(url + "/moto-api/", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("moto's S3 server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(10)


def bucket_store(endpoint: str, bucket: str) -> S3FileStore:
    store = S3FileStore(s3_client(endpoint, "test", "test", "us-east-1"), bucket)
    store.ensure_bucket()
    return store


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    if request.param == "local":
        return LocalFileStore(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    return bucket_store(endpoint, f"store-{uuid.uuid4().hex[:12]}")


def test_a_store_keeps_bytes_by_their_hash_and_refuses_altered_ones(store: FileStore) -> None:
    data = "整改前后对比照片".encode() * 1000
    key = key_of(hashlib.sha256(data).hexdigest())
    assert not store.exists(key)
    store.put(key, io.BytesIO(data))
    store.put(key, io.BytesIO(data))  # the same bytes again: nothing changes
    assert store.exists(key)
    assert read_verified(store, key) == data
    assert [stored.key for stored in store.keys("sha256/")] == [key]
    altered_key = key_of(hashlib.sha256(b"other").hexdigest())
    store.put(altered_key, io.BytesIO(b"not the bytes its name says"))
    with pytest.raises(CorruptFile) as refused:
        read_verified(store, altered_key)
    assert refused.value.found == hashlib.sha256(b"not the bytes its name says").hexdigest()
    subject = uuid.uuid4()
    sealed = key_of(hashlib.sha256(b"sealed").hexdigest(), subject)
    store.put(sealed, io.BytesIO(b"ciphertext"))
    assert [s.key for s in store.keys(f"sealed/{subject}/")] == [sealed]
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(FileMissing):
        store.open(key)


def test_a_key_is_a_hash_and_nothing_else() -> None:
    with pytest.raises(ValueError, match="not a SHA-256"):
        key_of("../../etc/passwd")


def photo(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(out, format="PNG")
    return out.getvalue()


def test_the_service_keeps_evidence_in_an_s3_bucket(
    s3_endpoint: str, fresh_settings: Settings
) -> None:
    settings = fresh_settings.model_copy(
        update={"file_store": "s3", "s3_endpoint_url": s3_endpoint, "s3_bucket": "evidence"}
    )
    services = build(settings, runners="off")
    try:
        assert isinstance(services.files, S3FileStore)
        app = create_app(settings, services=services)
        with TestClient(app, raise_server_exceptions=False) as client:
            data = photo("red")
            files = [("file", ("现场.png", data, "image/png"))]
            answer = client.post("/api/v1/files", files=files, headers=ADMIN_HEADERS)
            assert answer.status_code == 201, answer.text
            digest = answer.json()["files"][0]["sha256"]
            assert client.get(f"/api/v1/files/{digest}", headers=ADMIN_HEADERS).content == data
            raw = s3_client(s3_endpoint, "test", "test", "us-east-1")
            raw.put_object(Bucket="evidence", Key=key_of(digest), Body=b"swapped")
            refused = client.get(f"/api/v1/files/{digest}", headers=ADMIN_HEADERS)
            assert refused.status_code == 409
            assert refused.json()["error"]["code"] == "file_corrupted"
    finally:
        services.close()


def uploaded(services: Services, *files: tuple[str, bytes]) -> list[dict[str, Any]]:
    incoming = [Incoming(name, io.BytesIO(data)) for name, data in files]
    return receive(services, incoming, INSPECTOR)


def test_uploads_no_event_cites_are_collected_after_the_grace_period(
    services: Services, fresh_settings: Settings
) -> None:
    cited, loose = uploaded(services, ("现场.png", photo("red")), ("草稿.png", photo("blue")))
    services.app.register_unit(code="gtj", name="县自然资源局", kind="department", actor=ADMIN)
    evidence = [{k: cited[k] for k in ("name", "sha256", "size")}]
    raise_finding(services, "gtj", "违规占用耕地", evidence=evidence)
    catch_up(services.app, services.datastore, PROJECTIONS, 10)
    now = services.clock.now()
    assert collect(services, now, 24) == 0  # both still within their grace period
    assert collect(services, now + timedelta(hours=25), 24) == 1
    assert uploads_of(services.database, loose["sha256"]) == []
    assert not services.files.exists(key_of(loose["sha256"]))
    assert services.files.exists(key_of(cited["sha256"]))
    assert [u.sha256 for u in uploads_of(services.database, cited["sha256"])] == [cited["sha256"]]

    uploaded(services, ("又一份.png", photo("green")))
    env = {
        "SUPERVISION_DATABASE_URL": fresh_settings.database_url or "",
        "SUPERVISION_DATA_DIR": str(fresh_settings.data_dir),
        "SUPERVISION_LOG_LEVEL": "WARNING",
    }
    done = CliRunner().invoke(cli, ["files", "collect", "--grace-hours", "0"], env=env)
    assert done.exit_code == 0, done.output
    assert "collected 1 uncited files" in done.output
    assert services.files.exists(key_of(cited["sha256"]))


def test_the_scheduler_collects_what_no_event_cites(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    (loose,) = uploaded(services, ("未引用.png", photo("yellow")))
    chaser = Chaser(services)
    chaser.collect_files()  # within the grace period: kept
    assert services.files.exists(key_of(loose["sha256"]))
    monkeypatch.setattr(
        services, "settings", services.settings.model_copy(update={"files_grace_hours": 0})
    )
    chaser.collect_files()
    assert not services.files.exists(key_of(loose["sha256"]))


def test_uploading_again_renews_the_grace_period_and_heals_a_damaged_copy(
    services: Services,
) -> None:
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with clock.use(clock.SettableClock(start)):
        (first,) = uploaded(services, ("现场.png", photo("olive")))
    store = services.files
    assert isinstance(store, LocalFileStore)
    store.path(key_of(first["sha256"])).write_bytes(b"damaged")
    with clock.use(clock.SettableClock(start + timedelta(hours=25))):
        uploaded(services, ("现场.png", photo("olive")))  # the same account, the same bytes
    assert read_verified(store, key_of(first["sha256"])) == photo("olive")  # healed
    assert collect(services, start + timedelta(hours=26), 24) == 0  # renewed a day later
    assert collect(services, start + timedelta(hours=50), 24) == 1


def test_the_collector_pages_through_candidates_and_marks_the_cited(services: Services) -> None:
    colours = ("red", "green", "blue", "white", "black")
    files = uploaded(services, *((f"{c}.png", photo(c)) for c in colours))
    services.app.register_unit(code="ksz", name="澄潭镇", kind="township", actor=ADMIN)
    evidence = [{k: files[0][k] for k in ("name", "sha256", "size")}]
    raise_finding(services, "ksz", "违规建房", evidence=evidence)
    later = services.clock.now() + timedelta(hours=25)
    assert collect(services, later, 24, page=2) == 4  # in pages of two
    with services.database.connection() as conn:
        rows = conn.execute("SELECT sha256, cited FROM supervision_files").fetchall()
    assert rows == [(files[0]["sha256"], True)]
