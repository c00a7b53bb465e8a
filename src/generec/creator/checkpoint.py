"""The committed demo creation checkpoint: where it lives, what it holds, and how to make another.

A release directory (``creation-demo``) holds everything a fresh install needs to create
and to judge on the demo world, without training:

* ``config.json`` + ``ema.pt``: the diffusion model (sampling weights only, see
  ``DiffusionModel.save(ema_only=True)``);
* ``encoder/``: the encoder it was trained with (instruction embeddings, User_Hist);
* ``reader/`` (optional): the model's own attribute reader, trained on the clips it learnt from
  (``generec train reader --clips-of``): the creator reads its candidates with it;
* ``judge/`` (optional): the attribute reader that judges created clips (trained on fresh renders;
  ``generec reproduce creation`` reads with it);
* ``guidance.npz``: the demo world's User_Hist and User_Emb vectors (what ``--conditions`` saved);
* ``mmgcn/`` (optional): the MMGCN whose user embeddings are User_Emb, for PS@K;
* ``README.txt``: the exact commands and seed that reproduce it.

Example
-------
>>> demo_checkpoint()                                    # doctest: +SKIP
PosixPath('.../generec/assets/checkpoints/creation-demo')
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from generec.creator.training import users_in_npz, users_to_npz
from generec.diffusion.model import DiffusionModel
from generec.errors import DataError, NotFoundError

DEMO_CHECKPOINT = Path(__file__).resolve().parents[1] / "assets" / "checkpoints" / "creation-demo"
FASHION_CHECKPOINT = DEMO_CHECKPOINT.with_name("fashion-demo")
"""The fashion demo's product creator (an image model on Fashion-MNIST; ``generec demo --domain fashion``)."""
GUIDANCE_FILE = "guidance.npz"


def demo_checkpoint(path: str | Path | None = None) -> Path:
    """The release directory at ``path`` (default: the packaged demo one); :class:`NotFoundError` if absent."""
    d = Path(path) if path is not None else DEMO_CHECKPOINT
    if not (d / "config.json").is_file():
        raise NotFoundError(
            f"no creation checkpoint in {d}; train one with `generec train creation` and pass its directory"
        )
    return d


def load_guidance(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """``{"user_hist": {user: vector}, "user_emb": {...}}`` from a guidance or conditions ``.npz``."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return users_in_npz(z)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path} holds no user guidance vectors (users_<kind>_ids/_vecs): {exc}") from exc


def export_checkpoint(
    model_dir: str | Path,
    out: str | Path,
    *,
    encoder_dir: str | Path,
    conditions: str | Path,
    reader_dir: str | Path | None = None,
    judge_dir: str | Path | None = None,
    mmgcn_dir: str | Path | None = None,
    readme: str = "",
    half: bool = False,
) -> Path:
    """Assemble a release directory from a trained model (EMA weights only, float16 with ``half``) and its
    companions: the encoder and the guidance vectors, and where given the model's own reader (``reader/``),
    the attribute reader that judges it (``judge/``) and the MMGCN (an image creator ships without them).

    The model names the encoder it was trained with by id; an encoder written out for the release (the
    untrained one a fashion model trains with, saved by ``save_pretrained``) gets its id from its files,
    so the released model names that id.
    """
    import json

    from generec.encoders import load_encoder

    d = Path(out)
    if d.exists():
        shutil.rmtree(d)
    model = DiffusionModel.load(model_dir)
    shutil.copytree(encoder_dir, d / "encoder", ignore=shutil.ignore_patterns("cache", "*.log"))
    backend = json.loads((d / "encoder" / "config.json").read_text(encoding="utf-8")).get("backend", "generec")
    model.config.meta["encoder"] = load_encoder(backend, d / "encoder").id
    model.save(d, extra={k: v for k, v in model.extra.items() if k == "train"}, ema_only=True, half=half)
    for name, src in (("reader", reader_dir), ("judge", judge_dir)):
        if src is not None:
            shutil.copytree(src, d / name, ignore=shutil.ignore_patterns("trainer.pt"))
    if mmgcn_dir is not None:
        shutil.copytree(mmgcn_dir, d / "mmgcn")
    # float16 vectors halve the file
    np.savez_compressed(d / GUIDANCE_FILE, **users_to_npz(load_guidance(conditions), dtype=np.float16))
    if readme:
        (d / "README.txt").write_text(readme.strip() + "\n", encoding="utf-8")
    return d
