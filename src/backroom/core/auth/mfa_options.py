"""An auth collection's ``mfa`` option, ``{enabled, duration, rule}``, as PocketBase keeps it.

``enabled`` asks every sign-in (the ``rule`` decides whose; empty means everyone's) for a
second one by another method; ``duration`` is how many seconds the first one stays good for.
A client sets the option key by key: a key it leaves out keeps its value, ``null`` (for a key
or the whole option) means the zero value, and a value of the wrong JSON type is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backroom.core.collections.model import Collection
from backroom.errors import BadRequestError, ErrorDetail

__all__ = ["MfaOptions", "apply_mfa_input", "mfa_option_error", "mfa_options"]

_DEFAULT_DURATION = 600
_MIN_DURATION = 10
_MAX_DURATION = 86400
_FORMAT = "Failed to load the submitted data due to invalid formatting."
_ZERO: dict[str, Any] = {"enabled": False, "duration": 0, "rule": ""}


@dataclass(frozen=True, slots=True)
class MfaOptions:
    enabled: bool
    duration: int
    rule: str

    @property
    def lifetime(self) -> int:
        """Seconds a first sign-in waits for its second one (a stored 0 means the default)."""
        return self.duration if self.duration > 0 else _DEFAULT_DURATION


def mfa_options(c: Collection) -> MfaOptions:
    raw = c.options.get("mfa")
    raw = raw if isinstance(raw, Mapping) else {}
    duration, rule = raw.get("duration"), raw.get("rule")
    return MfaOptions(
        enabled=raw.get("enabled") is True,
        duration=duration if isinstance(duration, int) else _DEFAULT_DURATION,
        rule=rule if isinstance(rule, str) else "",
    )


def _of_type(key: str, value: Any) -> bool:
    if key == "duration":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, bool if key == "enabled" else str)


def apply_mfa_input(c: Collection, value: Any) -> None:
    """Set ``c``'s option from a client's JSON value."""
    if value is None:
        c.options["mfa"] = dict(_ZERO)
        return
    if not isinstance(value, Mapping):
        raise BadRequestError(_FORMAT)
    current = mfa_options(c)
    out: dict[str, Any] = {
        "enabled": current.enabled,
        "duration": current.duration,
        "rule": current.rule,
    }
    for key, zero in _ZERO.items():
        if key not in value:
            continue
        item = value[key]
        if item is not None and not _of_type(key, item):
            raise BadRequestError(_FORMAT)
        out[key] = zero if item is None else item
    c.options["mfa"] = out


def _sign_in_methods(c: Collection) -> int:
    count = 0
    for name in ("passwordAuth", "otp", "oauth2"):
        option = c.options.get(name)
        if isinstance(option, Mapping) and option.get("enabled") is True:
            count += 1
    return count


def mfa_option_error(c: Collection) -> dict[str, ErrorDetail]:
    """What is wrong with an enabled option other than its rule, keyed by the option's key."""
    options = mfa_options(c)
    if not options.enabled:
        return {}
    if options.duration == 0:
        return {"duration": ErrorDetail("validation_required", "Cannot be blank.")}
    if options.duration < _MIN_DURATION:
        return {
            "duration": ErrorDetail(
                "validation_min_greater_equal_than_required",
                f"Must be no less than {_MIN_DURATION}.",
                {"threshold": _MIN_DURATION},
            )
        }
    if options.duration > _MAX_DURATION:
        return {
            "duration": ErrorDetail(
                "validation_max_less_equal_than_required",
                f"Must be no greater than {_MAX_DURATION}.",
                {"threshold": _MAX_DURATION},
            )
        }
    if _sign_in_methods(c) < 2:
        return {
            "enabled": ErrorDetail(
                "validation_mfa_not_enough_auths",
                "MFA requires at least 2 auth methods to be enabled.",
            )
        }
    return {}
