"""Creation, revision and thumbnail generation end to end on a tiny world, with tiny models and a few steps."""

from __future__ import annotations

import numpy as np
import pytest

from generec.creator import ImageCreator, VideoCreator, creation_rows, train_creation
from generec.diffusion import TrainSettings
from generec.diffusion.conditions import ConditionSpec, attention_pool, fit_clip, split_items
from generec.diffusion.generator import CANDIDATE_SEED_STEP
from generec.editor.revision import Reviser, revision_rows, train_revision
from generec.editor.thumbnail_generation import ThumbnailGenerator, train_thumbnails
from generec.errors import ConfigError, DataError, ModelError
from generec.types import Guidance

FEW = TrainSettings(steps=3, batch_size=4, checkpoint_every=2)


def test_condition_spec_scales_parts_and_checks_sizes() -> None:
    spec = ConditionSpec((("instruction", 3), ("user_emb", 2)))
    v = spec.vector({"instruction": np.array([3.0, 0, 4]), "user_emb": np.array([0.0, 2])})
    assert np.allclose(np.linalg.norm(v[:3]), np.linalg.norm(v[3:]))
    assert np.allclose(spec.vector({})[:], 0)
    with pytest.raises(ConfigError, match="expects 2"):
        spec.vector({"user_emb": np.ones(5)})
    with pytest.raises(ConfigError, match="bad condition part"):
        ConditionSpec((("mood", 3),))
    assert ConditionSpec.from_dict(spec.to_dict()) == spec


def test_helpers() -> None:
    keys = np.eye(3, dtype=np.float32)
    pooled = attention_pool(np.array([1.0, 0, 0]), keys, temperature=0.01)
    assert pooled.argmax() == 0 and pooled[0] > 0.99
    assert fit_clip(np.zeros((5, 64, 48, 3), np.uint8), 8, 16).shape == (8, 16, 16, 3)
    with pytest.raises(DataError):
        fit_clip(np.zeros((5, 8, 8), np.float32), 4, 8)
    train, held = split_items([f"v{i}" for i in range(50)], 0.2, seed=0)
    assert len(held) == 10 and not set(train) & set(held)
    assert split_items([f"v{i}" for i in range(50)], 0.2, seed=0) == (train, held)


def test_creation_rows_pair_shots_with_instructions_and_likers(sim_world, encoder) -> None:
    pixels, cond, spec, info = creation_rows(sim_world, encoder, frames=4, size=16, progress=False)
    assert pixels.shape[1:] == (4, 16, 16, 3) and pixels.dtype == np.uint8
    assert cond.shape == (len(pixels), spec.dim) and spec.names == ("instruction", "user_hist")
    assert info["users_with_vectors"] > 0
    with pytest.raises(ConfigError, match="User_Emb"):
        creation_rows(sim_world, encoder, guidance="user_emb", frames=4, size=16, progress=False)


def test_video_creation_trains_saves_and_reproduces(sim_world, encoder, tmp_path) -> None:
    model, state = train_creation(sim_world, encoder, tmp_path / "c", preset="tiny", settings=FEW, progress=False)
    assert state["step"] == 3 and (tmp_path / "c" / "config.json").is_file()
    creator = VideoCreator.load(tmp_path / "c", encoder, steps=3)
    g = Guidance(instruction_text="a red car in the snow", user_hist=encoder.encode_texts(["cars"])[0])
    a = creator.create(g, n=2, seed=5)
    assert a.shape == (2, 4, 16, 16, 3) and a.dtype == np.uint8
    assert np.array_equal(VideoCreator.load(tmp_path / "c", encoder, steps=3).create(g, n=2, seed=5), a)
    long = creator.create(g, frames=7, overlap=2, seed=1)
    assert long.shape == (1, 7, 16, 16, 3)
    assert creator.create(None, n=1, seed=0).shape == (1, 4, 16, 16, 3)  # unconditional reference
    assert creator.extend(a[0], g, new_frames=3).shape == (3, 16, 16, 3)
    with pytest.raises(ConfigError, match="none of"):
        creator.create(Guidance(style="neon"))
    with pytest.raises(ModelError, match="needs a image"):
        ImageCreator.load(tmp_path / "c", encoder)


def test_image_creation(sim_world, encoder, tmp_path) -> None:
    train_creation(sim_world, encoder, tmp_path / "i", kind="image", preset="tiny", settings=FEW, progress=False)
    creator = ImageCreator.load(tmp_path / "i", encoder, steps=2)
    g = Guidance(instruction_text="a blue fish")
    out = creator.create(g, n=3)
    assert out.shape == (3, 16, 16, 3)
    # Best of 3: per image, the candidate (seed + c * CANDIDATE_SEED_STEP) the encoder finds closest to the text.
    pool = np.stack([creator.create(g, n=3, seed=c * CANDIDATE_SEED_STEP) for c in range(3)])
    best = creator.best_of(pool, creator.targets(g, 3))
    assert np.array_equal(creator.create(g, n=3, candidates=3), pool[best, np.arange(3)])
    with pytest.raises(ConfigError, match="candidates"):
        creator.create(g, candidates=0)


