"""Security headers on every answer: the page's Content-Security-Policy, nosniff, no framing, no referrer."""

from __future__ import annotations

import pytest

from generec.service.headers import PAGE_POLICY


def _policy(r) -> dict[str, str]:
    parts = [p.strip().split(" ", 1) for p in r.headers["content-security-policy"].split(";")]
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


def _assert_secure(r) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.request.url
    assert r.headers["referrer-policy"] == "no-referrer"
    assert _policy(r)["frame-ancestors"] == "'none'"


def test_the_page_and_its_files_carry_a_strict_policy(client) -> None:
    for path in ("/", "/static/app.js", "/static/style.css"):
        r = client.get(path)
        assert r.status_code == 200
        _assert_secure(r)
        policy = _policy(r)
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"  # nothing inline
        assert policy["default-src"] == "'none'" and "unsafe" not in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/api/health", "/api/me", "/api/nothing", "/openapi.json", "/static/nope.js"])
def test_api_answers_and_errors_carry_the_headers(client, path) -> None:
    _assert_secure(client.get(path))


def test_answers_from_the_limits_carry_the_headers(client, tokens, auth) -> None:
    big = client.post("/api/chat", headers={**auth(tokens["bob"]), "Content-Length": str(10**9)}, content=b"{}")
    assert big.status_code == 413
    _assert_secure(big)


def test_media_is_not_sniffed(client, tokens, auth) -> None:
    h = auth(tokens["bob"])
    item = client.get("/api/feed", headers=h).json()["items"][0]
    for url in (item["media_url"], item["thumbnail_url"]):
        _assert_secure(client.get(url, headers={**h, "Range": "bytes=0-9"}))


def test_the_api_docs_keep_working_but_cannot_be_framed(client) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_page_has_no_inline_script_style_or_handler() -> None:
    import re
    from pathlib import Path

    from generec.service.app import STATIC

    html = (Path(STATIC) / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline <script> is blocked by the policy"
    assert not re.search(r"<style[\s>]|\sstyle=|\son[a-z]+=", html, re.I), "inline style or handler"
    assert "script-src 'self'" in PAGE_POLICY
