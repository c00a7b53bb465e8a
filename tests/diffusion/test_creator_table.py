"""Creation's Table 4 machinery on a tiny world: joint guidance rows, the table, export + reload, the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from generec.cli import main
from generec.creator import VideoCreator, train_creation
from generec.creator.checkpoint import DEMO_CHECKPOINT, demo_checkpoint, export_checkpoint, load_guidance
from generec.creator.training import creation_conditions, guidance_kinds, save_conditions
from generec.data.sim.reader import AttributeReader, ReaderConfig, accuracy_table
from generec.data.sim.vocab import VOCAB
from generec.diffusion import TrainSettings
from generec.diffusion.generator import CANDIDATE_SEED_STEP
from generec.errors import ConfigError, DataError, NotFoundError
from generec.evaluation.creation import creation_table
from generec.evaluation.ps_model import fit_mmgcn
from generec.types import Guidance

FEW = TrainSettings(steps=3, batch_size=4, checkpoint_every=2)
JOINT = "user_hist+user_emb"


@pytest.fixture(scope="module")
def made(sim_world, encoder, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A briefly trained MMGCN, a tiny joint creation model with its conditions file, and a tiny reader."""
    import torch

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("creation_table")
    mmgcn, emb = fit_mmgcn(sim_world, encoder, root / "mmgcn", epochs=2)
    cond = root / "cond.npz"
    model, _ = train_creation(
        sim_world, encoder, root / "model", guidance=JOINT, preset="tiny", settings=FEW, user_embeddings=emb,
        conditions=cond, progress=False,
    )  # fmt: skip
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8)).fit(32, 2, progress=False)
    reader.save(root / "reader")
    encoder.save_pretrained(root / "encoder")
    return {"root": root, "mmgcn": mmgcn, "emb": emb, "model": model, "cond": cond, "reader": reader}


def test_joint_guidance_rows_show_one_user_signal_and_single_subjects(sim_world, encoder, made) -> None:
    conds = creation_conditions(sim_world, encoder, guidance=JOINT, user_embeddings=made["emb"], progress=False)
    spec = conds["spec"]
    assert spec.names == ("instruction", "user_hist", "user_emb")
    sizes = dict(spec.parts)
    hist = np.abs(conds["cond"][:, sizes["instruction"] : sizes["instruction"] + sizes["user_hist"]]).sum(1) > 0
    emb = np.abs(conds["cond"][:, -sizes["user_emb"] :]).sum(1) > 0
    assert not (hist & emb).any() and hist.any() and emb.any()  # one user signal per row, as at creation time
    second = sim_world.shots.set_index(["item_id", "index"])["category2"].isna()
    assert all(second[(i, k)] for i, k in zip(conds["item_id"], conds["shot"], strict=True))
    assert conds["info"]["single_subject"] and set(conds["users"]) == {"user_hist", "user_emb"}
    back = load_guidance(save_conditions(made["root"] / "again.npz", conds))
    assert set(back) == {"user_hist", "user_emb"} and len(back["user_emb"]) == len(conds["users"]["user_emb"])
    assert guidance_kinds("user_emb") == ("user_emb",)
    for bad in ("user_hist+user_hist", "mood", ""):
        with pytest.raises(ConfigError):
            guidance_kinds(bad)
    with pytest.raises(ConfigError, match="User_Emb"):
        creation_conditions(sim_world, encoder, guidance=JOINT, progress=False)


