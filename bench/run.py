"""Backroom vs PocketBase, side by side in one run.

Both servers are seeded identically through the public API, each runs pinned to core 0 with
its default settings, and wrk runs pinned to core 1. Each scenario is repeated, alternating the
servers, and the median is reported. Writes docs/benchmarks.md.

    python bench/run.py [--duration 10] [--connections 32] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from seed import seed
from servers import EMAIL, PASSWORD, Server, start_backroom, start_pocketbase
from wrk import WrkResult, require_wrk, run_wrk

ROOT = Path(__file__).resolve().parents[1]
LIST = "/api/collections/posts/records?page=1&perPage=20&filter=views%3E100&sort=-created"


@dataclass
class Scenario:
    name: str
    script: str
    paths: list[str]
    bar: float | None
    token: str = ""  # sent as Authorization when set
    env: dict[str, str] = field(default_factory=dict)  # more variables for the wrk script
    timeout: int = 2  # seconds wrk waits for one answer


def _scenarios(post_ids: list[str]) -> list[Scenario]:
    views = [f"/api/collections/posts/records/{i}" for i in post_ids[:2000]]
    return [
        Scenario("view one record", "get.lua", views, 1.0),
        Scenario("list page 1 (filter, sort, total)", "get.lua", [LIST], 2.0),
        Scenario("list page 1 with skipTotal", "get.lua", [LIST + "&skipTotal=1"], None),
        Scenario("create", "create.lua", [], None),
    ]


def _measure(server: Server, sc: Scenario, args: argparse.Namespace, work: Path) -> WrkResult:
    paths = work / f"paths-{server.name}.txt"
    paths.write_text("\n".join(sc.paths) + "\n")
    env = {**os.environ, "BENCH_PATHS": str(paths), "BENCH_TOKEN": sc.token, **sc.env}
    run_wrk(
        server.base,
        script=sc.script,
        env=env,
        duration=2,
        connections=args.connections,
        core=1,
        timeout=sc.timeout,
    )
    return run_wrk(
        server.base,
        script=sc.script,
        env=env,
        duration=args.duration,
        connections=args.connections,
        core=1,
        timeout=sc.timeout,
    )


def _versions() -> tuple[str, str]:
    from backroom import __version__

    bin_dir = Path(sys.executable).parent
    pb = subprocess.run([str(bin_dir / "pocketbase"), "--version"], capture_output=True, text=True)
    return __version__, pb.stdout.strip()


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def arguments(doc: str) -> argparse.ArgumentParser:
    """The options every side-by-side run takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    return parser


def side_by_side(
    args: argparse.Namespace,
    prepare: Callable[[Server], list[Scenario]],
    section: str,
    script: str,
    extra: Callable[[list[Server], Path], list[str]] | None = None,
) -> None:
    """Start both servers, let ``prepare`` seed each and name its scenarios, measure them,
    print the table and write it into the ``section`` of docs/benchmarks.md. ``extra``
    measures more while the servers still run and returns lines to add below the table."""
    require_wrk()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        servers = [start_backroom(work, 0), start_pocketbase(work, 0)]
        try:
            per_server = {}
            for s in servers:
                print(f"seeding {s.name} ...", flush=True)
                per_server[s.name] = prepare(s)
            results = measure_all(servers, per_server, args, work)
            more = extra(servers, work) if extra is not None else []
        finally:
            for s in servers:
                s.stop()
    rows = table(per_server["backroom"], results) + more
    print("\n" + "\n".join(rows))
    if not args.no_write:
        write_doc(rows, args, section, script)


def main() -> None:
    parser = arguments(__doc__ or "")
    parser.add_argument("--posts", type=int, default=10_000)
    args = parser.parse_args()

    def prepare(server: Server) -> list[Scenario]:
        seeded = asyncio.run(seed(server.base, EMAIL, PASSWORD, posts=args.posts))
        return _scenarios(seeded.post_ids)

    side_by_side(args, prepare, "results", "bench/run.py")


def measure_all(
    servers: list[Server],
    per_server: dict[str, list[Scenario]],
    args: argparse.Namespace,
    work: Path,
) -> dict[tuple[str, str], list[WrkResult]]:
    """Each scenario on each server, ``args.repeat`` times, alternating which goes first."""
    results: dict[tuple[str, str], list[WrkResult]] = {}
    for index, sc in enumerate(per_server["backroom"]):
        for rep in range(args.repeat):
            order = servers if rep % 2 == 0 else servers[::-1]
            for s in order:
                r = _measure(s, per_server[s.name][index], args, work)
                results.setdefault((sc.name, s.name), []).append(r)
                print(
                    f"{sc.name:44} {s.name:10} {r.rps:9.0f} req/s  p99 {r.p99_ms:7.1f} ms"
                    f"  errors {r.errors}",
                    flush=True,
                )
    return results


def _median(rs: list[WrkResult]) -> tuple[float, float, int]:
    p99s = [r.p99_ms for r in rs if not math.isnan(r.p99_ms)]
    return (
        statistics.median(r.rps for r in rs),
        statistics.median(p99s) if p99s else math.nan,
        sum(r.errors for r in rs),
    )


def table(scenarios: list[Scenario], results: dict[tuple[str, str], list[WrkResult]]) -> list[str]:
    rows = [
        "| scenario | Backroom req/s | PocketBase req/s | ratio | Backroom p99 | PocketBase p99 "
        "| errors (B/P) | bar |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for sc in scenarios:
        b_rps, b_p99, b_err = _median(results[(sc.name, "backroom")])
        p_rps, p_p99, p_err = _median(results[(sc.name, "pocketbase")])
        ratio = b_rps / p_rps if p_rps else float("inf")
        bar = "-"
        if sc.bar is not None:
            ok = ratio >= sc.bar and b_err == 0
            bar = f"≥ {sc.bar:.1f}x: {'pass' if ok else 'FAIL'}"
        rows.append(
            f"| {sc.name} | {b_rps:,.0f} | {p_rps:,.0f} | {ratio:.2f}x | {b_p99:.1f} ms "
            f"| {p_p99:.1f} ms | {b_err}/{p_err} | {bar} |"
        )
    return rows


def write_doc(rows: list[str], args: argparse.Namespace, section: str, script: str) -> None:
    """Replace the ``<!-- section -->`` block of docs/benchmarks.md with ``rows``."""
    ours, pb = _versions()
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else ""
    marker, end = f"<!-- {section} -->", f"<!-- /{section} -->"
    head, _, tail = text.partition(marker)
    _, _, tail = tail.partition(end)
    block = "\n".join(
        [
            marker,
            f"Measured {datetime.date.today().isoformat()} on {os.cpu_count()} cores ({_cpu()}); "
            f"Backroom {ours}, PocketBase {pb}; `python {script} --duration {args.duration} "
            f"--connections {args.connections} --repeat {args.repeat}`. "
            f"Medians of {args.repeat} runs.",
            "",
            *rows,
            end,
        ]
    )
    doc.write_text(head + block + tail if head or tail else block + "\n")


if __name__ == "__main__":
    main()
