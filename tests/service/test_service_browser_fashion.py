"""The fashion domain in the real page (headless Chromium): a feed of product photos, a like, a video-only edit.

Needs Debian's ``chromium``, the ``playwright`` package and Debian's ``dataset-fashion-mnist``; skipped without them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_service_browser import csp_violations, needs_chromium, signed_in_page, wait_until

from generec.config import Settings
from generec.data.fashion.build import FashionConfig, build_fashion_world
from generec.data.fashion.source import DEFAULT_DIR
from generec.data.sim import World
from generec.store import MediaStore, Store
from generec.types import Role, User


@pytest.fixture()
def fashion_home(tmp_path: Path) -> tuple[Path, str]:
    """A home holding a 12-shopper, 30-photo fashion world, and a token of one shopper."""
    if not (DEFAULT_DIR / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
    home = tmp_path / "home"
    world = World.load(build_fashion_world(home / "world", FashionConfig(items=30, users=12, seed=0)))
    with Store.open(Settings(home=home)) as store:
        store.load_dataset(world.dataset(), MediaStore(home / "media"), progress=False)
        store.add_users([User(id="alice", name="Alice", role=Role.USER)])
        return home, store.create_token("alice")


def test_the_page_shows_a_fashion_feed_and_answers_a_video_edit_of_a_photo(fashion_home, live_server) -> None:
    needs_chromium()
    home, token = fashion_home
    _, base = live_server(home)
    with signed_in_page(base, token) as (page, errors, _):
        page.wait_for_selector("#feed li button img")
        titles = page.locator("#feed li").all_inner_texts()
        garments = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot")
        assert titles and all(any(g in t for g in garments) for t in titles), titles  # products, not clips
        wait_until(page, "document.querySelector('#photo').naturalWidth > 0")  # the photo is on show
        assert page.is_visible("#photo") and not page.is_visible("#player")  # as an image, not a video
        assert page.inner_text("#now-verb") == "Now showing" and not page.is_visible(".facet.video-only")
        assert page.evaluate("document.querySelector('#photo').naturalWidth") == 28  # the product's own pixels
        assert page.evaluate("getComputedStyle(document.querySelector('#photo')).imageRendering") == "pixelated"
        assert not page.is_visible("#now-badge")  # a real product photo is never badged AI-generated
        page.click("#like")
        wait_until(page, "document.querySelector('#chatlog').innerText.includes('you like')")
        page.fill("#chatinput", "make this one shorter")  # the test service reads this as a clipping edit
        page.click("#chatform button[type=submit]")
        wait_until(page, "document.querySelector('#chatlog').innerText.includes('works on videos only')")
        assert page.locator("#jobs li progress").count() == 0  # nothing was queued for the photo
        assert not errors and csp_violations(page) == [], (errors, csp_violations(page))
    with Store.open(Settings(home=home)) as store:
        assert store.counts()["jobs"] == 0
        assert "like" in {e.kind.value for e in store.events_for_user("alice")}
