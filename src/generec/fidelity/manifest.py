"""Signed C2PA provenance manifests for generated PNG / JPEG / MP4 files (``c2pa-python``).

Every generated file gets a manifest, signed with the deployment's key
(:class:`~generec.fidelity.keys.DeploymentKeys`), that says: created (or edited) by a
trained algorithm (IPTC ``trainedAlgorithmicMedia``), which item it is, the AI label,
the authorship of paper §5.2, and, for edits, the parent file as a ``parentOf`` ingredient.
:func:`read_manifest` validates a file against this deployment's root certificate: a
changed byte, a foreign signer or a missing manifest all come back as not verified.

Example
-------
>>> import tempfile, pathlib, numpy as np
>>> from generec.media import write_image
>>> from generec.types import Item, Origin
>>> from generec.fidelity.keys import DeploymentKeys
>>> from generec.fidelity.manifest import sign_file, read_manifest
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> src = write_image(np.zeros((64, 64, 3), np.uint8), d / "a.png")
>>> keys = DeploymentKeys.ensure(d)
>>> out = sign_file(src, d / "signed.png", Item(id="g1", origin=Origin.AI), keys)
>>> read_manifest(out, keys).verified
True
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from generec import __version__
from generec.fidelity.base import AI_LABEL, FidelityError
from generec.fidelity.keys import DeploymentKeys
from generec.types import Authorship, Item, Provenance

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
ITEM_ASSERTION = "org.generec.item"
_PARENT_LABEL = "parent"
MIME_BY_SUFFIX = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".mp4": "video/mp4"}


def _c2pa():
    try:
        import c2pa
    except ImportError as exc:  # a core dependency: only a broken install gets here
        raise FidelityError("signing needs 'c2pa-python': run `pip install c2pa-python==0.38.1`") from exc
    return c2pa


def mime_of(path: str | os.PathLike[str]) -> str:
    """The C2PA MIME type of ``path`` by suffix; :class:`FidelityError` for formats we cannot sign (e.g. WebM)."""
    suffix = Path(path).suffix.lower()
    if suffix not in MIME_BY_SUFFIX:
        raise FidelityError(
            f"{path}: cannot carry a C2PA manifest ('{suffix}'); sign PNG, JPEG or MP4 files "
            "(WebM is not supported by the C2PA library)"
        )
    return MIME_BY_SUFFIX[suffix]


_C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")


def mp4_layout(path: str | os.PathLike[str]) -> list[str]:
    """The top-level boxes of an MP4 file in order, C2PA manifest boxes left out; padding boxes with their size.

    C2PA's BMFF hash does not cover ``free``/``skip`` boxes, so anything hidden in one (or a box
    appended after signing) would leave the signature valid: the signed claim records this layout.
    """
    data = Path(path).read_bytes()
    out, i = [], 0
    while i + 8 <= len(data):
        size, kind = int.from_bytes(data[i : i + 4], "big"), data[i + 4 : i + 8].decode("latin-1")
        header = 8
        if size == 1 and i + 16 <= len(data):
            size, header = int.from_bytes(data[i + 8 : i + 16], "big"), 16
        elif size == 0:
            size = len(data) - i
        if size < header:
            out.append(f"broken box at byte {i}")
            break
        if not (kind == "uuid" and data[i + header : i + header + 16] == _C2PA_UUID):
            out.append(f"{kind}:{size}" if kind in ("free", "skip") else kind)
        i += size
    if i < len(data):
        out.append(f"{len(data) - i} trailing bytes")
    return out


def _manifest(
    item: Item, provenance: Provenance | None, edit: bool, label: str, layout: list[str] | None, watermarked: bool
) -> dict[str, Any]:
    prov = provenance or Provenance(item_id=item.id, made_by="generec", task="unknown")
    action = {"action": "c2pa.edited" if edit else "c2pa.created", "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
              "softwareAgent": {"name": "generec", "version": __version__}}  # fmt: skip
    # an edit opens its parent, which must name the parent ingredient (by the label sign_file gives it)
    opened = {"action": "c2pa.opened", "parameters": {"ingredientIds": [_PARENT_LABEL]}}
    actions = ([opened] if edit else []) + [action]
    info = {
        "item_id": item.id,
        "ai_label": label,
        "authorship": Authorship(prov.authorship).value,
        "author_id": prov.author_id,
        "task": prov.task,
        "model_id": prov.model_id,
        "parents": list(prov.parents) or ([item.parent_id] if item.parent_id else []),
    }
    if watermarked:
        info["watermarked"] = True  # verify then expects the item's watermark in the pixels
    if layout is not None:
        info["mp4_layout"] = layout
    return {
        "claim_generator_info": [{"name": "generec", "version": __version__}],
        "title": item.title or item.id,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": ITEM_ASSERTION, "data": info},
        ],
    }


def sign_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    item: Item,
    keys: DeploymentKeys,
    *,
    provenance: Provenance | None = None,
    parent: str | os.PathLike[str] | None = None,
    label: str = AI_LABEL,
    watermarked: bool = False,
) -> Path:
    """Write ``src`` to ``dst`` with a signed manifest for ``item``; ``parent``: the file an edit was made from.

    ``watermarked``: the pixels carry ``item``'s watermark (the manifest says so, and ``generec verify``
    then reports a manifest on pixels without it as pasted onto other pixels).
    """
    c2pa = _c2pa()
    src, dst = Path(src), Path(dst)
    mime = mime_of(src)
    if mime_of(dst) != mime:
        raise FidelityError(f"{dst}: must have the same kind as {src} (signing does not convert formats)")
    if not src.is_file():
        raise FidelityError(f"{src}: file does not exist; nothing to sign")
    # no automatic thumbnail: it would add ~119 KB of JPEG to every small generated file
    ctx = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", keys.chain_pem, keys.key_pem, None))
    layout = mp4_layout(src) if mime == "video/mp4" else None
    builder = c2pa.Builder(_manifest(item, provenance, parent is not None, label, layout, watermarked), context=ctx)
    tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp{dst.suffix}")
    try:
        if parent is not None:
            with open(parent, "rb") as fh:
                ingredient = {"title": Path(parent).name, "relationship": "parentOf", "label": _PARENT_LABEL}
                builder.add_ingredient(ingredient, mime_of(parent), fh)
        with open(src, "rb") as fin, open(tmp, "wb") as fout:
            builder.sign(signer, mime, fin, fout)
        os.replace(tmp, dst)
    except c2pa.C2paError as exc:
        raise FidelityError(f"{src}: signing failed ({exc}); is it a valid {mime} file?") from exc
    finally:
        tmp.unlink(missing_ok=True)
        for res in (builder, signer, ctx):
            res.close()
    return dst


@dataclasses.dataclass(frozen=True)
class ManifestReport:
    """What :func:`read_manifest` found.

    ``present``: the file carries a C2PA manifest. ``state``: the library's validation state
    (``Trusted`` means valid and chained to this deployment's root). ``verified``: trusted and
    no validation failure, i.e. signed by us and unmodified since. What the signature covers:
    PNG, every chunk but the manifest's ``caBX``; JPEG, every byte but the manifest's APP11
    segments; MP4, every top-level box but the manifest ``uuid`` box and ``free``/``skip``
    padding, plus the list of top-level boxes itself (:func:`mp4_layout`, recorded at signing).
    """

    present: bool
    state: str
    verified: bool
    item_id: str | None = None
    ai_label: str | None = None
    signer: str | None = None
    failures: tuple[str, ...] = ()
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    ingredients: tuple[str, ...] = ()


def read_manifest(path: str | os.PathLike[str], keys: DeploymentKeys | None) -> ManifestReport:
    """Read and validate ``path``'s manifest against ``keys.root_pem`` (``None``: no trust anchor)."""
    c2pa = _c2pa()
    p = Path(path)
    if not p.is_file():
        raise FidelityError(f"{p}: file does not exist; check the path")
    settings: dict[str, Any] = {"verify": {"verify_trust": keys is not None}}
    if keys is not None:
        settings["trust"] = {"trust_anchors": keys.root_pem.decode()}
    ctx = c2pa.Context.from_dict(settings)
    try:
        with open(p, "rb") as fh:
            reader = c2pa.Reader(mime_of(p), fh, context=ctx)
            state = reader.get_validation_state() or "Unknown"
            results = reader.get_validation_results() or {}
            active = reader.get_active_manifest() or {}
            reader.close()
    except c2pa.C2paError as exc:
        # no manifest at all, or one so damaged it cannot be parsed: either way, not ours and intact
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        absent = "NotFound" in type(exc).__name__ or "not found" in text.lower() or "no jumbf" in text.lower()
        return ManifestReport(present=not absent, state="none" if absent else f"unreadable: {text}", verified=False)
    finally:
        ctx.close()
    failures = tuple(f"{f.get('code')}: {f.get('explanation', '')}" for f in
                     results.get("activeManifest", {}).get("failure", []))  # fmt: skip
    info = next((a.get("data", {}) for a in active.get("assertions", []) if a.get("label") == ITEM_ASSERTION), {})
    if "mp4_layout" in info and (now := mp4_layout(p)) != info["mp4_layout"]:
        failures += (f"generec.mp4Layout.mismatch: top-level boxes are {now}, signed as {info['mp4_layout']}",)
    sig = active.get("signature_info", {})
    return ManifestReport(
        present=True,
        state=state,
        verified=state == "Trusted" and not failures and keys is not None,
        item_id=info.get("item_id"),
        ai_label=info.get("ai_label"),
        signer=f"{sig.get('common_name', '?')} ({sig.get('issuer', '?')}, serial {sig.get('cert_serial_number', '?')})",
        failures=failures,
        info=json.loads(json.dumps(info)),
        ingredients=tuple(i.get("title", "") for i in active.get("ingredients", [])),
    )
