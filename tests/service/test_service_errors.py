"""Every error is a JSON body with a message; request size and rate limits; the page and OpenAPI are served."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generec.service.limits import RateLimit
from generec.service.media import byte_ranges


def _is_json_error(r, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    message = r.json()["error"]["message"]
    assert message and "Traceback" not in message and "<html" not in r.text.lower()
    return message


def test_error_bodies_are_json(client, tokens, auth) -> None:
    h = auth(tokens["bob"])
    assert "no such endpoint" in _is_json_error(client.get("/api/nothing-here", headers=h), 404)
    assert "not allowed" in _is_json_error(client.delete("/api/feed", headers=h), 405)
    assert "events" in _is_json_error(client.post("/api/events", headers=h, json={"events": []}), 422)
    bad_kind = client.post("/api/events", headers=h, json={"events": [{"item_id": "x", "kind": "hack"}]})
    assert "kind" in _is_json_error(bad_kind, 422)
    _is_json_error(
        client.post(
            "/api/events",
            headers=h,
            content=b"{not json",
        ),
        422,
    )
    _is_json_error(client.get("/api/feed?k=0", headers=h), 422)
    _is_json_error(client.post("/api/chat", headers=h, json={"text": ""}), 422)
    _is_json_error(client.get("/api/jobs/nope", headers=h), 404)
    _is_json_error(client.post("/api/auth/login", json={"token": "wrong-token-123"}), 401)


def test_body_size_limit(client, tokens, auth) -> None:
    h = auth(tokens["bob"])
    big = b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    msg = _is_json_error(client.post("/api/chat", headers={**h, "Content-Type": "application/json"}, content=big), 413)
    assert "too large" in msg

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(40):
            yield b"a" * 65536

    _is_json_error(client.post("/api/chat", headers={**h, "Content-Type": "application/json"}, content=chunks()), 413)


def test_rate_limit_answers_429_with_retry_after(system, tokens, auth) -> None:
    from fastapi.testclient import TestClient

    from generec.pipeline import GeneRec
    from generec.service.app import create_app

    settings = system.settings.model_copy(update={"service": system.settings.service.model_copy(
        update={"rate_per_s": 1.0, "rate_burst": 3})})  # fmt: skip
    strict = GeneRec(settings, system.store, system.media, instructor=system.instructor, runners={},
                     fidelity=system.fidelity)  # fmt: skip
    with TestClient(create_app(strict, workers=0), raise_server_exceptions=False) as c:
        codes = [c.get("/api/me", headers=auth(tokens["bob"])).status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200] and 429 in codes[3:]
        r = c.get("/api/me", headers=auth(tokens["bob"]))
        assert "too many" in _is_json_error(r, 429) and int(r.headers["retry-after"]) >= 1
        assert c.get("/api/me", headers=auth(tokens["alice"])).status_code == 200  # buckets are per client
        assert c.get("/").status_code == 200  # the page is not rate limited


def _strict_client(system, rate_per_s: float = 0.01, burst: int = 5):
    from fastapi.testclient import TestClient

    from generec.pipeline import GeneRec
    from generec.service.app import create_app

    settings = system.settings.model_copy(update={"service": system.settings.service.model_copy(
        update={"rate_per_s": rate_per_s, "rate_burst": burst})})  # fmt: skip
    strict = GeneRec(settings, system.store, system.media, instructor=system.instructor, runners={},
                     fidelity=system.fidelity)  # fmt: skip
    return TestClient(create_app(strict, workers=0), raise_server_exceptions=False)


def test_guessing_tokens_does_not_escape_the_rate_limit(system, tokens, auth) -> None:
    import secrets

    with _strict_client(system) as c:
        codes = [c.get("/api/me", headers=auth(secrets.token_urlsafe(24))).status_code for _ in range(30)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes
        cookies = [
            c.get("/api/me", headers={"Cookie": f"generec_token={secrets.token_urlsafe(24)}"}).status_code
            for _ in range(3)
        ]
        assert set(cookies) == {429}  # the same address, whichever way the guess is sent
        assert c.post("/api/auth/login", json={"token": secrets.token_urlsafe(24)}).status_code == 429
        assert c.get("/api/me", headers=auth(tokens["bob"])).status_code == 200  # a signed-in user has their own


def test_respelling_a_token_does_not_escape_the_rate_limit(system, tokens) -> None:
    t = tokens["carol"]
    spellings = [
        {"Authorization": f"Bearer {t}"},
        {"Authorization": f"bearer {t}"},
        {"Authorization": f"BEARER {t}"},
        {"Authorization": f"Bearer  {t}"},
        {"Authorization": f"Bearer {t} "},
        {"Cookie": f"generec_token={t}"},
    ]
    with _strict_client(system) as c:
        codes = [c.get("/api/me", headers=spellings[n % len(spellings)]).status_code for n in range(18)]
        assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}, codes


def test_token_bucket_refills() -> None:
    limiter = RateLimit(None, rate_per_s=2.0, burst=2)
    assert limiter.allow("k", now=0.0) == 0.0 and limiter.allow("k", now=0.0) == 0.0
    assert limiter.allow("k", now=0.0) > 0
    assert limiter.allow("k", now=1.0) == 0.0


@pytest.mark.parametrize("header,expected", [
    ("bytes=0-9", [(0, 9)]), ("bytes=10-", [(10, 99)]), ("bytes=-5", [(95, 99)]), ("bytes=90-500", [(90, 99)]),
    ("BYTES = 0-9", [(0, 9)]), ("bytes=0-1,4-5", [(0, 1), (4, 5)]), ("bytes=4-5,0-1", [(0, 1), (4, 5)]),
    ("bytes=0-10,5-20", [(0, 20)]), ("bytes=0-4,5-9", [(0, 9)]), ("bytes=0-1,,", [(0, 1)]),
    ("bytes=0-1,200-300", [(0, 1)]), ("bytes=" + "0" * 40 + "7-8", [(7, 8)]),
    ("bytes=-" + "9" * 4301, [(0, 99)]), ("bytes=0-" + "9" * 4301, [(0, 99)]),
])  # fmt: skip
def test_byte_ranges(header, expected) -> None:
    assert byte_ranges(header, 100) == expected


@pytest.mark.parametrize("header", [None, "", "items=0-1", "bytes", "bytes=", "bytes=-", "bytes=5-2", "bytes=abc",
                                    "bytes=1-2-3", "bytes=-5-10", "bytes=1 0-20", "bytes=\u0663-", "bytes=0x10-",
                                    "bytes=+5-", "bytes=" + ",".join(["0-0"] * 17)])  # fmt: skip
def test_byte_ranges_ignores_what_it_cannot_read(header) -> None:
    assert byte_ranges(header, 100) is None  # the whole file is served


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=" + "9" * 4301 + "-", "bytes=100-200,300-"])
def test_byte_ranges_refuses_ranges_past_the_end(header) -> None:
    from fastapi import HTTPException

    with pytest.raises(HTTPException) as err:
        byte_ranges(header, 100)
    assert err.value.status_code == 416 and err.value.headers["Content-Range"] == "bytes */100"


@given(st.text(max_size=60), st.integers(1, 10**6))
@settings(max_examples=300, deadline=None)
def test_byte_ranges_never_fails_on_any_header(text, size) -> None:
    from fastapi import HTTPException

    try:
        ranges = byte_ranges("bytes=" + text, size)
    except HTTPException as exc:
        assert exc.status_code == 416
        return
    for first, last in ranges or ():
        assert 0 <= first <= last < size


def test_page_and_openapi_are_served(client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<video" in page.text and 'lang="en"' in page.text
    assert client.get("/static/app.js").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in ("/api/feed", "/api/chat", "/api/events", "/api/items/{item_id}/media", "/api/jobs/{job_id}/events"):
        assert path in spec["paths"]
