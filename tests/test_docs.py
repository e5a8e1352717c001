"""Every setting and every CLI option is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from backroom.cli.main import main
from backroom.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, cmd in group.commands.items():
        full = f"{prefix} {name}".strip()
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full))
    return out


@pytest.mark.parametrize("name", Settings.names())
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in (DOCS / "configuration.md").read_text()


@pytest.mark.parametrize(("command", "cmd"), _commands(main), ids=lambda v: str(v))
def test_every_cli_command_and_option_is_documented(command: str, cmd: click.Command) -> None:
    text = (DOCS / "cli.md").read_text()
    assert f"backroom {command}" in text
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert any(f"`{opt}" in text for opt in param.opts), f"{command}: {param.opts}"
