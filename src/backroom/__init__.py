"""Backroom: the backend behind an app, wire-compatible with PocketBase's Web API."""

__version__ = "0.1.0"
