"""The single-process broker delivers to this process's listeners, in order, per channel."""

from __future__ import annotations

from backroom.realtime.brokers.memory import InProcessBroker


async def test_listeners_get_what_is_published_on_their_channel_in_order() -> None:
    broker = InProcessBroker()
    got: list[tuple[str, bytes]] = []
    broker.listen("a", lambda p: got.append(("a", p)))
    broker.listen("b", lambda p: got.append(("b", p)))
    await broker.start()
    for p in (b"1", b"2"):
        await broker.publish("a", p)
    await broker.publish("b", b"3")
    await broker.publish("c", b"4")
    assert got == [("a", b"1"), ("a", b"2"), ("b", b"3")]


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    broker = InProcessBroker()
    got: list[bytes] = []

    def bad(payload: bytes) -> None:
        raise RuntimeError("boom")

    broker.listen("a", bad)
    broker.listen("a", got.append)
    await broker.publish("a", b"x")
    assert got == [b"x"]
    await broker.close()
    await broker.publish("a", b"y")
    assert got == [b"x"]