def test_creation_table_rows_metrics_and_files(sim_world, encoder, made, tmp_path: Path) -> None:
    creator = VideoCreator(made["model"], encoder, steps=2)
    users = load_guidance(made["cond"])
    ids = [str(u) for u in sim_world.dataset().split().user_ids]
    table = creation_table(
        creator, made["reader"], sim_world, users, encoder, mmgcn=made["mmgcn"], mmgcn_users=ids, n_users=3, k=2,
        held_out=0.2, progress=False,
    )  # fmt: skip
    assert list(table.rows) == ["Original", "Instruction", "Instruction + User_Hist", "Instruction + User_Emb"]
    for name, row in table.rows.items():
        assert {"hit_colour", "hit_category", "Cosine@2", "PS@2"} <= set(row)
        assert ("FVD" in row) == (name != "Original")
    text = table.text()
    assert "chance" in text and "FVD protocol" in text and "unconditional" in text
    paths = table.save(tmp_path / "out")
    assert paths["png"].stat().st_size > 500 and "hit_colour" in paths["csv"].read_text()
    again = creation_table(creator, made["reader"], sim_world, users, encoder, n_users=3, k=2, held_out=0.2,
                           progress=False)  # fmt: skip
    assert np.array_equal(again.samples["Instruction"], table.samples["Instruction"])  # same seed, same clips
    assert "PS@K not computed" in again.text() and "best of" not in again.text()
    best = creation_table(creator, made["reader"], sim_world, users, encoder, n_users=3, k=2, held_out=0.2,
                          candidates=2, progress=False)  # fmt: skip
    assert "best of 2 clips per request" in best.text()
    assert best.samples["Original"].shape == table.samples["Original"].shape
    with pytest.raises(DataError, match="no user"):
        creation_table(creator, made["reader"], sim_world, {"user_hist": {"nobody": np.ones(4)}}, encoder)


def test_best_of_candidates_ranks_by_the_instruction_then_user_hist(encoder, made) -> None:
    creator = VideoCreator(made["model"], encoder, steps=2)
    text, hist = "a red car in the snow", encoder.encode_texts(["fish underwater"])[0]
    asked = Guidance(instruction_text=text, user_hist=hist)
    assert np.allclose(creator.targets(asked, 2), encoder.encode_texts([text, text]), atol=1e-6)
    assert np.allclose(creator.targets(Guidance(user_hist=hist), 1), hist[None])
    emb_only = Guidance(user_emb=next(iter(made["emb"].values())))
    assert creator.targets(emb_only, 1) is None and creator.targets(None, 1) is None
    assert creator.targets([asked, emb_only], 2) is None  # one request with nothing to rank by: no ranking
    assert VideoCreator(made["model"], None, steps=2).targets(Guidance(user_hist=hist), 1) is None

    # best_of: the candidate whose mean frame feature is nearest the target, per request.
    red, blue = np.zeros((2, 4, 16, 16, 3), np.uint8), np.zeros((2, 4, 16, 16, 3), np.uint8)
    red[..., 0], blue[..., 2] = 220, 220
    pool = np.stack([np.stack([red[0], blue[0]]), np.stack([blue[1], red[1]])])  # [C=2, n=2, T, H, W, 3]
    target = encoder.encode_images(np.stack([blue[0, 0], blue[0, 0]]))
    assert creator.best_of(pool, target).tolist() == [1, 0]
    with pytest.raises(ConfigError, match="targets"):
        creator.best_of(pool, target[:1])


def test_video_creation_keeps_the_best_of_its_candidates(encoder, made) -> None:
    creator = VideoCreator(made["model"], encoder, steps=2)
    gs = [Guidance(instruction_text=t) for t in ("a red car in the snow", "a blue fish underwater", "a green ball")]
    pool = np.stack([creator.create(gs, seed=3 + c * CANDIDATE_SEED_STEP) for c in range(3)])
    best = creator.best_of(pool, creator.targets(gs, 3))
    kept = creator.create(gs, seed=3, candidates=3)
    assert np.array_equal(kept, pool[best, np.arange(3)])
    assert np.array_equal(creator.create(gs, seed=3, candidates=1), pool[0])  # one candidate: as before

    def closeness(clips: np.ndarray) -> np.ndarray:
        feats = encoder.encode_images(clips.reshape(-1, 16, 16, 3)).reshape(3, 4, -1).mean(1)
        feats /= np.linalg.norm(feats, axis=1, keepdims=True)
        return (feats * encoder.encode_texts([g.instruction_text for g in gs])).sum(1)

    assert (closeness(kept) >= closeness(pool[0]) - 1e-6).all()
    long = creator.create(gs[:1], frames=7, overlap=2, seed=3, candidates=2)  # the kept window is extended
    assert long.shape == (1, 7, 16, 16, 3)
    assert np.array_equal(long[0, :4], creator.create(gs[:1], seed=3, candidates=2)[0])
    # Nothing in the encoder's space to rank by: the first candidate, as with one.
    emb_only = Guidance(user_emb=next(iter(made["emb"].values())))
    assert np.array_equal(creator.create(emb_only, n=2, seed=4, candidates=3), creator.create(emb_only, n=2, seed=4))
    with pytest.raises(ConfigError, match="candidates"):
        creator.create(gs, candidates=0)


