"""Run the real service on 127.0.0.1 for the live tests: ``python serve_for_tests.py HOME PORT [SLOW_S] [editors]``.

``SLOW_S`` > 0 makes the clip job report progress for that many seconds before trimming, so a
test can kill the server while the job is running. ``editors``: every runner this home's models
allow (``default_runners``), and requests routed to revision and cover generation too.
``pictures``: the real instructor (its understanding reads every turn as a recommendation; the
instructor reads a picture's use from the words itself) and a small style transfer runner.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import uvicorn

from generec.config import Settings
from generec.pipeline import GeneRec
from generec.pipeline_parts import Decision
from generec.pipeline_runners import TrimRunner
from generec.service.app import create_app
from generec.types import Guidance


class ShorterInstructor:
    def decide(self, state):  # noqa: ANN001, ANN201
        if "shorter" in (state.instruction or "") and state.shown:
            target = state.focus_item or state.shown[0]
            return Decision("edit_clip", "Making a shorter version.", "edit", "clipping", target,
                            Guidance(instruction_text=state.instruction, length_s=1.0))  # fmt: skip
        return Decision("recommend", "Here you go.")


class SlowTrim(TrimRunner):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def run(self, parent, source, guidance, out_dir, progress):  # noqa: ANN001, ANN201
        steps = max(1, int(self.seconds / 0.2))
        for n in range(steps):
            progress(0.05 + 0.5 * n / steps, f"slow step {n + 1}/{steps}")
            time.sleep(0.2)
        return super().run(parent, source, guidance, out_dir, progress)


class EditorInstructor(ShorterInstructor):
    """Also 'redo ...' -> revision and '... cover ...' -> cover generation of the focused item.

    The real understanding routes these words the same way (tests/instructor/test_instructor_facets.py);
    it takes minutes to fit on a busy machine, and this test is about the page and the jobs.
    """

    def decide(self, state):  # noqa: ANN001, ANN201
        text = state.instruction or ""
        task = "revision" if text.startswith("redo") else "thumbnail_generation" if "cover" in text else None
        if task is None or not state.focus_item:
            return super().decide(state)
        return Decision("edit", "On it.", "edit", task, state.focus_item, Guidance(instruction_text=text))


class EveryTurnARecommendation:
    def understand(self, text):  # noqa: ANN001, ANN201
        from generec.instructor.schema import Intent, Understanding

        return Understanding(Intent.RECOMMEND, 0.9)


def main() -> None:
    home, port = Path(sys.argv[1]), int(sys.argv[2])
    slow = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    settings = Settings(home=home, service={"port": port, "workers": 1, "rate_per_s": 1000, "rate_burst": 1000})
    if mode == "pictures":
        from generec.instructor.instructor import Instructor
        from generec.pipeline_runners import StyleRunner

        runners = {"style_transfer": StyleRunner(size=64, max_seconds=0.3)}
        generec = GeneRec.from_config(settings, instructor=Instructor(EveryTurnARecommendation()), runners=runners)
    elif mode == "editors":
        generec = GeneRec.from_config(settings, instructor=EditorInstructor())
    else:
        runners = {"clipping": SlowTrim(slow) if slow > 0 else TrimRunner()}
        generec = GeneRec.from_config(settings, instructor=ShorterInstructor(), runners=runners)
    uvicorn.run(create_app(generec), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
