"""Ray batch work = the single-process path: same picks, same clips, same top-20, same features.

Runs on a real 2-node Ray cluster on this machine (``ray.cluster_utils.Cluster``, one CPU per
node), on a small GeneRec-Sim world: its users' t* (mean of liked-item features), every frame
of every item, MMGCN-free ranking with BPR-MF fitted on its split.
"""

from __future__ import annotations

import numpy as np
import pytest

from generec.cli import main
from generec.distributed import clip_all, encode_all, get_engine, rank_all, select_all
from generec.editor import PackedFrames, batch_clip, batch_select
from generec.editor.thumbnail_selection import extract_frame_features
from generec.encoders import l2_normalize

ray = pytest.importorskip("ray", reason="the ray extra is not installed")


@pytest.fixture(scope="module")
def ray_engine():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes(timeout=120)
    engine = get_engine("ray", address=cluster.address)
    yield engine
    engine.close()
    cluster.shutdown()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from generec.data.sim import World

    return World.build(tmp_path_factory.mktemp("w") / "world", users=24, items=12, seed=3, progress=False,
                       overwrite=True)  # fmt: skip


def test_the_cluster_has_two_nodes(ray_engine) -> None:
    assert ray_engine.workers == 2 and len([n for n in ray.nodes() if n["Alive"]]) == 2


@pytest.mark.slow
def test_frame_features_and_then_picks_match_the_single_process_path(ray_engine, world) -> None:
    split = world.dataset().split()
    videos = [(world.media_path(i), int(world.item_meta(i)["frame_size"])) for i in split.item_ids]
    remote = encode_all(videos, "efficientnet", ray_engine, count=4, item_shard=6)  # a shard per node
    from generec.encoders import load_encoder

    enc = load_encoder("efficientnet")
    local = [extract_frame_features(enc, p, count=4, frame_size=s).features for p, s in videos]
    assert [f.shape for f in remote] == [f.shape for f in local]
    assert max(float(np.abs(a - b).max()) for a, b in zip(remote, local, strict=True)) < 1e-4

    # Eq. 1 / Eq. 2 for every user x item from the same features, over a 3 x 2 grid of shards.
    packed = PackedFrames.pack(local)
    liked = np.zeros((split.n_users, split.n_items), np.float32)
    liked[split.train[:, 0], split.train[:, 1]] = 1
    users = l2_normalize(liked @ np.stack([f.mean(0) for f in local]) + 1e-6)
    shards = {"user_shard": 9, "item_shard": 7}
    assert (select_all(users, packed, ray_engine, **shards) == batch_select(users, packed)).all()
    assert (clip_all(users, packed, ray_engine, clip_len=2, **shards) == batch_clip(users, packed, 2)).all()


def test_top20_lists_match_model_recommend(ray_engine, world, tmp_path) -> None:
    import torch

    from generec.recommender import BPRMF

    split = world.dataset().split()
    torch.manual_seed(0)
    model = BPRMF(seed=0, lr=0.02, epochs=5, embedding_dim=16, verbose=False).fit(split)
    k = min(20, split.n_items - 1)
    expected = model.recommend(np.arange(split.n_users), k)
    assert (rank_all(model, ray_engine, k, user_shard=7) == expected).all()
    model.save(tmp_path / "bpr")  # and through the command, on the running cluster
    args = ["-m", str(tmp_path / "bpr"), "-o", str(tmp_path / "top.npy"), "-k", str(k), "--user-shard", "5"]
    assert main(["batch", "rank", *args, "--engine", "ray", "--address", ray_engine.address]) == 0
    assert (np.load(tmp_path / "top.npy") == expected).all()


def test_random_worlds_agree_on_a_finer_grid(ray_engine) -> None:
    rng = np.random.default_rng(0)
    items = [l2_normalize(rng.normal(size=(n, 32))) for n in rng.integers(3, 40, size=50)]
    packed = PackedFrames.pack(items)
    users = l2_normalize(rng.normal(size=(300, 32)))
    got = select_all(users, packed, ray_engine, user_shard=64, item_shard=16)
    assert (got == batch_select(users, packed)).all()
    blocks = []
    clip_all(users, packed, ray_engine, clip_len=8, user_shard=128, item_shard=25,
             on_block=lambda s, b: blocks.append((s, b)))  # fmt: skip
    assert len(blocks) == 3 * 2  # streamed shard by shard, nothing gathered
    full = batch_clip(users, packed, 8)
    assert all((full[s.u0 : s.u1, s.i0 : s.i1] == b).all() for s, b in blocks)
