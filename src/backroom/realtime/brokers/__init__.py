"""Implementations of ``core.ports.Broker``."""
