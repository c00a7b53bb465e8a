"""The instructor: dialogue state, offline understanding, LLM backends, activation, guidance, exposure.

Paper §3.1: it pre-processes user instructions and feedback, decides whether to
retrieve, edit or create (§3.4 task 2), turns words and clicks into guidance,
and decides how generated items are exposed.

Example
-------
>>> from generec.instructor import ActivationPolicy, ExposurePolicy
>>> ActivationPolicy(negative_streak=3).negative_streak
3
"""

from generec.instructor.activation import (
    EDIT_TASKS,
    Action,
    Activation,
    ActivationPolicy,
    Create,
    Edit,
    Retrieve,
    negative_streak,
)
from generec.instructor.dialogue import ConstraintSet, DialogueManager, DialogueState, InMemoryTurnLog, TurnLog
from generec.instructor.exposure import AI_LABEL, Exposed, ExposureDecision, ExposureMode, ExposurePolicy
from generec.instructor.guidance import GuidanceBuilder
from generec.instructor.instructor import Decision, Instructor
from generec.instructor.schema import Constraint, Intent, ItemRef, RefKind, Slots, Understanding
from generec.instructor.vocabulary import Vocabulary

__all__ = [
    "AI_LABEL",
    "EDIT_TASKS",
    "Action",
    "Activation",
    "ActivationPolicy",
    "ConstraintSet",
    "Constraint",
    "Create",
    "Decision",
    "DialogueManager",
    "DialogueState",
    "Edit",
    "Exposed",
    "ExposureDecision",
    "ExposureMode",
    "ExposurePolicy",
    "GuidanceBuilder",
    "InMemoryTurnLog",
    "Instructor",
    "Intent",
    "ItemRef",
    "LLMUnderstanding",
    "OfflineUnderstanding",
    "RefKind",
    "Retrieve",
    "Slots",
    "TurnLog",
    "Understanding",
    "Vocabulary",
    "negative_streak",
]


def __getattr__(name: str):
    # The understanding pulls in the sentence encoder stack; import it only when asked for.
    if name == "OfflineUnderstanding":
        from generec.instructor.understanding import OfflineUnderstanding

        return OfflineUnderstanding
    if name == "LLMUnderstanding":
        from generec.instructor.llm import LLMUnderstanding

        return LLMUnderstanding
    raise AttributeError(f"module 'generec.instructor' has no attribute {name!r}")
