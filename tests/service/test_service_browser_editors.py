"""The real page in headless Chromium: redo the playing video, draw it a new cover, rate a facet, read captions.

Tiny real revision and cover models are trained in a fixture (seconds) and placed in the test
home's models dir, so the service offers both editors exactly as an install with those models
would. Needs Debian's ``chromium`` and ``playwright`` (never ``playwright install``); skipped without.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_service_browser import ARGS, CHROMIUM, wait_until

from generec.config import Settings
from generec.store import Store
from generec.types import EventKind, Facet

PLAYING = "document.querySelector('#now-name').textContent"


def _made(page, title_part: str, timeout: float = 180_000):  # noqa: ANN001, ANN202
    """The feed button of the made item whose title contains ``title_part``, once it arrived badged."""
    button = page.locator("#feed li button", has=page.locator(".badge")).filter(has_text=title_part)
    button.first.wait_for(timeout=timeout)
    return button.first


@pytest.mark.slow
def test_browser_revision_cover_facets_and_captions(template_home: Path, tmp_path: Path, live_server,
                                                    editor_models) -> None:  # fmt: skip
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    home = tmp_path / "home"
    shutil.copytree(template_home, home, ignore=shutil.ignore_patterns("world"))
    editor_models(template_home / "world", home / "models")
    with Store.open(Settings(home=home)) as store:
        token = store.create_token("alice")
    _, base = live_server(home, mode="editors")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/#token={token}")
            page.wait_for_selector("#feed li button")
            page.click("#like")  # a liked item: User_Hist steers the revision
            wait_until(page, "document.querySelector('#chatlog').innerText.includes('you like')")

            # one tap rates a facet; a disliked cover proposes a better one
            page.click(".facet[data-facet=thumbnail][data-liked=false]")
            page.wait_for_selector("#proposal:not([hidden])")
            assert "cover" in page.inner_text("#proposal-text")
            assert page.get_attribute(".facet[data-facet=thumbnail][data-liked=false]", "aria-pressed") == "true"
            page.click("#proposal-no")

            asked = []
            for n, text in enumerate(("redo this for me", "make a new cover for it"), 1):  # of the playing video
                asked.append(page.evaluate(PLAYING))
                page.fill("#chatinput", text)
                page.click("#chatform button[type=submit]")
                wait_until(page, f"document.querySelectorAll('#jobs li progress').length >= {n}")
            jobs = page.inner_text("#jobs")
            assert "revision" in jobs and "thumbnail_generation" in jobs  # progress of both, in the page

            redone = _made(page, f"{asked[0]} (redone for you)")
            covered = page.locator("#feed li button", has=page.locator(".badge")).filter(has_text=asked[1])
            covered.filter(has_not_text="redone").first.wait_for(timeout=180_000)  # the new cover's item, badged
            redone.click()
            assert page.is_visible("#now-badge")
            wait_until(page, "(() => { const t = document.querySelector('#player track'); "
                             "return t && t.track.cues && t.track.cues.length > 0; })()")  # fmt: skip
            cues = page.evaluate("[...document.querySelector('#player track').track.cues].map((c) => c.text)")
            assert cues[0].startswith("You asked: redo this for me") and "AI-generated" in cues[-1], cues
            page.click("#whybtn")
            page.wait_for_selector("#why table")
            assert "generec.editor.Reviser" in page.inner_text("#why")
            assert not errors, errors
        finally:
            browser.close()
    with Store.open(Settings(home=home)) as store:  # what the browser did is stored
        (rating,) = store.events_for_user("alice", facets=True)
        assert (rating.facet, rating.kind) == (Facet.THUMBNAIL, EventKind.DISLIKE)
        tasks = {store.get_provenance(i.id).made_by for i in store.list_items(system=True, origin="ai", limit=None)}
        assert {"generec.editor.Reviser", "generec.editor.ThumbnailGenerator"} <= tasks
