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
    monkeypatch.setattr(media, "INLINE", 100)  # everything bigger streams
    monkeypatch.setattr(media, "CHUNK", 64)
    streamed = client.get(item["media_url"], headers=h)
    assert streamed.status_code == 200 and streamed.content == whole
    assert int(streamed.headers["content-length"]) == len(whole)
    part = client.get(item["media_url"], headers={**h, "Range": "bytes=10-409"})
    assert part.status_code == 206 and part.content == whole[10:410]
    assert part.headers["content-range"] == f"bytes 10-409/{len(whole)}" and part.headers["content-length"] == "400"
    small = client.get(item["media_url"], headers={**h, "Range": "bytes=0-49"})  # under INLINE: one body
    assert small.status_code == 206 and small.content == whole[:50] and small.headers["content-length"] == "50"
