"""Engines and shards without a cluster: the grid covers every pair once, bad options are refused,
and without the ``ray`` extra ``--engine ray`` says which extra to install, in one line."""

from __future__ import annotations

import numpy as np
import pytest

from generec.cli import main
from generec.distributed import LocalEngine, get_engine, grid, rank_all, select_all
from generec.editor import PackedFrames, batch_select
from generec.errors import ConfigError
from generec.recommender import BPRMF
from generec.recommender.synthetic import planted_split

RAY_LINE = "error: --engine ray needs the 'ray' package: install it with `pip install 'generec[ray]'`"


RANK = ["batch", "rank", "-m", "model", "-o", "top.npy"]


@pytest.mark.parametrize(
    "args", [[*RANK, "--engine", "ray"], ["batch", "personalize", "-w", "w", "-o", "p.npz", "--engine", "ray"]]
)
def test_engine_ray_without_the_extra_is_one_line_naming_it(args, generec_without) -> None:
    done = generec_without(["ray"], *args)
    assert done.returncode != 0 and done.stderr.strip().splitlines() == [RAY_LINE]


def test_the_embedded_default_imports_neither_ray_nor_psycopg(generec_without, tmp_path) -> None:
    from generec.store import Store

    Store.open(tmp_path / "home" / "generec.db").close()  # the generec_without commands run in tmp_path
    done = generec_without(["ray", "psycopg"], "info", "--home", "home", "--json")  # the embedded SQLite store
    assert done.returncode == 0, done.stderr
    done = generec_without(["ray", "psycopg"], *RANK)  # the local engine: gets as far as the missing model
    assert done.stderr.strip() == "error: model holds no saved recommender (needs config.json and state.pt)"


def test_bad_engine_options_are_refused(capsys) -> None:
    with pytest.raises(ConfigError, match="unknown engine 'spark'"):
        get_engine("spark")
    with pytest.raises(ConfigError, match="--address is for --engine ray"):
        get_engine("local", address="auto")
    assert main(["batch", "rank", "-m", "m", "-o", "t.npy", "--engine", "dask"]) != 0
    assert "use one of local, ray" in capsys.readouterr().err


def test_the_grid_covers_every_user_item_pair_exactly_once() -> None:
    covered = np.zeros((10, 7), dtype=int)
    for s in grid(10, 7, 4, 3):
        covered[s.u0 : s.u1, s.i0 : s.i1] += 1
    assert (covered == 1).all()
    with pytest.raises(ConfigError, match="at least 1"):
        grid(10, 7, 0, 3)


def test_local_shards_give_the_single_process_picks_and_stream_blocks() -> None:
    rng = np.random.default_rng(1)
    packed = PackedFrames.pack([rng.normal(size=(n, 8)).astype(np.float32) for n in (5, 9, 2, 7, 3)])
    users = rng.normal(size=(11, 8)).astype(np.float32)
    assert (select_all(users, packed, LocalEngine(), user_shard=4, item_shard=2) == batch_select(users, packed)).all()
    seen = []
    assert (
        select_all(users, packed, LocalEngine(), user_shard=6, item_shard=5, on_block=lambda s, b: seen.append(b.shape))
        is None
    )
    assert seen == [(6, 5), (5, 5)]


def test_rank_all_and_the_batch_rank_command_give_model_recommend(tmp_path) -> None:
    split, _ = planted_split(n_users=40, n_items=30, n_topics=3, seed=0)
    model = BPRMF(seed=0, lr=0.02, epochs=5, embedding_dim=8, verbose=False).fit(split)
    expected = model.recommend(np.arange(40), 20)
    assert (rank_all(model, LocalEngine(), 20, user_shard=7) == expected).all()
    model.save(tmp_path / "bpr")
    assert (
        main(["batch", "rank", "-m", str(tmp_path / "bpr"), "-o", str(tmp_path / "top.npy"), "--user-shard", "9"]) == 0
    )
    assert (np.load(tmp_path / "top.npy") == expected).all()
