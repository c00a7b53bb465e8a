"""Pictures in the chat over HTTP (paper §2, multimodal instructions): attach, use, refuse, keep private.

A picture is posted like an upload (raw body, the same size limit and checks) to ``/api/uploads/picture``
and its id sent with the chat turn. The instructor is the real one; its intent understanding reads every
turn as a recommendation (the offline one takes half a minute to fit), since the picture's use is read
from the words by the instructor itself.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generec.config import Settings
from generec.instructor import replies
from generec.instructor.instructor import Instructor
from generec.instructor.schema import Intent, Understanding
from generec.pipeline import GeneRec


class EveryTurnARecommendation:
    def understand(self, text: str) -> Understanding:
        return Understanding(Intent.RECOMMEND, 0.9)


@pytest.fixture(scope="module")
def picture_app(template_home: Path, tmp_path_factory: pytest.TempPathFactory):
    """``(client, system, tokens)`` of a service with the real instructor and the install's encoder."""
    from fastapi.testclient import TestClient

    from generec.encoders.dual import DualEncoderConfig, GeneRecEncoder
    from generec.service.app import create_app

    home = tmp_path_factory.mktemp("pictures") / "home"
    shutil.copytree(template_home, home, ignore=shutil.ignore_patterns("world"))
    GeneRecEncoder(DualEncoderConfig(dim=32), seed=0).save_pretrained(home / "models" / "encoder")
    settings = Settings(home=home, service={"rate_per_s": 1000, "rate_burst": 1000})
    gr = GeneRec.from_config(settings, instructor=Instructor(EveryTurnARecommendation()), runners={})
    tokens = {name: gr.store.create_token(name) for name in ("alice", "bob")}
    with TestClient(create_app(gr, workers=0, warm_instructor=False), raise_server_exceptions=False) as client:
        yield client, gr, tokens
    gr.close()


def _image(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buf, format=fmt)
    return buf.getvalue()


def _attach(client, token: str, body: bytes, mime: str = "image/png"):  # noqa: ANN001, ANN202
    return client.post("/api/uploads/picture", content=body,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": mime})  # fmt: skip


def _chat(client, token: str, **body):  # noqa: ANN001, ANN202
    return client.post("/api/chat", json=body, headers={"Authorization": f"Bearer {token}"})


def _stored(gr: GeneRec) -> tuple[int, int]:
    media = sum(1 for p in Path(gr.settings.media_dir).rglob("*") if p.is_file())
    return len(gr.store.list_items(system=True, limit=None)), media


def test_an_attached_picture_guides_the_chat_turn_and_stays_private(picture_app) -> None:
    client, gr, tokens = picture_app
    for mime, fmt in (("image/png", "PNG"), ("image/jpeg", "JPEG")):
        r = _attach(client, tokens["alice"], _image(fmt), mime)
        assert r.status_code == 200, r.text
    picture = r.json()["picture"]
    own = client.get(picture["thumbnail_url"], headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert own.status_code == 200 and own.headers["content-type"] == "image/png"  # the page's preview
    for path in (f"/api/items/{picture['id']}", f"/api/items/{picture['id']}/media", picture["thumbnail_url"]):
        assert client.get(path, headers={"Authorization": f"Bearer {tokens['bob']}"}).status_code == 404
    r = _chat(client, tokens["alice"], text="something like this", picture_id=picture["id"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reply"] == replies.PICTURE_REPLIES["retrieve"] and body["intent"] == "recommend"
    assert body["items"] and {i["id"] for i in body["items"]}.isdisjoint({picture["id"]})
    r = _chat(client, tokens["bob"], text="something like this", picture_id=picture["id"])
    assert r.status_code == 404 and "attach the picture again" in r.json()["error"]["message"]


def test_words_about_a_picture_without_one_get_a_question_back(picture_app) -> None:
    client, _, tokens = picture_app
    r = _chat(client, tokens["alice"], text="show me more like this picture")
    assert r.status_code == 200 and r.json()["reply"] == replies.ASK_PICTURE and r.json()["job"] is None


def test_a_picture_over_the_upload_limit_is_refused_with_413(picture_app, monkeypatch) -> None:
    client, gr, tokens = picture_app
    monkeypatch.setattr(gr.settings.service, "max_upload_bytes", 2048)
    body, before = _image(size=(64, 64)), _stored(gr)
    assert len(body) > 2048
    r = _attach(client, tokens["alice"], body)
    assert r.status_code == 413 and "too large" in r.json()["error"]["message"]
    assert _stored(gr) == before


@pytest.mark.parametrize("what", ["text", "truncated", "jpeg-header"])
def test_a_file_that_is_no_picture_is_refused_with_422_and_nothing_is_stored(picture_app, what: str) -> None:
    client, gr, tokens = picture_app
    good = _image()
    body = {"text": b"this is not a picture\n" * 40, "truncated": good[: len(good) // 2],
            "jpeg-header": b"\xff\xd8\xff\xe0" + bytes(3000)}[what]  # fmt: skip
    before = _stored(gr)
    r = _attach(client, tokens["alice"], body)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert message.startswith("this picture cannot be used") and "\n" not in message
    assert str(gr.settings.home) not in message  # what is wrong, never where the server keeps files
    assert _stored(gr) == before


def test_other_types_and_empty_bodies_are_refused(picture_app) -> None:
    client, gr, tokens = picture_app
    before = _stored(gr)
    r = _attach(client, tokens["alice"], b"GIF89a" + bytes(2000), "image/gif")
    assert r.status_code == 415 and "image/png" in r.json()["error"]["message"]
    r = _attach(client, tokens["alice"], b"")
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    assert _stored(gr) == before
