"""Implementations of ``core.ports.Broker``, and the choice among them."""

from __future__ import annotations

from backroom.core.ports import Broker
from backroom.settings import Settings

__all__ = ["make_broker"]


def make_broker(settings: Settings) -> Broker:
    """Redis when a URL is set (several nodes); the main process's hub when this is a worker
    of ``serve --workers N``; otherwise this process alone."""
    if settings.redis_url:
        from backroom.realtime.brokers.redis import RedisBroker

        return RedisBroker(settings.redis_url, settings.redis_channel)
    if settings.broker_socket:
        from backroom.realtime.brokers.socket import SocketBroker

        return SocketBroker(settings.broker_socket)
    from backroom.realtime.brokers.memory import InProcessBroker

    return InProcessBroker()
