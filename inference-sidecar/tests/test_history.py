"""The conversation before the template: where system messages go, which turns drop_oldest removes, and
the keep-alive marker for silent streams."""

from __future__ import annotations

import asyncio

import pytest

from orchard_sidecar.serving.history import (
    has_later_system,
    place_system_messages,
    shows_later_system,
    turns,
    without_turns,
)
from orchard_sidecar.serving.keepalive import PING, with_pings


def msg(role, content="x", **kw):
    return {"role": role, "content": content, **kw}


def test_leading_system_messages_become_one():
    out = place_system_messages([msg("system", "a"), msg("system", "b"), msg("user", "u")], keep_later=False)
    assert out == [msg("system", "a\n\nb"), msg("user", "u")]


def test_later_system_kept_in_place_or_folded_in_order():
    convo = [msg("system", "top"), msg("user", "u1"), msg("system", "mid"), msg("assistant", "a"),
             msg("system", "late"), msg("user", "u2")]
    assert place_system_messages(convo, keep_later=True) == convo
    assert place_system_messages(convo, keep_later=False) == [
        msg("system", "top\n\nmid\n\nlate"), msg("user", "u1"), msg("assistant", "a"), msg("user", "u2")]
    # No top-level system: the later ones make one.
    assert place_system_messages([msg("user", "u"), msg("system", "s")], keep_later=False) == [
        msg("system", "s"), msg("user", "u")]
    assert has_later_system(convo) and not has_later_system([msg("system"), msg("user")])


def test_template_probe_is_cached_per_tokenizer():
    class Tok:
        pass

    calls = []

    def shows(messages):
        calls.append(1)
        return "".join(f"<{m['role']}>{m['content']}" for m in messages)

    def drops(messages):
        return "".join(m["content"] for m in messages if m["role"] != "system")

    def raises(messages):
        raise ValueError("Conversation roles must alternate")

    tok = Tok()
    assert shows_later_system(tok, shows) and shows_later_system(tok, shows) and len(calls) == 1
    assert not shows_later_system(Tok(), drops)
    assert not shows_later_system(Tok(), raises)


def test_turns_keep_calls_with_their_results_and_spare_the_last_question():
    convo = [msg("system"), msg("user", "q1"), msg("assistant", "", tool_calls=[{}]), msg("tool", "r"),
             msg("assistant", "a1"), msg("system", "reminder"), msg("user", "q2"), msg("assistant", "a2"),
             msg("user", "q3")]
    groups = turns(convo)
    assert groups == [[1, 2, 3, 4], [6, 7]]
    assert without_turns(convo, groups, 1) == [msg("system"), msg("system", "reminder"), msg("user", "q2"),
                                               msg("assistant", "a2"), msg("user", "q3")]
    assert without_turns(convo, groups, 2) == [msg("system"), msg("system", "reminder"), msg("user", "q3")]
    assert turns([msg("user", "only")]) == []


@pytest.mark.parametrize("delays,expected", [
    ([0.0, 0.0], ["a", "b"]),
    ([0.25, 0.0], [PING, "a", "b"]),
])
def test_pings_fill_silences(delays, expected):
    async def source():
        for item, delay in zip(["a", "b"], delays, strict=True):
            await asyncio.sleep(delay)
            yield item

    async def run():
        got = [x async for x in with_pings(source(), 0.1)]
        # A silence of 0.25 s at an interval of 0.1 s: two pings (timers may run late, never early).
        return [x for i, x in enumerate(got) if x is not PING or i == 0 or got[i - 1] is not PING]

    assert asyncio.run(run()) == expected


def test_pings_stop_cleanly_when_the_consumer_leaves():
    closed = []

    async def source():
        try:
            await asyncio.sleep(10)
            yield "never"
        finally:
            closed.append(True)

    async def run():
        gen = with_pings(source(), 0.01)
        assert await gen.__anext__() is PING
        await gen.aclose()

    asyncio.run(run())
    assert closed == [True]
