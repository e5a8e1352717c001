"""The Broker port's contract, checked against every transport: in-process, the socket hub of
``serve --workers N``, and Redis pub/sub."""

from __future__ import annotations

import pytest
from _deployment import Deployment, until


async def test_a_publish_reaches_the_publishers_own_listeners(deployment: Deployment) -> None:
    broker = await deployment.process()
    got: list[bytes] = []
    broker.listen("posts", got.append)
    await broker.publish("posts", b"hello")
    await until(lambda: got == [b"hello"])


async def test_listeners_see_only_their_channel(deployment: Deployment) -> None:
    broker = await deployment.process()
    a: list[bytes] = []
    b: list[bytes] = []
    broker.listen("a", a.append)
    broker.listen("b", b.append)
    await broker.publish("b", b"1")
    await broker.publish("c", b"2")
    await broker.publish("a", b"3")
    await until(lambda: a == [b"3"])
    assert b == [b"1"]


async def test_publishes_arrive_in_publish_order_across_channels(deployment: Deployment) -> None:
    broker = await deployment.process()
    got: list[tuple[str, bytes]] = []
    broker.listen("a", lambda p: got.append(("a", p)))
    broker.listen("b", lambda p: got.append(("b", p)))
    sent = [("a" if i % 3 else "b", str(i).encode()) for i in range(2000)]
    for channel, payload in sent:
        await broker.publish(channel, payload)
    await until(lambda: len(got) == len(sent))
    assert got == sent


async def test_listeners_registered_before_start_receive(deployment: Deployment) -> None:
    broker = deployment.new()
    got: list[bytes] = []
    broker.listen("x", got.append)
    await broker.start()
    deployment.brokers.append(broker)
    await broker.publish("x", b"after start")
    await until(lambda: got == [b"after start"])


async def test_a_failing_listener_does_not_stop_the_others(deployment: Deployment) -> None:
    broker = await deployment.process()

    def bad(payload: bytes) -> None:
        raise RuntimeError("boom")

    got: list[bytes] = []
    broker.listen("x", bad)
    broker.listen("x", got.append)
    await broker.publish("x", b"1")
    await broker.publish("x", b"2")
    await until(lambda: got == [b"1", b"2"])


@pytest.mark.parametrize(
    ("channel", "payload"),
    [
        ("empty", b""),
        ("binary", bytes(range(256)) * 4),
        ("large", b"x" * (1 << 20)),
        ("chânnel/ünicode:*", b'{"action":"create"}'),
    ],
    ids=["empty payload", "every byte value", "one megabyte", "unicode channel"],
)
async def test_payloads_and_channels_arrive_unchanged(
    deployment: Deployment, channel: str, payload: bytes
) -> None:
    broker = await deployment.process()
    got: list[bytes] = []
    broker.listen(channel, got.append)
    await broker.publish(channel, payload)
    await broker.publish(channel, b"end")
    await until(lambda: len(got) == 2)
    assert got == [payload, b"end"]


async def test_a_counted_publish_is_delivered_and_counts_this_process(
    deployment: Deployment,
) -> None:
    broker = await deployment.process()
    got: list[bytes] = []
    broker.listen("x", got.append)
    assert await broker.publish_counted("x", b"1") == 1
    await until(lambda: got == [b"1"])


async def test_every_process_receives_every_publish(shared: Deployment) -> None:
    brokers = [await shared.process() for _ in range(3)]
    got: list[list[bytes]] = [[] for _ in brokers]
    for b, inbox in zip(brokers, got, strict=True):
        b.listen("posts", inbox.append)
    await brokers[1].publish("posts", b"from 1")
    await until(lambda: all(inbox == [b"from 1"] for inbox in got))


async def test_a_counted_publish_counts_every_process(shared: Deployment) -> None:
    brokers = [await shared.process() for _ in range(3)]
    assert await brokers[0].publish_counted("x", b"1") == 3
    await brokers[2].close()
    shared.brokers.remove(brokers[2])
    reached = []
    for _ in range(200):  # the closed one's goodbye reaches the hub or Redis on its own time
        reached.append(await brokers[0].publish_counted("x", b"2"))
        if reached[-1] == 2:
            break
    assert reached[-1] == 2
    assert set(reached) <= {2, 3}


async def test_each_publishers_order_holds_at_every_receiver(shared: Deployment) -> None:
    brokers = [await shared.process() for _ in range(3)]
    got: list[list[bytes]] = [[] for _ in brokers]
    for b, inbox in zip(brokers, got, strict=True):
        b.listen("c", inbox.append)
    for i in range(500):
        await brokers[0].publish("c", b"a%d" % i)
        await brokers[1].publish("c", b"b%d" % i)
    await until(lambda: all(len(inbox) == 1000 for inbox in got))
    for inbox in got:
        assert [p for p in inbox if p.startswith(b"a")] == [b"a%d" % i for i in range(500)]
        assert [p for p in inbox if p.startswith(b"b")] == [b"b%d" % i for i in range(500)]
    # one hub or one Redis channel: every process sees the same interleaving
    assert got[0] == got[1] == got[2]


async def test_a_closed_broker_no_longer_delivers(deployment: Deployment) -> None:
    broker = await deployment.process()
    got: list[bytes] = []
    broker.listen("x", got.append)
    await broker.publish("x", b"1")
    await until(lambda: got == [b"1"])
    await broker.close()
    deployment.brokers.remove(broker)
    await broker.publish("x", b"2")
    assert got == [b"1"]