def test_history_prompt_gives_user_hist_to_the_instruction_input(encoder, made) -> None:
    from generec.editor.revision import Reviser

    plain, prompted = VideoCreator(made["model"], encoder), VideoCreator(made["model"], encoder, history_prompt=True)
    n = dict(prompted.spec.parts)["instruction"]
    hist = encoder.encode_texts(["dogs on the beach"])[0]
    a, b = plain.condition(Guidance(user_hist=hist)), prompted.condition(Guidance(user_hist=hist))
    assert np.allclose(a[:n], 0) and np.abs(b[:n]).sum() > 0
    assert np.allclose(b[:n], b[n : 2 * n]) and np.allclose(a[n:], b[n:])  # the same unit vector in both inputs
    asked = Guidance(instruction_text="a red car in the snow", user_hist=hist)
    assert np.allclose(prompted.condition(asked), plain.condition(asked))  # an instruction is never replaced
    emb_only = Guidance(user_emb=next(iter(made["emb"].values())))
    assert np.allclose(prompted.condition(emb_only), plain.condition(emb_only))  # no User_Hist: nothing to add
    clip = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    g = Guidance(user_hist=hist)
    revised = Reviser(made["model"], encoder, steps=2, history_prompt=True).revise(clip, g, strength=0.8, seed=1)
    assert not np.array_equal(revised, Reviser(made["model"], encoder, steps=2).revise(clip, g, strength=0.8, seed=1))


def test_exported_checkpoint_reloads_to_the_same_samples(encoder, made, tmp_path: Path) -> None:
    root = made["root"]
    out = export_checkpoint(
        root / "model", tmp_path / "release", encoder_dir=root / "encoder", reader_dir=root / "reader",
        conditions=made["cond"], mmgcn_dir=root / "mmgcn", readme="generec train creation --seed 0",
    )  # fmt: skip
    assert not (out / "weights.pt").exists() and (out / "ema.pt").is_file() and (out / "guidance.npz").is_file()
    assert demo_checkpoint(out) == out and "seed 0" in (out / "README.txt").read_text()
    g = Guidance(instruction_text="a red car in the snow", user_hist=np.ones(encoder.dim, np.float32))
    first = VideoCreator(made["model"], encoder, steps=3).create(g, n=2, seed=5)
    loaded = VideoCreator.load(out, encoder, steps=3)
    assert np.array_equal(loaded.create(g, n=2, seed=5), first)
    assert np.array_equal(VideoCreator.load(out, encoder, steps=3).create(g, n=2, seed=5), first)
    assert not np.array_equal(loaded.create(g, n=2, seed=6), first)
    with pytest.raises(NotFoundError, match="generec train creation"):
        demo_checkpoint(tmp_path / "nothing")


