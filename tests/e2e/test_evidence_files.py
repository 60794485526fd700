"""Evidence files (issue 17 item 1): uploaded, kept by their SHA-256, cited by events by hash
and size, served back hashed again to those who may read a citing record; hostile files are
refused and nothing of a refused upload is kept."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.main import create_app
from api.runtime.bootstrap import Services
from infra.files import LocalFileStore, key_of
from tests.e2e.helpers import assert_error, command, ok, order
from tests.support import Api, account_fixture

inspector = account_fixture("inspector", "督查员 周敏")
FILES = "/api/v1/files"


def png(width: int = 64, height: int = 48, colour: str = "red", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour if mode == "RGB" else 0).save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload(api: Api, who: dict[str, str], *files: tuple[str, bytes]) -> Any:
    parts = [("file", (name, data, "application/octet-stream")) for name, data in files]
    return api.client.post(FILES, files=parts, headers=who)


class Rectifying:
    """An ordered finding of a unit, its liaison, and a liaison of another unit."""

    def __init__(self, api: Api, inspector: dict[str, str]) -> None:
        self.unit = api.unit("县住建局", "department")
        self.fid = api.finding(inspector, self.unit)["id"]
        order(api, inspector, self.fid)
        self.liaison = api.account("unit", self.unit)
        self.stranger = api.account("unit", api.unit("县水利局", "department"))


@pytest.fixture
def rectifying(api: Api, inspector: dict[str, str]) -> Rectifying:
    return Rectifying(api, inspector)


def test_a_liaisons_photos_reach_the_inspector_with_the_hash_the_event_records(
    api: Api, inspector: dict[str, str], rectifying: Rectifying, shared_services: Services
) -> None:
    photo, scan = png(), PDF
    kept = ok(upload(api, rectifying.liaison, ("整改后现场.png", photo), ("验收单.pdf", scan)), 201)
    assert kept["files"] == [
        {"name": "整改后现场.png", "sha256": hashlib.sha256(photo).hexdigest(),
         "size": len(photo), "content_type": "image/png"},
        {"name": "验收单.pdf", "sha256": hashlib.sha256(scan).hexdigest(),
         "size": len(scan), "content_type": "application/pdf"},
    ]  # fmt: skip
    body = {"summary": "已拆除违建并复绿", "evidence": kept["files"]}
    answer = ok(command(api, rectifying.fid, "rectification-report", body, rectifying.liaison))

    finding = ok(api.get(f"/api/v1/findings/{rectifying.fid}", inspector))
    cited = finding["reports"][-1]["evidence"][0]
    served = api.get(f"{FILES}/{cited['sha256']}", inspector, min_position=answer["position"])
    assert served.status_code == 200, served.text
    assert served.content == photo
    assert hashlib.sha256(served.content).hexdigest() == cited["sha256"]
    assert len(served.content) == cited["size"]
    assert served.headers["content-type"] == "image/png"
    assert served.headers["etag"] == f'"{cited["sha256"]}"'
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''%E6%95%B4" in served.headers["content-disposition"]

    thumbnail = api.get(f"{FILES}/{cited['sha256']}/thumbnail", inspector)
    assert thumbnail.headers["content-type"] == "image/png"
    # Evidence may show people: no cache keeps it after sign-out or revocation.
    assert served.headers["cache-control"] == thumbnail.headers["cache-control"] == "no-store"
    assert shared_services.files.exists(f"thumbnails/{cited['sha256']}.png")  # made once, kept
    with Image.open(io.BytesIO(thumbnail.content)) as image:
        assert max(image.size) <= 240 and image.size[0] == photo_width(photo)
    not_image = api.get(f"{FILES}/{kept['files'][1]['sha256']}/thumbnail", inspector)
    assert_error(not_image, 404, "not_found")


def photo_width(data: bytes) -> int:
    with Image.open(io.BytesIO(data)) as image:
        return int(image.size[0])


def test_a_file_is_read_by_its_uploader_and_by_readers_of_a_citing_record_only(
    api: Api, inspector: dict[str, str], rectifying: Rectifying
) -> None:
    data = png(colour="blue")
    digest = ok(upload(api, rectifying.liaison, ("现场.png", data)), 201)["files"][0]["sha256"]
    assert api.get(f"{FILES}/{digest}", rectifying.liaison).content == data  # its uploader
    assert_error(api.get(f"{FILES}/{digest}", inspector), 404, "not_found")  # cited by nothing
    assert_error(api.get(f"{FILES}/{digest}", rectifying.stranger), 404, "not_found")

    evidence = [{"name": "现场.png", "sha256": digest, "size": len(data)}]
    body = {"note": "已完成一半", "percent": 50, "evidence": evidence}
    answer = ok(command(api, rectifying.fid, "progress", body, rectifying.liaison))
    assert api.get(f"{FILES}/{digest}", inspector, min_position=answer["position"]).content == data
    colleague = api.account("unit", rectifying.unit)
    assert api.get(f"{FILES}/{digest}", colleague).content == data
    assert_error(api.get(f"{FILES}/{digest}", rectifying.stranger), 404, "not_found")
    assert_error(api.get(f"{FILES}/{'0' * 64}", inspector), 404, "not_found")


def test_a_corrupted_stored_file_is_refused_with_a_clear_error(
    api: Api, inspector: dict[str, str], rectifying: Rectifying, shared_services: Services
) -> None:
    data = png(colour="green")
    digest = ok(upload(api, inspector, ("原件.png", data)), 201)["files"][0]["sha256"]
    store = shared_services.files
    assert isinstance(store, LocalFileStore)
    store.path(key_of(digest)).write_bytes(data[:-1] + b"\x00")
    error = assert_error(api.get(f"{FILES}/{digest}", inspector), 409, "file_corrupted")
    assert error["details"]["sha256"] == digest
    assert error["details"]["found"] != digest
    store.path(key_of(digest)).unlink()
    assert_error(api.get(f"{FILES}/{digest}", inspector), 409, "file_missing")


def zip_bomb(name: str = "word/document.xml", unpacked: int = 120 * 1024 * 1024) -> bytes:
    """A .docx-shaped zip whose one part unpacks to `unpacked` bytes of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(name, "w", force_zip64=True) as part:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked // len(chunk)):
                part.write(chunk)
    return out.getvalue()


