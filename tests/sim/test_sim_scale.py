"""Demo-sized world (slow): bounded memory, a usable split, and ground truth that explains the held-out clicks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from generec.data.sim import World

PEAK_RSS = (
    "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
)


@pytest.mark.slow
def test_demo_sized_world_metadata(tmp_path) -> None:
    out = tmp_path / "demo"
    cmd = [sys.executable, "-m", "generec", "world", "build", "--out", str(out), "--no-media", "-q"]
    proc = subprocess.run([sys.executable, "-c", PEAK_RSS, *cmd], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    peak_gib = int(proc.stdout.split()[-1]) / 1024**2
    assert peak_gib < 1.5
    world = World.load(out)
    assert (len(world.users), len(world.items)) == (2000, 1500)
    split = world.dataset().split()
    assert len(split.test) > 1000 and len(split.train) > 5 * len(split.test)
    # Ground truth ranks each user's held-out items above random items (AUC well above 0.5).
    sim = world.simulator()
    rng = np.random.default_rng(0)
    users = split.user_ids[split.test[:, 0]]
    pos = sim.utility(users, split.item_ids[split.test[:, 1]], pairwise=True)
    neg = sim.utility(users, split.item_ids[rng.integers(0, split.n_items, len(users))], pairwise=True)
    assert (pos > neg).mean() > 0.65
    # A few items render lazily, byte-stable.
    first = world.media_path("v0000042").read_bytes()
    world.media_path("v0000042").unlink()
    assert world.media_path("v0000042").read_bytes() == first
