"""SQL functions the filter language needs and SQLite lacks, registered on every connection."""

from __future__ import annotations

import math

from backroom.storage.sqlite.driver import sqlite3

__all__ = ["EARTH_RADIUS_KM", "geo_distance", "register"]

EARTH_RADIUS_KM = 6371.0


def geo_distance(lon_a: object, lat_a: object, lon_b: object, lat_b: object) -> float | None:
    """The great-circle (haversine) distance in kilometres, as PocketBase's geoDistance()."""
    try:
        lon1, lat1, lon2, lat2 = (math.radians(float(v)) for v in (lon_a, lat_a, lon_b, lat_b))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("geo_distance", 4, geo_distance, deterministic=True)
