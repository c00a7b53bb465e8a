"""Users, media records, items, provenance and verdicts (part of :class:`generec.store.Store`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from generec.errors import NotFoundError, StoreError
from generec.store import convert
from generec.store._base import StoreBase, as_enum
from generec.store.models import ItemRow, MediaRow, ProvenanceRow, UserRow, VerdictRow
from generec.types import Item, ItemStatus, Media, Modality, Origin, Provenance, User, Verdict, Visibility

_ITEM_HINT = "check the id, or the item is private to another user"


def visible_clause(viewer: str | None, now: float) -> ColumnElement[bool]:
    """SQL twin of :meth:`Item.visible_for`: active, public or private-to-``viewer``, and not expired."""
    seen = ItemRow.visibility == Visibility.PUBLIC.value
    if viewer is not None:
        seen = or_(seen, and_(ItemRow.visibility == Visibility.PRIVATE.value, ItemRow.visible_to == viewer))
    active = ItemRow.status == ItemStatus.ACTIVE.value
    return and_(active, seen, or_(ItemRow.expires_at.is_(None), ItemRow.expires_at > now))


class CatalogMixin(StoreBase):
    # ------------------------------------------------------------------ users
    def add_user(self, user: User) -> User:
        """Store a new user; a duplicate id raises :class:`StoreError`."""
        self.add_users([user])
        return user

    def add_users(self, users: Iterable[User]) -> int:
        """Store new users in one transaction; return how many. Any duplicate id stores none."""
        users = list(users)
        ids = [u.id for u in users]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise StoreError(f"user id {dup!r} appears twice in one add_users call; user ids must be unique")
        with self._tx("adding users") as s:
            taken = set(ids) - set(self._missing(s, UserRow.id, ids))
            if taken:
                raise StoreError(f"user {sorted(taken)[0]!r} already exists; choose another id or use get_user")
            if users:
                s.execute(insert(UserRow.__table__), [convert.record_values(u) for u in users])
        return len(users)

    def get_user(self, user_id: str) -> User:
        """The user with this id, or :class:`NotFoundError`."""
        with self._tx("reading a user") as s:
            return convert.user_record(self._require(s, UserRow, user_id, "user"))

    def list_users(self, *, limit: int = 100, offset: int = 0) -> list[User]:
        with self._tx("listing users") as s:
            rows = s.scalars(select(UserRow).order_by(UserRow.id).limit(limit).offset(offset))
            return [convert.user_record(r) for r in rows]

    # ------------------------------------------------------------------ media
    def add_media(self, media: Media) -> Media:
        """Record a media file's metadata; adding the same hash again keeps the first record."""
        with self._tx("adding media") as s:
            row = s.get(MediaRow, media.hash)
            if row is None:
                s.add(MediaRow(**convert.record_values(media)))
                self._flush(s, f"adding media {media.hash!r}")
                return media
            return convert.media_record(row)

    def get_media(self, media_hash: str) -> Media:
        with self._tx("reading media") as s:
            hint = "store the file with MediaStore.put_file and then Store.add_media"
            return convert.media_record(self._require(s, MediaRow, media_hash, "media", hint))

    # ------------------------------------------------------------------ items
    def add_item(self, item: Item, media: Iterable[Media] = ()) -> Item:
        """Store a new item, recording ``media`` (its video/thumbnail records) in the same transaction.

        Raises :class:`NotFoundError` when the uploader, ``visible_to`` user, parent
        item or a media hash is unknown, and :class:`StoreError` for a duplicate id
        or a private item without ``visible_to``.
        """
        self.add_items([item], media)
        return item

    def add_items(self, items: Iterable[Item], media: Iterable[Media] = ()) -> int:
        """Store new items (and their media records) all-or-nothing; return how many."""
        items = list(items)
        with self._tx("adding items") as s:
            for m in media:
                self.add_media(m)
            self._check_items(s, items)
            if items:
                s.execute(insert(ItemRow.__table__), [convert.item_values(i) for i in items])
        return len(items)

    def _check_items(self, s: Session, items: Sequence[Item]) -> None:
        ids = [i.id for i in items]
        if len(set(ids)) != len(ids):
            raise StoreError(f"item id {next(i for i in ids if ids.count(i) > 1)!r} appears twice in one call")
        taken = set(ids) - set(self._missing(s, ItemRow.id, ids))
        if taken:
            raise StoreError(f"item {sorted(taken)[0]!r} already exists; choose another id or use update_item")
        for item in items:
            if item.visibility is Visibility.PRIVATE and not item.visible_to:
                raise StoreError(f"item {item.id!r} is private but names no user in visible_to")
            as_enum(ItemStatus, item.status, f"status of item {item.id!r}")
        self._check_item_refs(s, items, new_ids=set(ids))

    def _check_item_refs(self, s: Session, items: Sequence[Item], new_ids: set[str]) -> None:
        users = {u for i in items for u in (i.uploader_id, i.visible_to) if u}
        for missing in self._missing(s, UserRow.id, users):
            raise NotFoundError(f"user {missing!r} (uploader or visible_to of an item) not found; add the user first")
        parents = {i.parent_id for i in items if i.parent_id and i.parent_id not in new_ids}
        for missing in self._missing(s, ItemRow.id, parents):
            raise NotFoundError(f"parent item {missing!r} not found; add the parent item first")
        hashes = {h for i in items for h in (i.media_hash, i.thumbnail_hash) if h}
        for missing in self._missing(s, MediaRow.hash, hashes):
            raise NotFoundError(f"media {missing!r} not found; pass its Media record to add_item(item, media=[...])")

    def update_item(self, item: Item) -> Item:
        """Replace a stored item's fields with ``item``'s (same id); :class:`NotFoundError` if absent.

        ``status`` is replaced too; to change only the review status use :meth:`set_item_status`.
        """
        with self._tx("updating an item") as s:
            row = self._require(s, ItemRow, item.id, "item")
            if item.visibility is Visibility.PRIVATE and not item.visible_to:
                raise StoreError(f"item {item.id!r} is private but names no user in visible_to")
            as_enum(ItemStatus, item.status, f"status of item {item.id!r}")
            self._check_item_refs(s, [item], new_ids=set())
            for key, value in convert.item_values(item).items():
                setattr(row, key, value)
            self._flush(s, f"updating item {item.id!r}")
        return item

    def set_item_status(self, item_id: str, status: ItemStatus | str) -> None:
        """Set an item's review status in one ``UPDATE`` (its own transaction, or the caller's).

        Raises :class:`NotFoundError` for an unknown item and :class:`StoreError` for an
        unknown status; nothing else about the item changes.
        """
        value = as_enum(ItemStatus, status, "item status").value
        with self._tx("setting an item's status") as s:
            done = s.execute(update(ItemRow).where(ItemRow.id == item_id).values(status=value))
            if done.rowcount == 0:
                raise NotFoundError(f"item {item_id!r} not found; check the id (store the item before reviewing it)")

    def get_item(self, item_id: str, viewer: str | None = None, *, system: bool = False) -> Item:
        """The item, if ``viewer`` may see it (``None``: an anonymous viewer).

        Private items of other users, expired items and items that are not ``ACTIVE``
        (pending their checks, or blocked) raise :class:`NotFoundError`, exactly as a
        missing one does, so their ids do not leak. ``system=True`` skips the check
        (audit, background jobs).
        """
        with self._tx("reading an item") as s:
            row = self._require(s, ItemRow, item_id, "item", _ITEM_HINT)
            item = convert.item_record(row)
        if not system and not item.visible_for(viewer, now=self._now()):
            raise NotFoundError(f"item {item_id!r} not found; {_ITEM_HINT}")
        return item

    def get_items(self, item_ids: Sequence[str], viewer: str | None = None, *, system: bool = False) -> list[Item]:
        """The items ``viewer`` may see among ``item_ids``, in that order; missing or hidden ones are left out."""
        rows: dict[str, Item] = {}
        with self._tx("reading items") as s:
            wanted = list(dict.fromkeys(item_ids))
            for start in range(0, len(wanted), 500):
                stmt = select(ItemRow).where(ItemRow.id.in_(wanted[start : start + 500]))
                if not system:
                    stmt = stmt.where(visible_clause(viewer, self._now()))
                rows.update((r.id, convert.item_record(r)) for r in s.scalars(stmt))
        return [rows[i] for i in wanted if i in rows]

    def list_items(
        self,
        *,
        viewer: str | None = None,
        system: bool = False,
        origin: Origin | str | None = None,
        uploader_id: str | None = None,
        modality: Modality | str | None = None,
        parent_id: str | None = None,
        status: ItemStatus | str | None = None,
        text: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Item]:
        """Items ``viewer`` may see, filtered, oldest first (``text``: case-insensitive title/caption match).

        A viewer listing only ever holds ``ACTIVE`` items, so ``status`` other than
        ``ACTIVE`` matches nothing unless ``system=True`` (e.g. the admin audit view:
        ``list_items(system=True, status=ItemStatus.BLOCKED)``).
        """
        stmt = select(ItemRow)
        if not system:
            stmt = stmt.where(visible_clause(viewer, self._now()))
        if origin is not None:
            stmt = stmt.where(ItemRow.origin == as_enum(Origin, origin, "origin").value)
        if modality is not None:
            stmt = stmt.where(ItemRow.modality == as_enum(Modality, modality, "modality").value)
        if uploader_id is not None:
            stmt = stmt.where(ItemRow.uploader_id == uploader_id)
        if parent_id is not None:
            stmt = stmt.where(ItemRow.parent_id == parent_id)
        if status is not None:
            stmt = stmt.where(ItemRow.status == as_enum(ItemStatus, status, "item status").value)
        if text:
            needle = text.lower()
            stmt = stmt.where(
                or_(
                    func.lower(ItemRow.title).contains(needle, autoescape=True),
                    func.lower(ItemRow.caption).contains(needle, autoescape=True),
                )
            )
        stmt = stmt.order_by(ItemRow.created_at, ItemRow.id).limit(limit).offset(offset)
        with self._tx("listing items") as s:
            return [convert.item_record(r) for r in s.scalars(stmt)]

    def search_items(self, text: str, *, viewer: str | None = None, limit: int = 20) -> list[Item]:
        """Items whose title or caption contains ``text`` (case-insensitive), that ``viewer`` may see."""
        return self.list_items(viewer=viewer, text=text, limit=limit)

    # ------------------------------------------------------------- provenance
    def put_provenance(self, provenance: Provenance) -> Provenance:
        """Store (or replace) the provenance record of an existing item."""
        with self._tx("storing provenance") as s:
            self._require(s, ItemRow, provenance.item_id, "item", "store the generated item before its provenance")
            s.merge(ProvenanceRow(**convert.provenance_values(provenance)))
            self._flush(s, f"storing provenance of {provenance.item_id!r}")
        return provenance

    def get_provenance(self, item_id: str) -> Provenance:
        with self._tx("reading provenance") as s:
            row = self._require(s, ProvenanceRow, item_id, "provenance of item", "only generated items have one")
            return convert.provenance_record(row)

    # --------------------------------------------------------------- verdicts
    def add_verdicts(self, verdicts: Iterable[Verdict], item_id: str | None = None) -> list[Verdict]:
        """Store check verdicts (for ``item_id``, or each verdict's own); unset times become now."""
        now = self._now()
        stored = []
        for v in verdicts:
            target = item_id or v.item_id
            if not target:
                raise StoreError(f"verdict of check {v.check!r} names no item; pass item_id")
            stored.append(dataclasses.replace(v, item_id=target, created_at=v.created_at or now))
        with self._tx("adding verdicts") as s:
            for missing in self._missing(s, ItemRow.id, {v.item_id for v in stored}):
                raise NotFoundError(f"item {missing!r} not found; store the item before its verdicts")
            if stored:
                s.execute(insert(VerdictRow.__table__), [convert.record_values(v) for v in stored])
        return stored

    def verdicts_for(self, item_id: str) -> list[Verdict]:
        """All verdicts on an item, oldest first; :class:`NotFoundError` for an unknown item."""
        with self._tx("reading verdicts") as s:
            self._require(s, ItemRow, item_id, "item")
            stmt = select(VerdictRow).where(VerdictRow.item_id == item_id)
            stmt = stmt.order_by(VerdictRow.created_at, VerdictRow.id)
            return [convert.verdict_record(r) for r in s.scalars(stmt)]
