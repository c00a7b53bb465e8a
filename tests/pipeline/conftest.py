"""A tiny GeneRec-Sim world in a store, and a GeneRec composed on it with a rule-based instructor.

The rule-based instructor implements the ``Instructor`` protocol so these tests exercise the loop
(storage order, jobs, fidelity, exposure); the real offline understanding is another area's
and takes minutes to fit on a busy 2-core machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generec.config import Settings
from generec.instructor import DialogueState
from generec.pipeline import GeneRec
from generec.pipeline_parts import Decision
from generec.store import MediaStore, Store
from generec.types import Guidance, User


class RuleInstructor:
    """'no cats' -> a standing constraint; 'shorter' -> clip edit; 'fail' -> raises; else retrieve."""

    def decide(self, state: DialogueState) -> Decision:
        text = state.instruction or ""
        if text.startswith("no "):  # a standing wish, kept by the real dialogue state
            state.constraints.exclude("category", text[3:])
            return Decision("set_constraint", "Noted.")
        if "fail" in text:
            raise RuntimeError("the instructor broke")
        if "shorter" in text and state.shown:
            return Decision("edit_clip", "Shortening it.", "edit", "clipping", state.focus_item or state.shown[0],
                            Guidance(instruction_text=text, length_s=1.0))  # fmt: skip
        return Decision("recommend", "Here you go.", wants={"category": ("dog",)} if "dog" in text else {})


@pytest.fixture(scope="session")
def loop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from generec.data.sim import World

    home = tmp_path_factory.mktemp("loop")
    world = World.build(home / "world", users=10, items=14, seed=1, progress=False, overwrite=True)
    with Store.open(Settings(home=home)) as store:
        store.load_dataset(world.dataset(), MediaStore(home / "media"), progress=False)
        store.add_users([User(id="ann"), User(id="ben")])
    return home


@pytest.fixture
def loop(loop_template: Path, tmp_path: Path):
    """A fresh copy of the world per test, composed with the default ranker, runners and fidelity policy."""
    home = tmp_path / "home"
    shutil.copytree(loop_template, home, ignore=shutil.ignore_patterns("world"))
    gr = GeneRec.from_config(Settings(home=home), instructor=RuleInstructor())
    yield gr
    gr.close()


@pytest.fixture(scope="session")
def creation_checkpoint(loop_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A tiny creation model trained for a few steps on the test world (seconds): real, only not converged."""
    import torch

    from generec.creator import train_creation
    from generec.data.sim import World
    from generec.diffusion import TrainSettings
    from generec.encoders.dual import GeneRecEncoder

    out = tmp_path_factory.mktemp("creation") / "creation"
    encoder = GeneRecEncoder(seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models train faster on one thread of a shared machine
    try:
        train_creation(World.load(loop_template / "world"), encoder, out, preset="tiny",
                       settings=TrainSettings(steps=3, batch_size=4, checkpoint_every=100), progress=False)  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    return out, encoder
