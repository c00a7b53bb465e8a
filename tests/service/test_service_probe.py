"""Classes of hostile input against the whole app: whatever arrives, the answer is never a 5xx.

Generated cases for each class the service must survive: Range headers (huge, negative, garbage,
many pieces), credentials (random, re-spelled, binary), text with control characters, query values,
and upload bodies that are not what their type says.
"""

from __future__ import annotations

import string
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADER_TEXT = st.text(alphabet=string.printable.replace("\r", "").replace("\n", "").replace("\x0b", "")
                      .replace("\x0c", ""), max_size=80)  # fmt: skip
NUMBER = st.one_of(st.integers(-(10**30), 10**30).map(str), st.integers(1, 6000).map(lambda n: "9" * n), st.just(""))


@pytest.fixture(scope="module")
def feed_item(client, tokens, auth) -> dict:
    return client.get("/api/feed", headers=auth(tokens["bob"])).json()["items"][0]


@FUZZ
@given(
    spec=st.lists(st.tuples(NUMBER, NUMBER), min_size=1, max_size=120), unit=st.sampled_from(["bytes", "BYTES", "x"])
)
def test_any_range_header(client, tokens, auth, feed_item, spec, unit) -> None:
    header = f"{unit}=" + ",".join(f"{a}-{b}" for a, b in spec)
    r = client.get(feed_item["media_url"], headers={**auth(tokens["bob"]), "Range": header})
    assert r.status_code in (200, 206, 416), (header[:200], r.status_code)


@FUZZ
@given(text=HEADER_TEXT)
def test_any_range_text(client, tokens, auth, feed_item, text) -> None:
    r = client.get(feed_item["media_url"], headers={**auth(tokens["bob"]), "Range": text})
    assert r.status_code in (200, 206, 416)


@FUZZ
@given(scheme=st.sampled_from(["Bearer ", "bearer  ", "Basic ", "", "Bearer\t"]), token=HEADER_TEXT)
def test_any_credential(client, scheme, token) -> None:
    for headers in ({"Authorization": scheme + token}, {"Cookie": f"generec_token={token}"}):
        r = client.get("/api/me", headers=headers)
        assert r.status_code in (200, 401, 429), (headers, r.status_code)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=300))
def test_any_chat_text(client, tokens, auth, text) -> None:
    r = client.post("/api/chat", headers=auth(tokens["alice"]), json={"text": text})
    assert r.status_code in (200, 422, 429), r.text
    if r.status_code == 200:
        said = "".join(
            t["text"] for t in client.get("/api/chat?limit=2", headers=auth(tokens["alice"])).json()["turns"]
        )
        assert not [c for c in said if unicodedata.category(c) == "Cc" and c not in "\n\t"], repr(said)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mime=st.sampled_from(["video/mp4", "video/webm", "image/png", "image/jpeg"]),
       body=st.one_of(st.binary(min_size=1, max_size=2000),
                      st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"\x1a\x45\xdf\xa3",
                                       b"\x00\x00\x00\x18ftypmp42"]).map(lambda head: head + b"\x00" * 300)),
       title=st.text(min_size=1, max_size=50))  # fmt: skip
def test_any_upload_body(client, tokens, auth, mime, body, title) -> None:
    r = client.post("/api/uploads", params={"title": title}, headers={**auth(tokens["carol"]), "Content-Type": mime},
                    content=body)  # fmt: skip
    assert r.status_code in (200, 413, 415, 422), r.text
