"""The real page in headless Chromium: sign in, watch, like, dislike, ask for an edit, see it arrive badged.

Needs Debian's ``chromium`` and the ``playwright`` package (never ``playwright install``); skipped without them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generec.config import Settings
from generec.store import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.mark.slow
def test_browser_flow(template_home: Path, tmp_path: Path, live_server) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    home = tmp_path / "home"
    shutil.copytree(template_home, home, ignore=shutil.ignore_patterns("world"))
    with Store.open(Settings(home=home)) as store:
        token = store.create_token("alice")
    _, base = live_server(home)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/#token={token}")
            page.wait_for_selector("#feed li button")
            assert "token" not in page.url  # the token does not stay in the address bar
            assert "Alice" in page.inner_text("#whoami")
            first = page.inner_text("#now-name")
            assert not page.is_visible("#now-badge")  # a human item is never badged AI-generated
            version = "document.body.dataset.feedVersion"
            seen = page.evaluate(version)
            page.click("#like")
            page.wait_for_function(f"{version} !== '{seen}'")  # the feed reloaded after the like
            assert "you like" in page.inner_text("#chatlog")
            page.keyboard.press("d")  # the keyboard works too: dislike
            page.wait_for_function("document.querySelector('#chatlog').innerText.includes('less like')")
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
        finally:
            browser.close()
    with Store.open(Settings(home=home)) as store:  # what the browser did is stored
        kinds = {e.kind.value for e in store.events_for_user("alice")}
        assert {"impression", "like", "dislike", "click"} <= kinds
