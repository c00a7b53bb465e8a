"""Negation and scope: which values a user does *not* want, and whether a wish is a standing rule.

A negation cue ("no", "skip", "stop showing", "anything but", "tired of", "filter
out") opens a scope; values inside it are exclusions, not wishes. "keep the dogs
out" closes one after its values. A negated *rule* ("you don't have to stick to
dogs") negates the restriction, not the value. Three more cues say how far a wish
reaches: ``restrict`` ("only", "just", "stick to": wanted values become a standing
requirement), ``standing`` ("from now on", "anymore", "never": the wish outlives
the turn), ``revoke`` ("again", "bring back", "unblock": a rule may be lifted) and
``lift`` (a negated rule: "no need to stick to dogs" lifts the rule for sure).

:func:`rescope` then says where a negation belongs (paper §3.1: the instructor turns
instructions into guidance and standing wishes): "no more dogs" is a standing
exclusion, not a dislike of the item on screen; "not cats but dogs" asks for dogs now
and keeps cats out, without restricting the feed to dogs.

Example
-------
>>> tokens = "skip anything set in the city from now on".split()
>>> negated(tokens, [(5, 6, "city")]), sorted(cues(tokens))
({0}, ['standing'])
"""

from __future__ import annotations

from collections.abc import Sequence

from generec.instructor.schema import Intent, ItemRef, RefKind


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATION_CUES = _words(
    "no not without never except excluding avoid none nothing stop hate don't dont doesn't isn't aren't "
    "won't remove drop lose replace minus fewer less neither nor ban block exclude hide skip"
)
# Two-word cues: "anything but birds", "tired of cats", "filter out the city", "get rid of the pink stuff".
NEGATION_PAIRS = frozenset(
    {
        ("anything", "but"), ("everything", "but"), ("all", "but"), ("instead", "of"), ("rather", "than"),
        ("tired", "of"), ("sick", "of"), ("enough", "of"), ("enough", "with"), ("rid", "of"), ("filter", "out"),
        ("weed", "out"), ("leave", "out"), ("fed", "up"), ("bored", "of"), ("bored", "with"),
    }
)  # fmt: skip
_CONNECTORS = _words("and or nor , any more either of the a an those these all")
_BREAKERS = _words("but instead rather with show give make want prefer like only just . ; ! ?")
_MAX_GAP = 4
# A negated restriction lifts the rule, it does not exclude the value: "you don't have to stick to dogs".
_RULE_WORDS = _words("stick limit limited restrict restricted only just have need")
_KEEP_OUT = _words("out away off")

RESTRICT, STANDING, REVOKE, LIFT = "restrict", "standing", "revoke", "lift"
_RESTRICT_WORDS = _words("only just exclusively solely stick limit restrict")
_STANDING_WORDS = _words("anymore forever permanently never always ever henceforth")
_REVOKE_WORDS = _words("unblock unban undo lift allow allowed back fine ok okay matter reset")


def negated(tokens: Sequence[str], spans: Sequence[tuple[int, int, str]]) -> set[int]:
    """Indices (into ``spans``, sorted ``(start, end, value)`` over ``tokens``) of values the user excludes."""
    starts = {s: k for k, (s, _, _) in enumerate(spans)}
    out: set[int] = set()
    active, gap, seen_value, i = False, 0, False, 0
    while i < len(tokens):
        tok = tokens[i]
        if i in starts:
            k = starts[i]
            if active:
                out.add(k)
                seen_value, gap = True, 0
            i = spans[k][1]
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else "."
        if (tok, nxt) in NEGATION_PAIRS:
            active, gap, seen_value = True, 0, False
            i += 2
            continue
        # "no, I meant dogs": an interjection "no" negates nothing.
        if tok in NEGATION_CUES and not (tok == "no" and nxt in ".,;!?"):
            active, gap, seen_value = True, 0, False
        elif active:
            # "with" ends a scope only after its value ("no cats with dogs instead") and keeps one open
            # before it ("block videos with cars"): it is a scope breaker, not a hard break.
            hard_break = tok in ".;!?" or tok in {"but", "instead"}
            # Before its value a scope ends at a rule word ("don't have to stick to"); after it, at a breaker.
            breaks = tok in _BREAKERS or tok not in _CONNECTORS if seen_value else tok in _RULE_WORDS
            if hard_break or breaks:
                active = False
            elif not seen_value and tok not in _CONNECTORS:
                gap += 1
                active = gap <= _MAX_GAP
        i += 1
    return out | _kept_out(tokens, spans)


def _kept_out(tokens: Sequence[str], spans: Sequence[tuple[int, int, str]]) -> set[int]:
    """Values between "keep" and a closing "out" / "away" / "off": "keep the dogs out"."""
    out: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok != "keep":
            continue
        for j in range(i + 1, min(i + 8, len(tokens))):
            if tokens[j] in ".;!?" or tokens[j] == "but":
                break
            if tokens[j] in _KEEP_OUT:
                out |= {k for k, (s, _, _) in enumerate(spans) if i < s < j}
                break
    return out


def cues(tokens: Sequence[str]) -> frozenset[str]:
    """Which of ``restrict``, ``standing`` and ``revoke`` the words carry."""
    pairs = set(zip(tokens, tokens[1:], strict=False))
    found = set()
    if not _RESTRICT_WORDS.isdisjoint(tokens) or ("nothing", "but") in pairs:
        found.add(RESTRICT)
    if not _STANDING_WORDS.isdisjoint(tokens) or {("now", "on"), ("going", "forward"), ("no", "longer")} & pairs:
        found.add(STANDING)
    negation = not NEGATION_CUES.isdisjoint(tokens)
    if not _REVOKE_WORDS.isdisjoint(tokens) or ("again" in tokens and not negation) or ("my", "mind") in pairs:
        found.add(REVOKE)
    # "you don't have to stick to dogs", "no need to limit me to cats": a negated rule is a rule lifted.
    for i, tok in enumerate(tokens):
        if tok in NEGATION_CUES and any(t in _RULE_WORDS - {"only", "just"} for t in tokens[i + 1 : i + 4]):
            found |= {LIFT, REVOKE}
    return frozenset(found)


def rescope(
    intent: Intent,
    excluded: bool,
    wanted: bool,
    references: Sequence[ItemRef],
    found: frozenset[str],
) -> Intent:
    """The intent once negation is put where it belongs (see the module docstring)."""
    if LIFT in found and intent in (Intent.SET_CONSTRAINT, Intent.DISLIKE, Intent.RECOMMEND):
        return Intent.CLEAR_CONSTRAINT
    if not excluded:
        return intent
    points_at_item = any(r.kind is not RefKind.DEICTIC for r in references)
    if intent is Intent.DISLIKE and not points_at_item:
        return Intent.RECOMMEND if wanted else Intent.SET_CONSTRAINT  # "rather than cats, show me dogs"
    if intent is Intent.SET_CONSTRAINT and wanted and RESTRICT not in found:
        return Intent.RECOMMEND
    if intent is Intent.RECOMMEND and not wanted and STANDING in found:
        return Intent.SET_CONSTRAINT  # "nothing with cars from now on"
    if intent is Intent.EDIT_STYLE and not wanted and not points_at_item:
        return Intent.SET_CONSTRAINT  # "no sepia please": a restyle needs a style to go to
    return intent
