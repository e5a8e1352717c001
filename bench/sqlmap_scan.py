"""Run sqlmap against a live Backroom: every list parameter and the path segments.

    make sqlmap

Seeds a small rule-protected posts collection, then lets sqlmap try its SQLite injection
techniques on ``filter``, ``sort``, ``fields``, ``expand``, ``page`` and ``perPage`` of the list
endpoint, on the record id of the view endpoint and on the collection name, as a guest (so a
successful injection would also escape the list rule). Exits non-zero if sqlmap reports any
injectable parameter.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from seed import seed
from servers import EMAIL, PASSWORD, start_backroom

TARGETS = [
    "/api/collections/posts/records?filter=views%3E1&sort=-created&fields=id,title"
    "&expand=author&page=1&perPage=5",
    "/api/collections/posts/records/{post}*",
    "/api/collections/posts*/records?perPage=1",
]


def sqlmap_cmd(url: str, out: Path, level: int, risk: int) -> list[str]:
    exe = shutil.which("sqlmap") or str(Path(sys.executable).parent / "sqlmap")
    return [
        exe,
        "-u",
        url,
        "--batch",
        "--dbms=SQLite",
        f"--level={level}",
        f"--risk={risk}",
        "--threads=4",
        f"--output-dir={out}",
        "--disable-coloring",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("--risk", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = start_backroom(work, core=0)
        try:
            seeded = asyncio.run(
                seed(server.base, EMAIL, PASSWORD, posts=50, users=5, with_rule=True)
            )
            found = []
            for target in TARGETS:
                url = server.base + target.format(post=seeded.post_ids[0])
                print(f"sqlmap {url}", flush=True)
                run = subprocess.run(
                    sqlmap_cmd(url, work / "sqlmap", args.level, args.risk),
                    capture_output=True,
                    text=True,
                    check=False,
                )
                lines = run.stdout.splitlines()
                tested = [
                    line for line in lines if "might not be" in line or "does not seem" in line
                ]
                hits = [
                    line for line in lines if "is vulnerable" in line or "identified the" in line
                ]
                last = [line for line in lines if "[CRITICAL]" in line or "[ERROR]" in line]
                print(f"  {len(tested)} injection points tested; {len(hits)} findings")
                for line in last[-1:]:
                    print(f"  {line[:160]}")
                found += hits
            print("sqlmap found nothing" if not found else "\n".join(found))
            return 1 if found else 0
        finally:
            server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
