"""Keys made on first run, C2PA signing of PNG/JPEG/MP4, tamper detection, and `generec verify`."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from generec.cli import main
from generec.fidelity.base import FidelityError
from generec.fidelity.evalset import edit_pixels_keep_jpeg_manifest, tamper_bytes
from generec.fidelity.identifiability import MODIFIED, NOT_OURS, VERIFIED, mark_media, verify_file
from generec.fidelity.keys import DeploymentKeys
from generec.fidelity.manifest import TRAINED_ALGORITHMIC_MEDIA, read_manifest, sign_file
from generec.fidelity.watermark import Watermarker
from generec.media import write_image, write_video
from generec.types import Authorship, Item, Origin, Provenance


def test_keys_are_created_once_and_the_private_key_is_private(tmp_path):
    k1 = DeploymentKeys.ensure(tmp_path)
    k2 = DeploymentKeys.ensure(tmp_path)
    assert k1.key_pem == k2.key_pem and k1.chain_pem.count(b"BEGIN CERTIFICATE") == 2
    mode = stat.S_IMODE(os.stat(tmp_path / "keys" / "signer.key").st_mode)
    assert mode & 0o077 == 0
    with pytest.raises(FidelityError, match="no signing keys"):
        DeploymentKeys.load(tmp_path / "elsewhere")


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".mp4"])
def test_signed_file_verifies_and_a_modified_one_does_not(tmp_path, keys, photos64, suffix):
    item = Item(id=f"g{suffix[1:]}", origin=Origin.AI, title="a generated clip")
    src = (write_video(photos64[:6], tmp_path / "src.mp4", fps=8) if suffix == ".mp4"
           else write_image(photos64[0], tmp_path / f"src{suffix}"))  # fmt: skip
    signed = sign_file(src, tmp_path / f"signed{suffix}", item, keys)
    report = read_manifest(signed, keys)
    assert report.verified and report.item_id == item.id and report.ai_label
    assert verify_file(signed, keys).code == VERIFIED
    marker = {".png": b"IDAT", ".mp4": b"mdat"}.get(suffix)
    edited = (edit_pixels_keep_jpeg_manifest(signed, tmp_path / "edited.jpg") if suffix == ".jpg"
              else tamper_bytes(signed, tmp_path / f"edited{suffix}", marker, offset=100))  # fmt: skip
    res = verify_file(edited, keys)
    assert res.code == MODIFIED and not res.verified
    assert "changed since" in res.headline


def test_manifest_records_ai_source_type_authorship_and_parent(tmp_path, keys, photos64):
    parent_item = Item(id="p1", origin=Origin.AI)
    parent = sign_file(write_image(photos64[1], tmp_path / "p.png"), tmp_path / "p_signed.png", parent_item, keys)
    prov = Provenance(item_id="e1", made_by="editor", task="style_transfer", parents=("p1",),
                      authorship=Authorship.UPLOADER, author_id="alice")  # fmt: skip
    edit = Item(id="e1", origin=Origin.AI, parent_id="p1")
    out = sign_file(write_image(photos64[2], tmp_path / "e.png"), tmp_path / "e_signed.png", edit, keys,
                    provenance=prov, parent=parent)  # fmt: skip
    report = read_manifest(out, keys)
    assert report.verified
    assert report.info["authorship"] == "uploader" and report.info["author_id"] == "alice"
    assert report.info["parents"] == ["p1"] and report.ingredients == ("p_signed.png",)
    import c2pa

    with open(out, "rb") as fh:
        actions = c2pa.Reader("image/png", fh).get_active_manifest()["assertions"][0]["data"]["actions"]
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.edited"]
    assert actions[1]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA


def test_foreign_signature_and_missing_manifest_do_not_verify(tmp_path, keys, foreign_keys, photos64):
    src = write_image(photos64[3], tmp_path / "a.png")
    theirs = sign_file(src, tmp_path / "theirs.png", Item(id="x", origin=Origin.AI), foreign_keys)
    assert verify_file(theirs, keys).code == NOT_OURS
    assert "someone else" in verify_file(theirs, keys).headline
    assert verify_file(src, keys).code == NOT_OURS


def test_stripped_manifest_is_still_traced_by_the_watermark(tmp_path, keys, photos64):
    item = Item(id="wm-1", origin=Origin.AI)
    marked = mark_media(write_image(photos64[4], tmp_path / "a.png"), tmp_path / "m.png", item, keys)
    assert verify_file(marked, keys).code == VERIFIED
    from PIL import Image

    Image.open(marked).save(tmp_path / "stripped.png")  # re-saving drops the manifest, keeps the pixels
    res = verify_file(tmp_path / "stripped.png", keys, known_item_ids=["other", "wm-1"])
    assert res.code == MODIFIED and res.item_id == "wm-1" and "watermark" in res.headline


def test_webm_cannot_be_signed_and_gets_the_watermark_only(tmp_path, keys, photos64):
    src = write_video(photos64[:4], tmp_path / "a.webm", fps=4)
    with pytest.raises(FidelityError, match="WebM"):
        sign_file(src, tmp_path / "b.webm", Item(id="w"), keys)
    out = mark_media(src, tmp_path / "m.webm", Item(id="w", origin=Origin.AI), keys)
    res = verify_file(out, keys, item_id="w")
    assert res.manifest.state == "format cannot carry a manifest" and not res.verified
    # our own WebM is recognised by its watermark, with or without the item id asked for
    assert res.code == MODIFIED and res.watermark.detected and "WATERMARKED" in res.headline
    assert verify_file(out, keys, known_item_ids=["v", "w"]).item_id == "w"
    assert verify_file(src, keys, item_id="w").code == NOT_OURS


def test_sign_refuses_format_changes_and_missing_files(tmp_path, keys):
    with pytest.raises(FidelityError, match="same kind"):
        sign_file(tmp_path / "a.png", tmp_path / "b.jpg", Item(id="x"), keys)
    with pytest.raises(FidelityError, match="does not exist"):
        sign_file(tmp_path / "a.png", tmp_path / "b.png", Item(id="x"), keys)
    (tmp_path / "bad.png").write_bytes(b"not a png at all")
    with pytest.raises(FidelityError, match="signing failed"):
        sign_file(tmp_path / "bad.png", tmp_path / "c.png", Item(id="x"), keys)


def test_cli_verify_exit_codes(tmp_path, photos64, capsys):
    home = tmp_path / "home"
    keys = DeploymentKeys.ensure(home)
    signed = sign_file(write_image(photos64[0], tmp_path / "a.png"), tmp_path / "s.png",
                       Item(id="cli-1", origin=Origin.AI), keys)  # fmt: skip
    assert main(["verify", str(signed), "--home", str(home)]) == 0
    assert "VERIFIED" in capsys.readouterr().out
    tampered = tamper_bytes(signed, tmp_path / "t.png", b"IDAT")
    assert main(["verify", str(tampered), "--home", str(home)]) == MODIFIED
    assert "MODIFIED" in capsys.readouterr().out
    plain = write_image(np.zeros((64, 64, 3), np.uint8), tmp_path / "plain.png")
    assert main(["verify", str(plain), "--home", str(home)]) == NOT_OURS
    assert main(["verify", str(tmp_path / "missing.png"), "--home", str(home)]) == 1
    capsys.readouterr()
    # a machine with no deployment: a signed file is not trusted, and said why (not an error about keys)
    assert main(["verify", str(signed), "--home", str(tmp_path / "nokeys")]) == NOT_OURS
    assert "no deployment keys" in capsys.readouterr().out


def test_cli_verify_finds_the_item_of_a_stripped_file_in_the_store(tmp_path, photos64, capsys):
    from PIL import Image

    from generec.store import Store

    home = tmp_path / "home"
    keys = DeploymentKeys.ensure(home)
    with Store.open(home / "generec.db") as store:
        store.add_items([Item(id="ai-7", origin=Origin.AI), Item(id="ai-8", origin=Origin.AI)])
    marked = mark_media(write_image(photos64[6], tmp_path / "a.png"), tmp_path / "m.png", Item(id="ai-8"), keys)
    Image.open(marked).save(tmp_path / "stripped.png")
    assert main(["verify", str(tmp_path / "stripped.png"), "--home", str(home)]) == MODIFIED
    assert "ai-8" in capsys.readouterr().out


def test_identifiability_check_on_a_marked_video_file(tmp_path, keys, photos64):
    from generec.fidelity.base import Subject
    from generec.fidelity.identifiability import IdentifiabilityCheck, label_item

    item = label_item(Item(id="vid-9", origin=Origin.AI))
    clip = [np.roll(photos64[7], i, axis=1) for i in range(8)]
    src = write_video(clip, tmp_path / "src.mp4", fps=8)
    marked = mark_media(src, tmp_path / "vid.mp4", item, keys)
    check = IdentifiabilityCheck(keys, Watermarker())
    v = check.check(Subject(item, media_path=marked))
    assert v.passed, v.evidence
    assert "manifest signed by this deployment" in v.evidence
    tampered = tamper_bytes(marked, tmp_path / "t.mp4", b"mdat", offset=300)
    assert not check.check(Subject(item, media_path=tampered)).passed
    assert not check.check(Subject(label_item(Item(id="other", origin=Origin.AI)), media_path=marked)).passed


def test_identifiability_check_on_one_marked_image(tmp_path, keys, photos64):
    """A cover is one frame: the check reads its mark and says so (there is no per-frame rate to report)."""
    from generec.fidelity.base import Subject
    from generec.fidelity.identifiability import IdentifiabilityCheck, label_item
    from generec.fidelity.watermark import read_frames

    item = label_item(Item(id="cover-3", origin=Origin.AI))
    marked = mark_media(write_image(photos64[5], tmp_path / "c.png"), tmp_path / "cover.png", item, keys)
    check = IdentifiabilityCheck(keys, Watermarker())
    v = check.check(Subject(item, frames=read_frames(marked)))
    assert v.passed, v.evidence
    assert "over 1 frame(s)" in v.evidence and "one by one" not in v.evidence
    plain = write_image(photos64[6], tmp_path / "plain.png")
    unmarked = check.check(Subject(item, frames=read_frames(plain)))
    assert not unmarked.passed and "watermark of 'cover-3'" in unmarked.evidence


# ------------------------------------------------------------------ hardening
def _png_chunks(data: bytes) -> list[bytes]:
    chunks, i = [], 8
    while i < len(data):
        n = int.from_bytes(data[i : i + 4], "big")
        chunks.append(data[i : i + 12 + n])
        i += 12 + n
    return chunks


def _paste_manifest(signed, pixels, dst):
    """``pixels``' PNG with the signed file's C2PA chunk (caBX) pasted in after the header."""
    theirs = [c for c in _png_chunks(signed.read_bytes()) if c[4:8] == b"caBX"]
    mine = _png_chunks(pixels.read_bytes())
    dst.write_bytes(b"\x89PNG\r\n\x1a\n" + mine[0] + b"".join(theirs) + b"".join(mine[1:]))
    return dst


def test_cli_verify_of_a_plain_file_without_a_home_says_no_provenance(tmp_path, photos64, capsys, monkeypatch):
    monkeypatch.setenv("GENEREC_HOME", str(tmp_path / "nowhere"))
    plain = write_image(photos64[9], tmp_path / "plain.png")
    assert main(["verify", str(plain)]) == NOT_OURS
    captured = capsys.readouterr()
    assert "no GeneRec provenance found" in captured.out and "keys" not in captured.err


@pytest.mark.parametrize("box", [b"free", b"skip"])
def test_mp4_with_an_appended_padding_box_does_not_verify(tmp_path, keys, photos64, box):
    signed = mark_media(write_video(photos64[:4], tmp_path / "a.mp4", fps=4), tmp_path / "s.mp4",
                        Item(id="mp4-1", origin=Origin.AI), keys)  # fmt: skip
    assert verify_file(signed, keys).code == VERIFIED
    padded = tmp_path / "padded.mp4"
    padded.write_bytes(signed.read_bytes() + (16).to_bytes(4, "big") + box + b"hidden!!")
    res = verify_file(padded, keys)
    assert res.code == MODIFIED and "changed since" in res.headline
    assert any("mp4Layout" in f and box.decode() in f for f in res.manifest.failures)
    assert any("signature covers" in d for d in res.details)


def test_manifest_pasted_onto_other_pixels_is_a_mismatch(tmp_path, keys, photos64):
    a = mark_media(write_image(photos64[10], tmp_path / "a.png"), tmp_path / "a_s.png", Item(id="A"), keys)
    other = write_image(photos64[11], tmp_path / "other.png")
    pasted = verify_file(_paste_manifest(a, other, tmp_path / "p1.png"), keys)
    assert pasted.code == NOT_OURS and "MISMATCH" in pasted.headline and "item A" in pasted.headline
    # pixels that carry another item's watermark (marked, not signed): named, or read blind
    b = mark_media(write_image(photos64[12], tmp_path / "b.png"), tmp_path / "b_m.png", Item(id="B"), None)
    swapped = verify_file(_paste_manifest(a, b, tmp_path / "p2.png"), keys, known_item_ids=["A", "B"])
    assert swapped.code == MODIFIED and "carry item B's watermark" in swapped.headline
    blind = verify_file(_paste_manifest(a, b, tmp_path / "p3.png"), keys)
    assert "MISMATCH" in blind.headline and blind.blind is not None and blind.blind.present


def test_item_id_is_checked_even_when_a_manifest_is_present(tmp_path, keys, photos64):
    signed = mark_media(write_image(photos64[13], tmp_path / "a.png"), tmp_path / "s.png", Item(id="mine"), keys)
    assert verify_file(signed, keys, item_id="mine").code == VERIFIED
    res = verify_file(signed, keys, item_id="someone-else")
    assert res.code == NOT_OURS and "NOT ITEM someone-else" in res.headline and "mine" in res.headline


@pytest.mark.parametrize(
    ("name", "data"),
    [("junk.png", b"\x89PNG\r\n\x1a\nnot really"), ("notes.txt", b"hello"), ("cut.mp4", b"\x00\x00\x00\x20ftypisom")],
)
def test_corrupt_or_non_media_files_are_not_ours(tmp_path, keys, name, data, capsys):
    path = tmp_path / name
    path.write_bytes(data)
    res = verify_file(path, keys)
    assert res.code == NOT_OURS and "no GeneRec provenance found" in res.headline
    home = tmp_path / "home"
    DeploymentKeys.ensure(home)
    assert main(["verify", str(path), "--home", str(home)]) == NOT_OURS
    assert "no GeneRec provenance found" in capsys.readouterr().out


def test_verify_headline_is_one_line_when_piped(tmp_path, photos64, capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    home = tmp_path / "home"
    keys = DeploymentKeys.ensure(home)
    item = Item(id="a-rather-long-item-identifier-that-pushes-the-headline-past-eighty-columns", origin=Origin.AI)
    signed = mark_media(write_image(photos64[14], tmp_path / "a.png"), tmp_path / "s.png", item, keys)
    assert main(["verify", str(signed), "--home", str(home)]) == VERIFIED
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("VERIFIED") and item.id in first and len(first) > 80