def test_cli_reproduce_creation(sim_world, made, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = made["root"]
    release = export_checkpoint(
        root / "model", tmp_path / "rel", encoder_dir=root / "encoder", reader_dir=root / "reader",
        conditions=made["cond"],
    )  # fmt: skip
    args = ["reproduce", "creation", "--world", str(sim_world.root), "--model", str(release),
            "--users", "2", "--k", "2", "--steps", "2", "--out", str(tmp_path / "res"), "-q"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Instruction + User_Emb" in out and "FVD protocol" in out and "PS@K not computed" in out
    assert (tmp_path / "res" / "creation_samples.png").is_file()
    assert main([*args[:-3], "--users", "0", "-q"]) != 0
    assert main([*args, "--candidates", "0"]) != 0
    assert "--candidates" in capsys.readouterr().err


def test_reader_reports_colour_per_style_group() -> None:
    reader = AttributeReader(ReaderConfig(frames=4, size=16, width=8))
    groups = reader.evaluate_by_style(40)
    assert set(groups) == {"all", "colour styles", "colourless styles"}
    assert "colour styles" in accuracy_table(groups)
    with pytest.raises(Exception, match="architecture"):
        AttributeReader(ReaderConfig(arch="mlp"))


@pytest.mark.skipif(not (DEMO_CHECKPOINT / "config.json").is_file(), reason="demo checkpoint not packaged")
def test_packaged_demo_checkpoint_is_small_64_px_and_reproducible() -> None:
    from generec.encoders import load_encoder

    size = sum(p.stat().st_size for p in DEMO_CHECKPOINT.rglob("*") if p.is_file())
    assert size <= 20 * 2**20 and "--seed" in (DEMO_CHECKPOINT / "README.txt").read_text()
    enc = load_encoder("generec", DEMO_CHECKPOINT / "encoder")
    creator = VideoCreator.load(DEMO_CHECKPOINT, enc, steps=4)
    assert creator.rules.read is not None  # its own reader reads the candidates; the judge is another reader
    assert "data" in AttributeReader.load(DEMO_CHECKPOINT / "reader").fit_info_
    judge = AttributeReader.load(DEMO_CHECKPOINT / "judge")
    assert "data" not in judge.fit_info_ and (judge.config.frames, judge.config.size) == (16, 64)
    g = Guidance(instruction_text="a large red car driving left to right through the snow, plain style")
    clip = creator.create(g, seed=1)
    assert clip.shape == (1, 16, 64, 64, 3)  # made at the world's own size
    assert np.array_equal(clip, VideoCreator.load(DEMO_CHECKPOINT, enc, steps=4).create(g, seed=1))
    reads = judge.read(clip)
    assert len(reads) == 1 and set(reads[0]) == {"category", "colour", "size", "motion", "scene", "style"}


def test_stop_at_cuts_a_run_that_resumes_exactly(tmp_path: Path) -> None:
    from generec.diffusion import DiffusionConfig, DiffusionModel, TrainingData, fit
    from generec.diffusion.image_denoiser import ImageDenoiserConfig

    def fresh() -> DiffusionModel:
        return DiffusionModel(DiffusionConfig("image", ImageDenoiserConfig(size=8, width=8, mults=(1,))), seed=0)

    data = TrainingData(np.random.default_rng(0).integers(0, 255, (6, 8, 8, 3), dtype=np.uint8))
    whole = fresh()
    fit(whole, data, TrainSettings(steps=4, batch_size=2, warmup=1), progress=False)
    cut = fresh()
    s = TrainSettings(steps=4, batch_size=2, warmup=1, stop_at=2)
    assert fit(cut, data, s, tmp_path / "m", progress=False)["step"] == 2
    again = fresh()
    state = fit(again, data, TrainSettings(steps=4, batch_size=2, warmup=1), tmp_path / "m", progress=False)
    assert state["step"] == 4 and state["settings"]["stop_at"] is None
    assert [(e["until_step"], e["stop_at"]) for e in state["earlier_settings"]] == [(2, 2)]  # each part's settings
    for a, b in zip(whole.net.parameters(), again.net.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)  # same schedule, same batches: the cut run replays the whole one
    with pytest.raises(ConfigError, match="stop_at"):
        TrainSettings(stop_at=0).validate()


def test_the_models_own_reader_reads_its_candidates_and_never_judges(
    sim_world, encoder, made, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    import shutil

    from generec.creator.video import CATEGORY_IMPORTANCE, clip_rules, training_clips
    from generec.diffusion.conditions import split_items
    from generec.evaluation.creation import judge_of, request_constraints

    model_dir = tmp_path / "model"
    shutil.copytree(made["root"] / "model", model_dir)
    data = made["model"].config.meta["data"]
    clips, labels = training_clips(sim_world, data, 4, 16)
    train, _ = split_items(sim_world.items["id"], data["held_out"], data["seed"])
    shots = sim_world.shots[sim_world.shots["item_id"].astype(str).isin(train) & sim_world.shots["category2"].isna()]
    assert clips.shape == (len(shots), 4, 16, 16, 3) and labels.shape == (len(shots), 6)
    assert sorted(labels[:, 0].tolist()) == sorted(VOCAB["category"].index(c) for c in shots["category"])
    assert clip_rules(model_dir) is None  # no reader of its own yet: candidates are not read
    with pytest.raises(DataError, match="which items"):
        training_clips(sim_world, {}, 4, 16)

    base = ["train", "reader", "--clips-of", str(model_dir), "--steps", "2", "--width", "8", "-q"]
    assert main(base) != 0 and "--world" in capsys.readouterr().err
    assert main([*base, "--world", str(sim_world.root)]) == 0
    own = AttributeReader.load(model_dir / "reader")
    assert (own.config.frames, own.config.size) == (4, 16) and f"{len(shots):,} single-subject" in own.fit_info_["data"]
    creator = VideoCreator.load(model_dir, encoder, steps=2)
    assert creator.rules.read is not None and creator.rules.importance == {"category": CATEGORY_IMPORTANCE}

    # Per request, the candidate read with the most of what was said (the subject counting most); ties: the earlier.
    texts = ["a large red car driving in circles in the snow, plain style", "a small blue fish underwater"]
    named = request_constraints(texts)
    gs = [Guidance(instruction_text=t, constraints=named[t]) for t in texts]
    pool = np.stack([creator.create(gs, seed=3 + c * CANDIDATE_SEED_STEP) for c in range(3)])
    said = [{a: v[0] for a, v in named[t]["attributes"].items()} for t in texts]
    score = np.asarray([[sum(CATEGORY_IMPORTANCE if a == "category" else 1.0 for a, v in said[i].items() if r[a] == v)
                         for i, r in enumerate(own.read(pool[c]))] for c in range(3)])  # fmt: skip
    expected = score.argmax(0)  # argmax keeps the first of equal scores
    assert np.array_equal(creator.create(gs, seed=3, candidates=3), pool[expected, np.arange(2)])

    # The model's own reader never judges it: the judge is another reader.
    with pytest.raises(DataError, match="own reader"):
        judge_of(model_dir)
    made["reader"].save(model_dir / "judge")
    assert "data" not in judge_of(model_dir).fit_info_
    image = tmp_path / "image"
    train_creation(sim_world, encoder, image, kind="image", preset="tiny", settings=FEW, progress=False)
    assert main(["train", "reader", "--clips-of", str(image), "--world", str(sim_world.root), "-q"]) != 0
    assert "video creation model" in capsys.readouterr().err


def test_creation_requests_come_from_the_models_held_out_items(sim_world, encoder, made) -> None:
    from generec.diffusion.conditions import shot_clips, split_items

    creator = VideoCreator(made["model"], encoder, steps=2)
    users = load_guidance(made["cond"])
    data = made["model"].config.meta["data"]
    _, held = split_items(sim_world.items["id"], data["held_out"], data["seed"])
    held_captions = set(shot_clips(sim_world, 4, 16, held, progress=False)[1]["caption"])
    for seed in (1, 2):  # another seed draws other users and requests, never the model's training items
        table = creation_table(creator, made["reader"], sim_world, users, encoder, n_users=2, k=2, seed=seed,
                               rows=["Instruction"], progress=False)  # fmt: skip
        assert set(table.captions) <= held_captions
        assert list(table.rows) == ["Original", "Instruction"]
    with pytest.raises(DataError, match="unknown rows"):
        creation_table(creator, made["reader"], sim_world, users, encoder, rows=["Sketch"], progress=False)
