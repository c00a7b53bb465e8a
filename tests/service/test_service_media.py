"""Item media with HTTP range requests (video seeking), through the app and through a real server."""

from __future__ import annotations


def _item(client, h) -> dict:
    return client.get("/api/feed", headers=h).json()["items"][0]


def test_range_requests_through_the_app(system, client, tokens, auth) -> None:
    h = auth(tokens["bob"])
    item = _item(client, h)
    full = client.get(item["media_url"], headers=h)
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    size = len(full.content)
    assert int(full.headers["content-length"]) == size
    part = client.get(item["media_url"], headers={**h, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    tail = client.get(item["media_url"], headers={**h, "Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == full.content[-50:]
    bad = client.get(item["media_url"], headers={**h, "Range": f"bytes={size}-"})
    assert bad.status_code == 416 and bad.json()["error"]["message"]
    assert bad.headers["content-range"] == f"bytes */{size}"
    thumb = client.get(item["thumbnail_url"], headers=h)
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")


def test_large_files_stream_in_chunks(system, client, tokens, auth, monkeypatch) -> None:
    from generec.service import media

    h = auth(tokens["bob"])
    item = _item(client, h)
    whole = client.get(item["media_url"], headers=h).content
    monkeypatch.setattr(media._RangedFile, "chunk_size", 64)  # every file is many chunks
    streamed = client.get(item["media_url"], headers=h)
    assert streamed.status_code == 200 and streamed.content == whole
    assert int(streamed.headers["content-length"]) == len(whole)
    part = client.get(item["media_url"], headers={**h, "Range": "bytes=10-409"})
    assert part.status_code == 206 and part.content == whole[10:410]
    assert part.headers["content-range"] == f"bytes 10-409/{len(whole)}" and part.headers["content-length"] == "400"


NINES = "9" * 4301  # past Python's int() digit limit


def test_hostile_range_headers_get_a_plain_answer_and_no_log(client, tokens, auth, caplog) -> None:
    h = auth(tokens["bob"])
    item = _item(client, h)
    whole = client.get(item["media_url"], headers=h).content
    size = len(whole)
    whole_file = ["bytes=abc", "bytes=5-2", "bytes=-5-10", "bytes=--", "items=0-1", "bytes=" + ",".join(["0-1"] * 200),
                  "bytes=\u0663-".encode(), "bytes=1-2-3"]  # fmt: skip
    with caplog.at_level("WARNING"):
        for header in whole_file:
            r = client.get(item["media_url"], headers={**h, "Range": header})
            assert r.status_code == 200 and r.content == whole, header
        for header in (f"bytes=-{NINES}", f"bytes=0-{NINES}", f"bytes=000000000000000000000000-{NINES}"):
            r = client.get(item["media_url"], headers={**h, "Range": header})
            assert r.status_code == 206 and r.content == whole, header
            assert r.headers["content-range"] == f"bytes 0-{size - 1}/{size}"
        for header in (f"bytes={NINES}-", f"bytes={NINES}-{NINES}", f"bytes={size}-", "bytes=-0"):
            r = client.get(item["media_url"], headers={**h, "Range": header})
            assert r.status_code == 416 and r.headers["content-range"] == f"bytes */{size}", header
            assert r.json()["error"]["message"]
    assert not [rec for rec in caplog.records if rec.levelname in ("ERROR", "CRITICAL")]


def test_several_ranges_get_a_multipart_answer(client, tokens, auth) -> None:
    h = auth(tokens["bob"])
    item = _item(client, h)
    whole = client.get(item["media_url"], headers=h).content
    r = client.get(item["media_url"], headers={**h, "Range": "bytes=0-0,5-10"})
    assert r.status_code == 206 and r.headers["content-type"].startswith("multipart/byteranges; boundary=")
    boundary = r.headers["content-type"].split("boundary=")[1].encode()
    parts = [p for p in r.content.split(b"--" + boundary) if p.strip(b"\r\n-")]
    assert len(parts) == 2
    for part, (first, last) in zip(parts, [(0, 0), (5, 10)], strict=True):
        head, _, body = part.partition(b"\r\n\r\n")
        assert f"Content-Range: bytes {first}-{last}/{len(whole)}".encode() in head
        assert body == whole[first : last + 1] + b"\r\n"
    merged = client.get(item["media_url"], headers={**h, "Range": "bytes=0-10,5-20"})  # overlapping: one range
    assert merged.status_code == 206 and merged.content == whole[:21]
