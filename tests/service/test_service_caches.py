"""The service's caches never leak or outlive access: tokens, the catalog keeper, personal thumbnails."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from generec.config import Settings
from generec.errors import NotFoundError
from generec.pipeline import GeneRec
from generec.service.auth import TokenCache
from generec.service.upkeep import CatalogKeeper
from generec.store import Store
from generec.types import Item, Origin, User, Visibility


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _home(template_home: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(template_home, tmp_path / "home", ignore=shutil.ignore_patterns("world")))


@pytest.fixture
def store(template_home: Path, tmp_path: Path) -> Store:
    with Store.open(Settings(home=_home(template_home, tmp_path))) as s:
        yield s


def test_token_cache_maps_each_token_to_its_own_user(store: Store) -> None:
    cache = TokenCache(store, ttl_s=60, max_entries=3)  # small: eviction happens during the test
    tokens = {name: [store.create_token(name) for _ in range(2)] for name in ("alice", "bob", "carol")}
    for _ in range(3):
        for name, pair in tokens.items():
            for token in pair:
                assert cache.user(token).id == name
    assert len(cache) == 3
    with pytest.raises(NotFoundError):
        cache.user("x" * 43)  # unknown tokens are never cached ...
    assert len(cache) == 3
    fresh = store.create_token("bob")
    assert cache.user(fresh).id == "bob"  # ... so a new one works at once


def test_revoking_through_the_cache_stops_a_token_at_once(store: Store) -> None:
    cache = TokenCache(store, ttl_s=3600)
    alice, alice2, bob = store.create_token("alice"), store.create_token("alice"), store.create_token("bob")
    for token in (alice, alice2, bob):
        cache.user(token)
    cache.revoke(alice)
    assert alice not in cache and bob in cache
    with pytest.raises(NotFoundError):
        cache.user(alice)
    assert cache.user(alice2).id == "alice" and cache.user(bob).id == "bob"
    assert cache.revoke_user("alice") == 1  # alice2 was the last live one
    with pytest.raises(NotFoundError):
        cache.user(alice2)
    assert cache.user(bob).id == "bob"
    with pytest.raises(NotFoundError):
        cache.revoke("never-issued-token")


def test_a_token_revoked_behind_the_cache_stops_within_the_ttl(store: Store) -> None:
    clock = Clock()
    cache = TokenCache(store, ttl_s=10, clock=clock)
    token = store.create_token("alice")
    assert cache.user(token).id == "alice"
    store.revoke_token(token)  # another process revokes it
    clock.now += 9
    assert cache.user(token).id == "alice"  # the documented window
    clock.now += 2
    with pytest.raises(NotFoundError):
        cache.user(token)
    off = TokenCache(store, ttl_s=0)
    with pytest.raises(NotFoundError):
        off.user(token)


def test_a_lookup_racing_a_revoke_is_not_cached(store: Store) -> None:
    class RevokedMidLookup:  # the real store; the revoke lands while the lookup is on its way back
        def __init__(self) -> None:
            self.cache: TokenCache | None = None

        def user_for_token(self, token: str) -> User:
            user = store.user_for_token(token)
            self.cache.revoke(token)
            return user

        def revoke_token(self, token: str) -> None:
            store.revoke_token(token)

    racing = RevokedMidLookup()
    cache = racing.cache = TokenCache(racing, ttl_s=3600)
    token = store.create_token("alice")
    assert cache.user(token).id == "alice"  # that request was checked before the revoke
    cache.store = store
    with pytest.raises(NotFoundError):
        cache.user(token)  # but nothing was remembered


def test_revoke_routes(system, client, tokens, auth) -> None:
    system.store.add_user(User(id="revokee", name="Revokee"))
    revokee, revokee2 = system.store.create_token("revokee"), system.store.create_token("revokee")
    assert client.get("/api/me", headers=auth(revokee)).json()["id"] == "revokee"
    r = client.post("/api/auth/revoke", headers=auth(revokee))
    assert r.status_code == 200 and r.json()["user_id"] == "revokee"
    for route in ("/api/me", "/api/feed", "/api/history"):
        assert client.get(route, headers=auth(revokee)).status_code == 401
    assert client.get("/api/me", headers=auth(revokee2)).json()["id"] == "revokee"  # only that token
    assert client.post("/api/auth/revoke", headers=auth(revokee)).status_code == 401
    for who in ("bob", "carol"):
        assert client.post("/api/admin/users/revokee/tokens/revoke", headers=auth(tokens[who])).status_code == 403
    assert client.get("/api/me", headers=auth(revokee2)).status_code == 200
    r = client.post("/api/admin/users/revokee/tokens/revoke", headers=auth(tokens["root"]))
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert client.get("/api/me", headers=auth(revokee2)).status_code == 401
    assert client.get("/api/me", headers=auth(tokens["bob"])).json()["id"] == "bob"
    missing = client.post("/api/admin/users/nobody/tokens/revoke", headers=auth(tokens["root"]))
    assert missing.status_code == 404 and missing.json()["error"]["message"]


def test_logout_drops_the_cookie_and_keeps_the_token(system, client) -> None:
    cache = client.app.state.ctx.tokens
    token = system.store.create_token("bob")
    assert client.post("/api/auth/login", json={"token": token}).status_code == 200
    assert client.get("/api/me").json()["id"] == "bob"  # the cookie signs in
    assert token in cache
    assert client.post("/api/auth/logout").status_code == 200
    assert token not in cache  # forgotten at once
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()["id"] == "bob"


def test_catalog_keeper_warms_and_refreshes_in_the_background(template_home: Path, tmp_path: Path) -> None:
    gr = GeneRec.from_config(Settings(home=_home(template_home, tmp_path)), runners={})  # lazy instructor: unused
    keeper = CatalogKeeper(gr, ttl_s=0.2, poll_s=0.05)
    try:
        assert gr.catalog_ttl_s == 0.2
        keeper.start()
        assert keeper.refreshes == 1 and len(gr.catalog()) == 16  # built before any request
        gr.store.add_item(Item(id="fresh-upload", title="fresh", uploader_id="carol"))
        seen = keeper.refreshes
        deadline = time.monotonic() + 10
        while keeper.refreshes < seen + 2 and time.monotonic() < deadline:  # no request calls catalog()
            time.sleep(0.05)
        assert keeper.refreshes >= seen + 2  # rebuilt at least once after the upload was stored
        assert "fresh-upload" in gr.catalog()
    finally:
        keeper.stop()
        gr.close()
    assert keeper._thread is None


def test_personal_thumbnail_only_for_its_owner(system, client, tokens, auth) -> None:
    store = system.store
    store.add_user(User(id="thumb-owner", name="Owner"))
    owner = store.create_token("thumb-owner")
    parent, other = store.list_items(viewer=None, limit=2)
    mine = Item(id="owner-thumb", title="owner's cover", origin=Origin.AI, parent_id=parent.id,
                visibility=Visibility.PRIVATE, visible_to="thumb-owner", thumbnail_hash=other.thumbnail_hash,
                attributes={"task": "thumbnail", "fidelity": {"status": "passed"}})  # fmt: skip
    store.add_item(mine)
    url = f"/api/items/{parent.id}/thumbnail"
    assert client.get(url, headers=auth(owner)).headers["etag"] == f'"{other.thumbnail_hash}"'
    for who in ("alice", "bob", "carol", "root"):
        assert client.get(url, headers=auth(tokens[who])).headers["etag"] == f'"{parent.thumbnail_hash}"'