HOSTILE = {
    "zip bomb": (("报告.docx", zip_bomb()), 422, "unsafe_file"),
    "huge image": (("航拍.png", png(10_000, 8_000, mode="1")), 422, "unsafe_file"),
    "wrong extension": (("报告.pdf", png()), 415, "file_type_mismatch"),
    "svg with script": (
        ("图.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        415,
        "unsupported_file_type",
    ),
    "html as a photo": (("现场.jpg", b"<html><script>alert(1)</script></html>"), 415, None),
    "empty": (("空.png", b""), 422, "empty_file"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_file_is_refused_and_nothing_of_its_upload_is_kept(
    api: Api, inspector: dict[str, str], case: str, shared_services: Services
) -> None:
    hostile, status, code = HOSTILE[case]
    innocent = png(colour="yellow")
    refused = upload(api, inspector, ("先传的.png", innocent), hostile)
    assert_error(refused, status, code)
    digest = hashlib.sha256(innocent).hexdigest()
    assert_error(api.get(f"{FILES}/{digest}", inspector), 404, "not_found")
    store = shared_services.files
    assert isinstance(store, LocalFileStore) and not store.exists(key_of(digest))


def test_a_path_like_name_is_kept_as_its_last_component_and_as_text(
    api: Api, inspector: dict[str, str]
) -> None:
    kept = ok(upload(api, inspector, ("../../etc/<b>现场.png", png(colour="gray"))), 201)
    assert kept["files"][0]["name"] == "<b>现场.png", kept
    kept = ok(upload(api, inspector, ("..\\..\\照片\u202e.png", png(colour="white"))), 201)
    assert kept["files"][0]["name"] == "照片.png"


def test_uploads_are_limited_per_file_per_request_and_in_number(
    api: Api,
    inspector: dict[str, str],
    shared_services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = shared_services.settings.model_copy(
        update={"upload_max_file_mb": 1, "upload_max_request_mb": 2, "upload_max_files": 2}
    )
    monkeypatch.setattr(shared_services, "settings", settings)
    app = create_app(settings, services=shared_services)
    with TestClient(app, raise_server_exceptions=False) as client:
        small = Api(client)
        big = png() + b"\0" * (1024 * 1024)  # a PNG with a tail: over 1 MB
        assert_error(upload(small, inspector, ("大图.png", big)), 413, "file_too_large")
        four = [(f"{n}.png", png(colour="red")) for n in "一二三四"]
        assert_error(upload(small, inspector, *four), 413, "too_many_files")  # the parser's
        three = [
            (f"{n}.png", png(colour=c)) for n, c in (("一", "red"), ("二", "blue"), ("三", "red"))
        ]
        assert_error(upload(small, inspector, *three), 413, "too_many_files")
        whole = [("a.png", big[: 1024 * 1024 - 10])] * 3
        assert_error(upload(small, inspector, *whole), 413, "payload_too_large")
        plain = small.post(FILES, {"evidence": []}, inspector)
        assert_error(plain, 415, "unsupported_media_type")
        none = client.post(
            FILES, files=[("other", ("x.png", png(), "image/png"))], headers=inspector
        )
        assert_error(none, 422, "no_files")


def test_an_auditor_uploads_nothing(api: Api) -> None:
    auditor = api.account("auditor")
    assert_error(upload(api, auditor, ("x.png", png())), 403, "forbidden")


def test_citing_another_units_file_gives_no_right_to_read_it(
    api: Api, inspector: dict[str, str], rectifying: Rectifying
) -> None:
    """A hash is no secret: a liaison who cites another unit's upload, or an inspector's, in
    its own report still may not read it; once an inspector cites the inspector's file on
    the liaison's finding, the liaison may."""
    theirs = ok(upload(api, rectifying.stranger, ("别家现场.png", png(colour="purple"))), 201)
    ours = png(colour="orange")
    inspectors = ok(upload(api, inspector, ("督查取证.png", ours)), 201)["files"][0]
    cited = [
        {k: f[k] for k in ("name", "sha256", "size")} for f in (theirs["files"][0], inspectors)
    ]
    body = {"note": "引用", "percent": 10, "evidence": cited}
    at = ok(command(api, rectifying.fid, "progress", body, rectifying.liaison))["position"]
    for f in cited:
        assert_error(api.get(f"{FILES}/{f['sha256']}", rectifying.liaison, min_position=at), 404)
    body = {"note": "督查组补充取证", "percent": 20, "evidence": cited[1:]}
    at = ok(command(api, rectifying.fid, "progress", body, inspector))["position"]
    got = api.get(f"{FILES}/{inspectors['sha256']}", rectifying.liaison, min_position=at)
    assert got.content == ours
    assert_error(api.get(f"{FILES}/{cited[0]['sha256']}", rectifying.liaison), 404)


def test_evidence_given_by_an_amendment_is_cited_too(
    api: Api, inspector: dict[str, str], rectifying: Rectifying
) -> None:
    data = png(colour="teal")
    kept = ok(upload(api, inspector, ("补充证据.png", data)), 201)["files"][0]
    evidence = [{k: kept[k] for k in ("name", "sha256", "size")}]
    body = {"changes": {"evidence": evidence}, "reason": "补充现场照片"}
    answer = ok(command(api, rectifying.fid, "amendment", body, inspector))
    got = api.get(f"{FILES}/{kept['sha256']}", rectifying.liaison, min_position=answer["position"])
    assert got.content == data  # the unit reads its finding's evidence, an inspector's upload


def test_a_second_uploader_of_the_same_bytes_reads_its_own_upload(
    api: Api, inspector: dict[str, str], rectifying: Rectifying
) -> None:
    data = png(colour="navy")
    first = ok(upload(api, inspector, ("同一张.png", data)), 201)["files"][0]
    second = ok(upload(api, rectifying.liaison, ("同一张.png", data)), 201)["files"][0]
    assert first["sha256"] == second["sha256"]
    assert api.get(f"{FILES}/{first['sha256']}", rectifying.liaison).content == data


def test_a_truncated_image_is_refused_and_one_that_will_not_decode_has_no_thumbnail(
    api: Api, inspector: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = png(200, 150, colour="maroon")
    assert_error(upload(api, inspector, ("半张.png", whole[: len(whole) // 2])), 422, "unsafe_file")
    # Cut just past its header: Pillow knows no such image (or, with another library's image
    # plugins registered, one of them finds it truncated). Either way the message does not
    # name the service's temporary file object, as Pillow's own for the first does.
    error = assert_error(upload(api, inspector, ("残片.png", whole[:40])), 422, "unsafe_file")
    assert error["message"].startswith("the image cannot be read safely: ")
    assert "object at" not in error["message"] and "<" not in error["message"], error
    digest = ok(upload(api, inspector, ("完整.png", whole)), 201)["files"][0]["sha256"]

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("image file is truncated")

    monkeypatch.setattr(Image.Image, "thumbnail", broken)
    assert_error(api.get(f"{FILES}/{digest}/thumbnail", inspector), 422, "unreadable_image")