def test_revision_with_user_hist_and_user_emb(sim_world, encoder, tmp_path) -> None:
    pixels, cond, spec, _ = revision_rows(sim_world, encoder, frames=4, size=16, progress=False)
    assert spec.names == ("user_hist",) and len(pixels) == len(cond)
    train_revision(sim_world, encoder, tmp_path / "r", preset="tiny", settings=FEW, progress=False)
    reviser = Reviser.load(tmp_path / "r", encoder, steps=4)
    clip = sim_world.render(sim_world.items["id"].iat[0])
    u = encoder.encode_texts(["dogs on the beach"])[0]
    same = reviser.revise(clip, Guidance(user_hist=u), strength=0.0)
    assert np.array_equal(same, reviser.prepare(clip))  # strength 0 returns the (resampled) input
    revised = reviser.revise(clip, Guidance(user_hist=u), strength=0.6, seed=1)
    assert revised.shape == (4, 16, 16, 3) and not np.array_equal(revised, same)
    assert reviser.revise(clip, None, strength=0.6).shape == (4, 16, 16, 3)
    # User_Emb: any per-user vectors from the recommender; here a rank-8 factorisation of the like matrix.
    likes = sim_world.events.query("kind == 'like'")
    users = sorted(likes["user_id"].unique())
    items = {i: k for k, i in enumerate(sorted(likes["item_id"].unique()))}
    m = np.zeros((len(users), len(items)))
    for uid, iid in zip(likes["user_id"], likes["item_id"], strict=True):
        m[users.index(uid), items[iid]] = 1
    emb = np.linalg.svd(m, full_matrices=False)[0][:, :8]
    model, _ = train_revision(
        sim_world,
        encoder,
        None,
        guidance="user_emb",
        preset="tiny",
        settings=FEW,
        progress=False,
        user_embeddings=dict(zip(users, emb, strict=True)),
    )
    assert model.config.meta["condition"]["parts"] == [["user_emb", 8]]
    with pytest.raises(ConfigError, match="revision guidance"):
        train_revision(sim_world, encoder, None, guidance="mood", preset="tiny", settings=FEW, progress=False)


def test_thumbnail_generation_uses_video_and_liked_thumbnails(sim_world, encoder, tmp_path) -> None:
    train_thumbnails(sim_world, encoder, tmp_path / "t", preset="tiny", settings=FEW, progress=False)
    gen = ThumbnailGenerator.load(tmp_path / "t", encoder, steps=3)
    frames = sim_world.render(sim_world.items["id"].iat[1])
    liked = np.stack([sim_world.render(i)[0] for i in sim_world.items["id"].iloc[2:5]])
    a = gen.retrieval_condition(frames, liked)
    b = gen.retrieval_condition(frames, None)
    assert a.shape == (gen.spec.dim,) and np.allclose(b[encoder.dim :], 0) and not np.allclose(a[encoder.dim :], 0)
    covers = gen.generate(frames, liked, n=2, seed=0)
    assert covers.shape == (2, 16, 16, 3)
    assert np.array_equal(covers, gen.generate(frames, liked, n=2, seed=0))
    with pytest.raises(ConfigError, match="video frames"):
        gen.generate(np.zeros((8, 8, 3), np.uint8))


def test_bad_requests_fail_clearly(sim_world, encoder, tmp_path) -> None:
    with pytest.raises(ConfigError, match="preset"):
        train_creation(sim_world, encoder, None, preset="huge", settings=FEW, progress=False)
    with pytest.raises(ConfigError, match="cuda"):
        train_creation(sim_world, encoder, None, preset="tiny", settings=FEW, progress=False, device="cuda")
    with pytest.raises(DataError, match="not a GeneRec-Sim world"):
        train_revision(tmp_path, encoder, None, preset="tiny", settings=FEW, progress=False)


def test_the_64px_thumbnail_model_shares_the_creators_autoencoder(sim_world, encoder, tmp_path) -> None:
    import torch

    from generec.cli import main
    from generec.diffusion.autoencoder import FrameAutoencoder
    from generec.diffusion.presets import AUTOENCODERS

    shared = FrameAutoencoder(AUTOENCODERS["demo-64"])
    shared.save(tmp_path / "creation")  # the creation model's folder holds its first stage
    enc = encoder.save_pretrained(tmp_path / "enc")
    args = ["train", "thumbnails", "--world", str(sim_world.root), "--encoder", str(enc), "--out", str(tmp_path / "t"),
            "--preset", "demo-64", "--steps", "1", "--batch-size", "2", "--threads", "1", "-q"]  # fmt: skip
    assert main([*args, "--autoencoder", str(tmp_path / "creation")]) == 0
    gen = ThumbnailGenerator.load(tmp_path / "t", encoder, steps=2)
    got = gen.model.autoencoder.state_dict()
    assert all(torch.equal(v, got[k]) for k, v in shared.state_dict().items())  # shared, not trained anew
    cover = gen.generate(sim_world.render(sim_world.items["id"].iat[1]), None, n=1, seed=0)
    assert cover.shape == (1, 64, 64, 3)  # made at the world's own 64 px
    assert main([*args, "--out", str(tmp_path / "u"), "--autoencoder", str(tmp_path)]) != 0  # no first stage there
