"""The geoPoint field: a longitude and a latitude."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from backroom.core.fields.base import Column, ColumnKind, Field, FieldContext
from backroom.core.fields.common import REQUIRED, as_number, invalid
from backroom.errors import ErrorDetail

__all__ = ["GeoPointField"]


@dataclass(kw_only=True)
class GeoPointField(Field):
    type = "geoPoint"

    required: bool = False

    @property
    def column(self) -> Column:
        return Column(ColumnKind.JSON, '{"lon":0,"lat":0}')

    def zero(self) -> Any:
        return {"lon": 0, "lat": 0}

    def normalize(self, raw: Any) -> Any:
        if raw is None or raw == "":
            return self.zero()
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise invalid() from None
        if not isinstance(raw, dict):
            raise invalid()
        return {"lon": as_number(raw.get("lon", 0)), "lat": as_number(raw.get("lat", 0))}

    def to_db(self, value: Any) -> Any:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def from_db(self, value: Any) -> Any:
        try:
            return self.normalize(value)
        except ValueError:
            return self.zero()

    def validate(self, value: Any, ctx: FieldContext) -> ErrorDetail | None:
        lon, lat = value.get("lon", 0), value.get("lat", 0)
        if not (math.isfinite(lon) and -180 <= lon <= 180):
            return ErrorDetail(
                "validation_invalid_longitude", "Longitude must be between -180 and 180 degrees."
            )
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            return ErrorDetail(
                "validation_invalid_latitude", "Latitude must be between -90 and 90 degrees."
            )
        if lon == 0 and lat == 0 and self.required:
            return REQUIRED
        return None
