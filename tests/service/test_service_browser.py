"""The real page in headless Chromium: sign in, watch, like, dislike, ask for an edit, see it arrive badged.

Needs Debian's ``chromium`` and the ``playwright`` package (never ``playwright install``); skipped without them.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generec.config import Settings
from generec.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
# Runs before the page's own script (and outside its policy): records every Content-Security-Policy violation.
WATCH_CSP = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
             "(e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));")  # fmt: skip


def watch_csp(page, errors: list[str]) -> None:
    page.add_init_script(WATCH_CSP)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)


def csp_violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def needs_chromium():  # noqa: ANN201 - playwright's module
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return sync_api


@contextlib.contextmanager
def signed_in_page(base: str, token: str) -> Iterator[tuple[Any, list[str], Any]]:
    """The page at ``base``, signed in with ``token``, in headless Chromium: ``(page, errors, response)``, where
    ``errors`` gathers the page's script errors and policy violations and ``response`` is the page's own HTTP
    response; the browser closes afterwards."""
    sync_api = needs_chromium()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            watch_csp(page, errors)
            response = page.goto(f"{base}/#token={token}")
            yield page, errors, response
        finally:
            browser.close()


def serve_copy(template_home: Path, tmp_path: Path, live_server, user: str) -> tuple[Path, str, str]:
    """A copy of the test world served by the real service: ``(home, a token of user, base URL)``."""
    home = tmp_path / "home"
    shutil.copytree(template_home, home, ignore=shutil.ignore_patterns("world"))
    with Store.open(Settings(home=home)) as store:
        token = store.create_token(user)
    _, base = live_server(home)
    return home, token, base


def wait_until(page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll ``expression`` in the page until it is true. Not ``page.wait_for_function``: that evaluates a
    string with ``eval`` inside the page, which the page's policy (rightly) forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


@pytest.mark.slow
def test_browser_flow(template_home: Path, tmp_path: Path, live_server) -> None:
    needs_chromium()
    home, token, base = serve_copy(template_home, tmp_path, live_server, "alice")
    with signed_in_page(base, token) as (page, errors, _):
        page.wait_for_selector("#feed li button")
        assert "token" not in page.url  # the token does not stay in the address bar
        assert "Alice" in page.inner_text("#whoami")
        first = page.inner_text("#now-name")
        assert not page.is_visible("#now-badge")  # a human item is never badged AI-generated
        version = "document.body.dataset.feedVersion"
        seen = page.evaluate(version)
        page.click("#like")
        wait_until(page, f"{version} !== '{seen}'")  # the feed reloaded after the like
        assert "you like" in page.inner_text("#chatlog")
        page.keyboard.press("d")  # the keyboard works too: dislike
        wait_until(page, "document.querySelector('#chatlog').innerText.includes('less like')")
        page.fill("#chatinput", "make this one shorter")
        page.click("#chatform button[type=submit]")
        page.wait_for_selector("#jobs li progress")
        page.wait_for_selector("#feed .badge", timeout=120_000)  # the made item arrives, badged
        page.locator("#feed li button", has=page.locator(".badge")).first.click()
        assert page.is_visible("#now-badge")
        page.click("#whybtn")
        page.wait_for_selector("#why table")
        why = page.inner_text("#why")
        assert "GeneRec (AI)" in why and "passed" in why and "trim" in why
        assert first and not errors, errors
        assert csp_violations(page) == []  # the page works under its Content-Security-Policy
    with Store.open(Settings(home=home)) as store:  # what the browser did is stored
        kinds = {e.kind.value for e in store.events_for_user("alice")}
        assert {"impression", "like", "dislike", "click"} <= kinds


def test_the_page_runs_under_its_security_policy(template_home: Path, tmp_path: Path, live_server) -> None:
    """Sign in, load the feed, play, open "why": no policy violation; an injected inline script is blocked."""
    needs_chromium()
    home, token, base = serve_copy(template_home, tmp_path, live_server, "carol")
    with signed_in_page(base, token) as (page, errors, response):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.wait_for_selector("#feed li button img")
        page.locator("#feed li button").nth(1).click()
        page.click("#whybtn")
        wait_until(page, "document.querySelector('#why').innerText.includes('Who made it')")
        assert page.is_visible("#upload-panel")  # carol uploads: that panel is shown too
        wait_until(page, "document.querySelector('#player').readyState >= 1")  # the video loaded
        assert csp_violations(page) == [] and not errors, (csp_violations(page), errors)
        page.evaluate("document.body.append(Object.assign(document.createElement('script'), "
                      "{textContent: 'window.__ran = true'}))")  # fmt: skip
        wait_until(page, "window.__csp.length > 0")
        assert page.evaluate("window.__ran") is None and csp_violations(page)[0].startswith("script-src")


@pytest.mark.slow
def test_browser_attaches_a_picture_in_the_chat(template_home: Path, tmp_path: Path, live_server) -> None:
    """Paper §2, multimodal instructions: a refused file says why; an attached picture restyles the playing video."""
    import numpy as np
    from PIL import Image

    needs_chromium()
    home = tmp_path / "home"
    shutil.copytree(template_home, home, ignore=shutil.ignore_patterns("world"))
    with Store.open(Settings(home=home)) as store:
        token = store.create_token("alice")
    _, base = live_server(home, mode="pictures")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(tmp_path / "look.png")
    (tmp_path / "broken.png").write_bytes(b"not a picture at all\n" * 40)
    with signed_in_page(base, token) as (page, errors, _):
        page.wait_for_selector("#feed li button")
        page.set_input_files("#picture-file", str(tmp_path / "broken.png"))
        page.wait_for_selector("#picture-error:not([hidden])")
        assert "this picture cannot be used" in page.inner_text("#picture-error")
        assert not page.is_visible("#picture")  # nothing attached
        page.set_input_files("#picture-file", str(tmp_path / "look.png"))
        page.wait_for_selector("#picture:not([hidden])")
        wait_until(page, "document.querySelector('#picture-preview').naturalWidth > 0")  # the preview loaded
        assert not page.is_visible("#picture-error")
        page.fill("#chatinput", "make this one look like this picture")
        page.click("#chatform button[type=submit]")
        wait_until(page, "document.querySelector('#chatlog').innerText.includes('look like your picture')")
        wait_until(page, "document.querySelector('#jobs').innerText.includes('style_transfer')")
        assert "(with a picture)" in page.inner_text("#chatlog") and not page.is_visible("#picture")
        page.wait_for_selector("#feed .badge", timeout=120_000)  # the restyled video arrives, badged
        assert not errors and not csp_violations(page), (errors, csp_violations(page))
    with Store.open(Settings(home=home)) as store:  # the attached picture was the style transfer's style image
        (job,) = [j for j in store.list_jobs(limit=None) if j.kind == "edit_style_transfer"]
        assert job.status.value == "done" and job.params["picture"].startswith("pic"), job.error
        made = store.get_provenance(job.result_item_id).params
        assert made["style_image"] == "picture attached in the chat" and made["picture"] == job.params["picture"]
