"""Questions: asked on the broker, answered by the one process that can."""

from __future__ import annotations

import asyncio
from typing import Any

from _deployment import Deployment

from backroom.realtime.asking import Questions
from backroom.realtime.brokers.memory import InProcessBroker


def _holder(name: str, held: set[str]) -> Any:
    async def answer(question: dict[str, Any]) -> Any:
        return f"{name} holds {question['c']}" if question["c"] in held else None

    return answer


async def test_the_process_that_can_answers_and_the_others_stay_silent(
    shared: Deployment,
) -> None:
    a = Questions(await shared.process(), "q", _holder("a", {"x"}))
    b = Questions(await shared.process(), "q", _holder("b", {"y"}))
    Questions(await shared.process(), "q", _holder("c", set()))
    assert await a.ask({"c": "y"}) == "b holds y"
    assert await b.ask({"c": "x"}) == "a holds x"
    # the asker is never asked: it looked at home first
    assert await a.ask({"c": "x"}) is None


async def test_nobody_answering_is_none_after_the_timeout(shared: Deployment) -> None:
    a = Questions(await shared.process(), "q", _holder("a", set()), timeout=0.2)
    Questions(await shared.process(), "q", _holder("b", set()), timeout=0.2)
    assert await a.ask({"c": "nobody"}) is None


async def test_a_single_process_gets_none_without_waiting() -> None:
    # no other process heard the question (publish_counted says so): nothing to wait for
    a = Questions(InProcessBroker(), "q", _holder("a", {"x"}), timeout=30)
    assert await asyncio.wait_for(a.ask({"c": "x"}), 5) is None


async def test_malformed_questions_and_answers_are_ignored(shared: Deployment) -> None:
    broker = await shared.process()
    a = Questions(broker, "q", _holder("a", set()), timeout=0.5)
    b = Questions(await shared.process(), "q", _holder("b", {"y"}))
    for junk in (b"not json", b"[]", b'{"q": 1}', b'{"q": {}, "r": "x", "n": "1"}'):
        await broker.publish("q", junk)
    assert await a.ask({"c": "y"}) == "b holds y"
    assert await b.ask({"c": "z"}) is None
