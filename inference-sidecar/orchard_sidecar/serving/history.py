"""The conversation as the chat template gets it: system messages placed where the template can show
them, and the oldest turns dropped when a profile says a prompt too long for the window should shrink.

Pure list work plus one cached probe of the template per tokenizer.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

# Distinct strings for the probe; a template that shows a later system message prints them in order.
_PROBE_SYSTEM = "orchard-probe-system-7f3a"
_PROBE = [
    {"role": "user", "content": "orchard-probe-user-1"},
    {"role": "assistant", "content": "orchard-probe-assistant-1"},
    {"role": "system", "content": _PROBE_SYSTEM},
    {"role": "user", "content": "orchard-probe-user-2"},
]
_MID_SYSTEM: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def shows_later_system(tokenizer, render: Callable[[list[dict]], str]) -> bool:
    """True when the template renders a system message after the first turn, in place (ChatML, Llama 3);
    False when it raises (Mistral: roles must alternate) or drops it. Probed once per tokenizer."""
    try:
        return _MID_SYSTEM[tokenizer]
    except (KeyError, TypeError):
        pass
    try:
        text = render(_PROBE)
        at = text.find(_PROBE_SYSTEM)
        ok = text.find("orchard-probe-assistant-1") < at < text.find("orchard-probe-user-2")
    except Exception:
        ok = False
    try:
        _MID_SYSTEM[tokenizer] = ok
    except TypeError:
        pass
    return ok


def place_system_messages(messages: list[dict], keep_later: bool) -> list[dict]:
    """Leading system messages become one; a later one stays in place when the template shows it there,
    else it joins the system prompt, in order. Texts join with a blank line."""
    lead: list[str] = []
    later: list[str] = []
    rest: list[dict] = []
    for m in messages:
        is_system = m.get("role") == "system" and isinstance(m.get("content"), str)
        if is_system and not rest:
            lead.append(m["content"])
        elif is_system and not keep_later:
            later.append(m["content"])
        else:
            rest.append(m)
    if len(lead) <= 1 and not later:
        return list(messages)
    texts = [t for t in (*lead, *later) if t]
    return ([{"role": "system", "content": "\n\n".join(texts)}] if texts else []) + rest


def turns(messages: list[dict]) -> list[list[int]]:
    """Indexes of the droppable turns, oldest first: a turn starts at a user message and runs to the next
    one (assistant replies, tool calls and their results stay together). System messages are never in
    one, and the last turn is not droppable: it is the question being asked."""
    groups: list[list[int]] = []
    for i, m in enumerate(messages):
        if m.get("role") == "system":
            continue
        if m.get("role") == "user" or not groups:
            groups.append([])
        groups[-1].append(i)
    return groups[:-1]


def without_turns(messages: list[dict], groups: list[list[int]], count: int) -> list[dict]:
    """The conversation without its `count` oldest droppable turns."""
    gone = {i for g in groups[:count] for i in g}
    return [m for i, m in enumerate(messages) if i not in gone]


def has_later_system(messages: list[dict]) -> bool:
    """A system message after the first turn (only then is the template probed)."""
    seen_turn = False
    for m in messages:
        if m.get("role") != "system":
            seen_turn = True
        elif seen_turn:
            return True
    return False
