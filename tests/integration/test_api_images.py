"""The image library through the HTTP API, over SQLite and local disk."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from PIL import Image

from imagegen.config import Settings
from tests.support.api import ApiClient, picture

PROBLEM = "application/problem+json"


def stored_files(settings: Settings) -> list[Path]:
    return [p for p in settings.storage_path.rglob("*") if p.is_file()]


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SnoopCam"
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps
    return picture("JPEG", exif=exif.tobytes())


def test_upload_answers_201_with_the_image_and_its_links(api: ApiClient) -> None:
    token = api.token("ada@example.com")

    response = api.upload(token, picture(), filename="holiday.png")

    assert response.status_code == 201
    body = response.json
    assert body["kind"] == "upload"
    assert (body["width"], body["height"]) == (64, 48)
    assert body["content_type"] == "image/png"
    assert body["filename"] == "holiday.png"
    assert body["links"]["content"] == f"/api/images/{body['id']}/content"
    assert len(body["sha256"]) == 64


def test_content_thumbnail_and_download_serve_the_true_type(api: ApiClient) -> None:
    token = api.token("ada@example.com")
    image = api.upload(token, picture(size=(1200, 600)), filename="wide.png").json

    content = api.get(f"/api/images/{image['id']}/content", token)
    thumb = api.get(f"/api/images/{image['id']}/thumbnail", token)
    download = api.get(f"/api/images/{image['id']}/download", token)

    assert content.status_code == 200 and content.mimetype == "image/png"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(thumb.data)).size == (512, 256)
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "wide.png" in download.headers["Content-Disposition"]
    assert download.data == content.data


def test_a_stored_jpeg_has_no_gps_left(api: ApiClient) -> None:
    token = api.token("ada@example.com")
    image = api.upload(token, jpeg_with_gps(), filename="trip.jpg").json

    stored = api.get(f"/api/images/{image['id']}/content", token).data

    exif = Image.open(io.BytesIO(stored)).getexif()
    assert 0x8825 not in exif and 0x010F not in exif
    assert b"SnoopCam" not in stored


def test_each_bad_upload_is_refused_and_nothing_is_stored(
    api: ApiClient, app_settings: Settings, app: Flask
) -> None:
    token = api.token("ada@example.com")
    gif = picture("GIF")
    cases = {
        "empty.png": (b"", 422),
        "noise.png": (b"\x00\x01garbage" * 50, 415),
        "truncated.png": (picture(size=(300, 300))[:200], 422),
        "animated.png": (gif, 415),
        "vector.png": (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', 415),
        "photo.jpg": (picture("WEBP"), 415),
    }

    for name, (data, status) in cases.items():
        response = api.upload(token, data, filename=name)
        assert response.status_code == status, (name, response.json)
        assert response.mimetype == PROBLEM

    assert stored_files(app_settings) == []
    assert api.get("/api/images", token).json["items"] == []


def test_an_upload_past_the_byte_limit_answers_413(api: ApiClient, app: Flask) -> None:
    token = api.token("ada@example.com")
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
        + b"\x89PNG"
        + b"0" * limit
        + b"\r\n--b--\r\n"
    )

    response = api.post(
        "/api/images", token, data=body, content_type="multipart/form-data; boundary=b"
    )

    assert response.status_code == 413
    assert response.mimetype == PROBLEM


def test_a_missing_file_field_answers_422(api: ApiClient) -> None:
    token = api.token("ada@example.com")

    response = api.upload(token, picture(), field="picture")

    assert response.status_code == 422
    assert "file" in response.json["errors"]


def test_other_users_image_answers_404_on_every_route(api: ApiClient) -> None:
    owner = api.token("ada@example.com")
    stranger = api.token("bob@example.com")
    image_id = api.upload(owner, picture()).json["id"]

    routes = ["", "/content", "/thumbnail", "/download", "/variations"]
    for suffix in routes:
        theirs = api.get(f"/api/images/{image_id}{suffix}", stranger)
        missing = api.get(f"/api/images/{'0' * 32}{suffix}", stranger)
        assert theirs.status_code == missing.status_code == 404, suffix
        assert theirs.json["code"] == missing.json["code"]
    assert api.delete(f"/api/images/{image_id}", stranger).status_code == 404
    assert api.get(f"/api/images/{image_id}", owner).status_code == 200


def test_listing_pages_through_my_images_only(api: ApiClient) -> None:
    ada = api.token("ada@example.com")
    bob = api.token("bob@example.com")
    mine = [api.upload(ada, picture()).json["id"] for _ in range(5)]
    api.upload(bob, picture())

    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.get("/api/images", ada, query_string=query).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == sorted(mine)
    assert len(seen) == len(set(seen))


def test_bad_list_parameters_answer_422(api: ApiClient) -> None:
    token = api.token("ada@example.com")

    for query in ({"limit": 0}, {"limit": 1000}, {"kind": "poster"}, {"cursor": "%%"}):
        response = api.get("/api/images", token, query_string=query)
        assert response.status_code == 422, query


def test_delete_removes_the_image_and_its_files(
    api: ApiClient, app_settings: Settings
) -> None:
    token = api.token("ada@example.com")
    image_id = api.upload(token, picture()).json["id"]
    assert len(stored_files(app_settings)) == 2

    response = api.delete(f"/api/images/{image_id}", token)

    assert response.status_code == 204
    assert stored_files(app_settings) == []
    assert api.get(f"/api/images/{image_id}", token).status_code == 404


def test_legacy_routes_upload_and_list_only_mine(api: ApiClient) -> None:
    ada = api.token("ada@example.com")
    bob = api.token("bob@example.com")
    api.upload(bob, picture())

    uploaded = api.upload(ada, picture(), field="image", url="/api/upload-image")
    listed = api.get("/api/user-images", ada)

    assert uploaded.status_code == 201
    assert [i["id"] for i in listed.json["images"]] == [uploaded.json["image"]["id"]]


def test_images_need_a_token(api: ApiClient) -> None:
    assert api.get("/api/images").status_code == 401
    assert api.upload("", picture()).status_code == 401
