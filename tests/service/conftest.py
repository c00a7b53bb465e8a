"""Shared fixtures: one tiny GeneRec-Sim world loaded into a store, the composed system and its app.

The instructor here is :class:`KeywordInstructor`, a small rule-based implementation of the
``Instructor`` protocol: the real offline understanding takes minutes to fit on a busy 2-core
machine, and these tests are about the service (authz, jobs, media), not language understanding.
The slow test ``test_service_real_instructor`` runs the real one end to end.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generec.config import Settings
from generec.instructor import DialogueState
from generec.pipeline import GeneRec
from generec.pipeline_parts import Decision
from generec.store import MediaStore, Store
from generec.types import Guidance, Role, User

USERS = {"alice": Role.USER, "bob": Role.USER, "carol": Role.UPLOADER, "root": Role.ADMIN}


class KeywordInstructor:
    """Rule-based decisions: 'shorter' asks for a clip edit of the first shown item; else retrieve."""

    def decide(self, state: DialogueState) -> Decision:
        text = (state.instruction or "").lower()
        if "shorter" in text and state.shown:
            target = state.focus_item or state.shown[0]
            return Decision("edit_clip", "Making a shorter version.", "edit", "clipping", target,
                            Guidance(instruction_text=state.instruction, length_s=1.0))  # fmt: skip
        if "new video" in text:
            return Decision("create", "I'll try to make something new.", "create", "video")
        wants = {"category": tuple(w.rstrip("s") for w in text.split() if w.rstrip("s") in ("cat", "dog", "car"))}
        return Decision("recommend", "Here you go.", wants={k: v for k, v in wants.items() if v})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with a 12-user, 16-item world loaded (built once per test session)."""
    from generec.data.sim import World

    home = tmp_path_factory.mktemp("home")
    world = World.build(home / "world", users=12, items=16, seed=0, progress=False, overwrite=True)
    with Store.open(Settings(home=home)) as store:
        store.load_dataset(world.dataset(), MediaStore(home / "media"), progress=False)
        store.add_users([User(id=name, name=name.title(), role=role) for name, role in USERS.items()])
    return home


def copy_home(template: Path, dst: Path) -> Path:
    shutil.copytree(template, dst, ignore=shutil.ignore_patterns("world"))
    return dst


@pytest.fixture(scope="session")
def system(template_home: Path, tmp_path_factory: pytest.TempPathFactory) -> GeneRec:
    home = copy_home(template_home, tmp_path_factory.mktemp("shared") / "home")
    settings = Settings(home=home, service={"rate_per_s": 1000, "rate_burst": 1000, "max_jobs_per_user": 2})
    gr = GeneRec.from_config(settings, instructor=KeywordInstructor())
    yield gr
    gr.close()


@pytest.fixture(scope="session")
def tokens(system: GeneRec) -> dict[str, str]:
    return {name: system.store.create_token(name) for name in USERS}


@pytest.fixture(scope="session")
def client(system: GeneRec):
    from fastapi.testclient import TestClient

    from generec.service.app import create_app

    with TestClient(create_app(system, workers=1), raise_server_exceptions=False) as c:
        yield c


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def auth():
    """``auth(token)``: the headers that sign a request in."""
    return _auth


def _start_server(home: Path, port: int, slow_s: float = 0.0, mode: str = "") -> subprocess.Popen:
    import httpx

    script = Path(__file__).with_name("serve_for_tests.py")
    proc = subprocess.Popen([sys.executable, str(script), str(home), str(port), str(slow_s), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read().decode()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("the server did not start in 120 s")


@pytest.fixture
def live_server():
    """``live_server(home, slow_s=0, mode="") -> (process, base_url)``: the real service in its own process
    (``mode="editors"``: every runner the home's models allow; see serve_for_tests.py)."""
    started: list[subprocess.Popen] = []

    def start(home: Path, slow_s: float = 0.0, mode: str = "") -> tuple[subprocess.Popen, str]:
        port = free_port()
        proc = _start_server(home, port, slow_s, mode)
        started.append(proc)
        return proc, f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
