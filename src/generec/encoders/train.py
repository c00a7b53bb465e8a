"""Training the offline dual encoder on any corpus of (frame, caption) pairs.

The text tower is frozen, so every distinct caption is embedded once with MiniLM
before training; each step then costs one CNN pass over a batch of frames. The loss
is CLIP's symmetric InfoNCE with a learned temperature, except that pairs sharing the
same caption are all counted as positives (a corpus of shots repeats captions, and
calling an identical caption a negative would teach the model noise).

Example
-------
>>> trainer = DualEncoderTrainer(steps=300, seed=0).fit(frames, captions)  # doctest: +SKIP
>>> trainer.encoder_.save_pretrained("models/encoder")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch

from generec.encoders.base import as_image_list, check_texts, resize_square
from generec.encoders.dual import DualEncoderConfig, DualEncoderModel, GeneRecEncoder
from generec.encoders.text import MiniLMText
from generec.errors import ModelError

_MAX_LOGIT_SCALE = math.log(100.0)


def contrastive_loss(img: torch.Tensor, txt: torch.Tensor, caption_ids: torch.Tensor, scale: torch.Tensor):
    """Symmetric InfoNCE where every pair with the same caption id is a positive."""
    logits = scale.exp() * img @ txt.T
    same = (caption_ids[:, None] == caption_ids[None, :]).float()
    targets = same / same.sum(dim=1, keepdim=True)
    loss_i = -(targets * logits.log_softmax(dim=1)).sum(dim=1).mean()
    loss_t = -(targets * logits.T.log_softmax(dim=1)).sum(dim=1).mean()
    return (loss_i + loss_t) / 2


class DualEncoderTrainer:
    """Fit a :class:`~generec.encoders.dual.GeneRecEncoder` on (frame, caption) pairs.

    Parameters
    ----------
    dim
        Size of the joint space.
    steps
        Optimiser steps (batches); each samples ``batch_size`` pairs with replacement.
    batch_size, lr, weight_decay
        AdamW settings; the learning rate warms up for 5 % of the steps, then follows a cosine.
    seed
        Fixes initialisation and batch order: the same seed gives the same weights.
    text_tower
        The frozen sentence model (default: packaged all-MiniLM-L6-v2).
    threads
        Torch CPU threads while training (``None`` leaves torch's setting alone).
    progress
        Show a progress bar.

    Attributes
    ----------
    encoder_ : GeneRecEncoder
        The trained encoder.
    history_ : list[float]
        Training loss per step.
    train_seconds_ : float
        Wall-clock time of the optimisation (text embedding excluded).

    Example
    -------
    >>> t = DualEncoderTrainer(steps=50).fit(frames, captions)  # doctest: +SKIP
    """

    def __init__(
        self,
        dim: int = 128,
        steps: int = 400,
        batch_size: int = 128,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        seed: int = 0,
        config: DualEncoderConfig | None = None,
        text_tower: MiniLMText | None = None,
        threads: int | None = None,
        progress: bool = True,
    ) -> None:
        self.dim = dim
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.seed = seed
        self.config = config
        self.text_tower = text_tower
        self.threads = threads
        self.progress = progress

    def _prepare(self, images, captions: Sequence[str], image_size: int):
        caps = check_texts(captions)
        if len(caps) < 2:
            raise ModelError("training the encoder needs at least 2 (frame, caption) pairs")
        if isinstance(images, np.ndarray) and images.ndim == 4 and images.shape[1:3] == (image_size, image_size):
            pixels = np.ascontiguousarray(images[..., :3])
            as_image_list(pixels[:1])  # dtype and shape checks, without copying the whole corpus
        else:
            pixels = resize_square(as_image_list(images), image_size)
        if len(pixels) != len(caps):
            raise ModelError(f"got {len(pixels)} frames but {len(caps)} captions; pass one caption per frame")
        unique, caption_ids = np.unique(np.asarray(caps, dtype=object), return_inverse=True)
        if len(unique) < 2:
            raise ModelError("all captions are identical; contrastive training needs at least 2 distinct captions")
        return torch.from_numpy(pixels), [str(u) for u in unique], torch.from_numpy(caption_ids.astype(np.int64))

    def fit(self, images, captions: Sequence[str]) -> DualEncoderTrainer:
        """Train on ``images`` (``[N, H, W, 3]`` uint8 or a list) paired with ``captions`` (one per image)."""
        config = replace(self.config or DualEncoderConfig(), dim=self.dim)
        text_tower = self.text_tower or MiniLMText()
        pixels, unique, caption_ids = self._prepare(images, captions, config.image_size)
        text_emb = torch.from_numpy(text_tower.embed(unique))
        old_threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            model, history, seconds = self._optimise(config, pixels, text_emb, caption_ids)
        finally:
            torch.set_num_threads(old_threads)
        config.train = {
            "steps": self.steps,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "seed": self.seed,
            "pairs": len(pixels),
            "distinct_captions": len(unique),
            "final_loss": round(float(np.mean(history[-20:])), 4),
            "temperature": round(float(1.0 / model.logit_scale.detach().exp()), 4),
            "train_seconds": round(seconds, 1),
        }
        self.encoder_ = GeneRecEncoder(
            config, model, text_tower=text_tower, model_id=f"generec:unsaved-{_state_hash(model)}"
        )
        self.history_ = history
        self.train_seconds_ = seconds
        return self

    def _optimise(self, config, pixels, text_emb, caption_ids) -> tuple[DualEncoderModel, list[float], float]:
        from tqdm.auto import tqdm

        torch.manual_seed(self.seed)
        gen = torch.Generator().manual_seed(self.seed)
        model = DualEncoderModel(config).train()
        opt = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        warmup = max(1, self.steps // 20)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, self.steps) / self.steps))
        )
        history: list[float] = []
        start = time.perf_counter()
        bar = tqdm(range(self.steps), desc="train encoder", disable=not self.progress, leave=False)
        for _ in bar:
            idx = torch.randint(len(pixels), (min(self.batch_size, len(pixels)),), generator=gen)
            ids = caption_ids[idx]
            img = model.image_features(pixels[idx])
            txt = model.text_features(text_emb[ids])
            loss = contrastive_loss(img, txt, ids, model.logit_scale)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0.0, _MAX_LOGIT_SCALE)
            history.append(loss.item())
            if len(history) % 10 == 0:
                bar.set_postfix(loss=f"{np.mean(history[-10:]):.3f}")
        return model.eval(), history, time.perf_counter() - start


def _state_hash(model: torch.nn.Module) -> str:
    # An unsaved model still needs an id that differs from every other model's (feature caches key on it).
    import hashlib

    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]
