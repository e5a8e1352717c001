"""Implementations of ``core.ports.FileStore``, and thumbnails."""
