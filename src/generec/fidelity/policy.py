"""One configurable policy that runs the fidelity checks, records every verdict and gates exposure.

``FidelityPolicy.build(domain=..., audience=...)`` picks the checks and their strictness
(news demands supported claims; teen/kids audiences get strict safety thresholds and
more). :meth:`FidelityPolicy.check` runs every enabled check (a check that crashes counts as
a failure: we fail closed) and decides pass/block. :meth:`FidelityPolicy.check_and_record`
does it against the store so that no item is ever visible without its verdicts:

1. the item is stored (or updated) as :attr:`ItemStatus.PENDING` first: the store shows only
   ``ACTIVE`` items to viewers, while ``get_item(id, system=True)`` still finds it;
2. every verdict is stored with ``add_verdicts``;
3. the item becomes ``ACTIVE`` if all enabled checks passed, ``BLOCKED`` otherwise: kept for audit
   (``store.list_items(system=True, status=ItemStatus.BLOCKED)``), never shown, with
   ``attributes['fidelity']`` naming the failed checks.

``expires_at`` is left to mean what it says: AI items may expire after viewing
(:meth:`FidelityPolicy.expire_after_view`).

Example
-------
>>> from generec.types import Item, Origin
>>> from generec.fidelity.base import Subject
>>> from generec.fidelity.policy import FidelityPolicy
>>> policy = FidelityPolicy.build(checks=["wording", "quality"])
>>> result = policy.check(Subject(Item(id="g1", origin=Origin.AI, title="All women are bad at maths")))
>>> result.passed, result.blocked_by
(False, ['wording'])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generec.errors import ConfigError
from generec.fidelity.base import Check, Subject, build_check, verdict
from generec.types import Item, ItemStatus, Verdict

if TYPE_CHECKING:
    from generec.config import Settings
    from generec.store import Store

DEFAULT_CHECKS = ("identifiability", "safety", "privacy", "faces", "leakage", "wording", "authenticity",
                  "copyright", "consent", "quality", "relevance", "memorisation")  # fmt: skip
DOMAINS = {"general": {}, "news": {"authenticity": {"strict": True}}, "kids": {"faces": {"block": True}}}
AUDIENCES = ("general", "teen", "kids")


@dataclasses.dataclass(frozen=True)
class PolicyResult:
    """All verdicts of one run and the decision."""

    item_id: str
    verdicts: tuple[Verdict, ...]
    passed: bool
    blocked_by: list[str]

    def summary(self) -> str:
        if self.passed:
            return f"{self.item_id}: passed {len(self.verdicts)} checks"
        return f"{self.item_id}: BLOCKED by {', '.join(self.blocked_by)}"


def _store_lookup(store: Store) -> Callable[[str], Item | None]:
    from generec.errors import NotFoundError

    def lookup(item_id: str) -> Item | None:
        try:
            return store.get_item(item_id, system=True)
        except NotFoundError:
            return None

    return lookup


def _block_faces(subject: Subject, faces: list) -> bool:
    return not faces


class FidelityPolicy:
    """Runs the enabled checks on an item and decides whether it may be exposed.

    Parameters
    ----------
    checks : the enabled checks (each must pass for the item to be exposed).
    domain, audience : recorded in the evidence; :meth:`build` uses them to configure checks.
    expire_after_view_s : AI items expire this many seconds after first being viewed (``None``: never).
    """

    def __init__(self, checks: Sequence[Check], *, domain: str = "general", audience: str = "general",
                 expire_after_view_s: float | None = None) -> None:  # fmt: skip
        names = [c.name for c in checks]
        if len(set(names)) != len(names):
            raise ConfigError(f"fidelity checks enabled twice: {names}")
        self.checks = list(checks)
        self.domain = domain
        self.audience = audience
        self.expire_after_view_s = expire_after_view_s

    @classmethod
    def build(
        cls,
        domain: str = "general",
        audience: str = "general",
        *,
        checks: Sequence[str] = DEFAULT_CHECKS,
        options: dict[str, dict[str, Any]] | None = None,
        expire_after_view_s: float | None = None,
        store: Store | None = None,
    ) -> FidelityPolicy:
        """Build the checks named in ``checks`` configured for ``domain`` and ``audience``.

        ``options`` passes constructor arguments per check name, e.g.
        ``{"identifiability": {"keys": keys}, "authenticity": {"facts": facts}}``.
        ``store``: where the consent check looks up parent items.
        """
        if domain not in DOMAINS:
            raise ConfigError(f"unknown domain {domain!r}; choose one of {', '.join(DOMAINS)}")
        if audience not in AUDIENCES:
            raise ConfigError(f"unknown audience {audience!r}; choose one of {', '.join(AUDIENCES)}")
        built = []
        for name in checks:
            opts = dict(DOMAINS[domain].get(name, {}))
            if name == "safety":
                opts.setdefault("audience", "kids" if domain == "kids" else audience)
            if name == "faces" and (opts.pop("block", False) or audience == "kids"):
                opts["policy"] = _block_faces
            if name == "consent" and store is not None:
                opts["lookup"] = _store_lookup(store)
            opts.update((options or {}).get(name, {}))
            built.append(build_check(name, **opts))
        return cls(built, domain=domain, audience=audience, expire_after_view_s=expire_after_view_s)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, store: Store | None = None, options: dict[str, dict[str, Any]] | None = None
    ) -> FidelityPolicy:
        """The deployment's policy from ``settings.fidelity``: keys made on first run in ``<home>/keys``,
        the facts store ``<home>/facts.db`` if the platform keeps one, ``options`` on top."""
        from generec.fidelity.authenticity import FactsStore
        from generec.fidelity.keys import DeploymentKeys
        from generec.fidelity.watermark import Watermarker

        cfg = settings.fidelity
        wm = Watermarker(strength=cfg.watermark_strength, search=False)  # our own fresh output: geometry known
        opts: dict[str, dict[str, Any]] = {"identifiability": {"keys": DeploymentKeys.ensure(settings.home),
                                                               "watermarker": wm}}  # fmt: skip
        facts = Path(settings.home) / "facts.db"
        if facts.is_file():
            opts["authenticity"] = {"facts": FactsStore(facts)}
        for name, extra in (options or {}).items():
            opts[name] = {**opts.get(name, {}), **extra}
        checks = cfg.checks or DEFAULT_CHECKS
        return cls.build(cfg.domain, cfg.audience, checks=checks, options=opts,
                         expire_after_view_s=cfg.expire_after_view_s, store=store)  # fmt: skip

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.checks]

    def check(self, subject: Subject) -> PolicyResult:
        """Run every enabled check; any failure (or crash) blocks the item."""
        verdicts = []
        for c in self.checks:
            try:
                v = c.check(subject)
            except Exception as exc:  # fail closed: a check that cannot run must not let the item through
                v = verdict(c.name, subject, False, 0.0, f"check could not run: {type(exc).__name__}: {exc}")
            verdicts.append(v)
        blocked = [v.check for v in verdicts if not v.passed]
        return PolicyResult(subject.item.id, tuple(verdicts), not blocked, blocked)

    def check_and_record(self, subject: Subject, store: Store) -> PolicyResult:
        """Check ``subject.item`` and store it with EVERY verdict; expose it only if all passed.

        The item is written ``PENDING`` before any check runs, so a crash at any point leaves
        it unseen (never exposed without verdicts); it ends ``ACTIVE`` or ``BLOCKED``, with
        its ``expires_at`` untouched. Returns the :class:`PolicyResult`.
        """
        from generec.errors import NotFoundError

        item = subject.item
        pending = dataclasses.replace(item, status=ItemStatus.PENDING,
                                      attributes={**item.attributes, "fidelity": {"status": "pending"}})  # fmt: skip
        try:
            store.get_item(item.id, system=True)
            store.update_item(pending)
        except NotFoundError:
            store.add_item(pending)
        result = self.check(subject)
        store.add_verdicts(result.verdicts, item.id)
        verdict_summary = {"status": "passed" if result.passed else "blocked", "failed": result.blocked_by,
                           "domain": self.domain, "audience": self.audience}  # fmt: skip
        # Status and the named failures land in one transaction (update_item), so they never disagree.
        final = dataclasses.replace(pending, attributes={**item.attributes, "fidelity": verdict_summary},
                                    status=ItemStatus.ACTIVE if result.passed else ItemStatus.BLOCKED)  # fmt: skip
        store.update_item(final)
        return result

    def expire_after_view(self, item: Item, viewed_at: float) -> Item:
        """Set an AI item to expire ``expire_after_view_s`` after ``viewed_at`` (first view wins)."""
        if not item.is_ai or self.expire_after_view_s is None or is_blocked(item):
            return item
        due = viewed_at + self.expire_after_view_s
        if item.expires_at is None or item.expires_at > due:
            item.expires_at = due
        return item

    def record_view(self, store: Store, item_id: str, viewed_at: float) -> Item:
        """Apply :meth:`expire_after_view` to the stored item and save it."""
        item = store.get_item(item_id, system=True)
        before = item.expires_at
        self.expire_after_view(item, viewed_at)
        return store.update_item(item) if item.expires_at != before else item


def is_blocked(item: Item) -> bool:
    """Whether ``item`` must not be shown: it is not ``ACTIVE`` (blocked, or pending its checks),
    or it is an AI item the fidelity policy never checked (fail closed).

    An AI item an admin set back to ``ACTIVE`` after review counts as cleared.
    """
    if item.status != ItemStatus.ACTIVE:
        return True
    return item.is_ai and not isinstance(item.attributes.get("fidelity"), dict)


def ensure_checked(items: Sequence[Item], on_unchecked: Callable[[Item], None] | None = None) -> list[Item]:
    """Filter a list about to be shown: AI items appear only if the policy cleared them."""
    out = []
    for item in items:
        if is_blocked(item):
            if on_unchecked:
                on_unchecked(item)
            continue
        out.append(item)
    return out
