"""``backroom serve --workers 2`` and two nodes sharing Redis: what one process commits is in
force on every other one as soon as the write is answered, and concurrent writes from several
processes to the one SQLite file never fail."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cluster import BIN, Conn, Server, connections_per_worker, make_superuser

from backroom.core.services.otp import MAX_FAILURES
from backroom.settings import parse_workers
from backroom.testing.redis import RedisServer
from backroom.testing.smtp import MailCatcher

pytestmark = pytest.mark.e2e


def _collection(name: str) -> dict[str, object]:
    return {"name": name, "fields": [{"name": "title", "type": "text"}]}


def _auth(server: Server) -> dict[str, str]:
    return {"Authorization": server.token()}


def test_a_collection_created_on_one_worker_is_at_once_usable_on_both(workers2: Server) -> None:
    su = _auth(workers2)
    conns = connections_per_worker(workers2, workers=2, each=3)
    pids = sorted(conns)
    for i in range(20):
        creator, other = conns[pids[i % 2]][0], conns[pids[(i + 1) % 2]]
        name = f"c{i}_{uuid.uuid4().hex[:6]}"
        status, body = creator.request("POST", "/api/collections", _collection(name), su)
        assert status == 200, body
        # at once, on the other worker first, then on every connection
        for conn in [*other, *conns[pids[i % 2]]]:
            status, body = conn.request(
                "POST", f"/api/collections/{name}/records", {"title": "x"}, su
            )
            assert status == 200, (conn.worker, body)
            status, body = conn.request("GET", f"/api/collections/{name}/records", None, su)
            assert status == 200, (conn.worker, body)


def test_collection_changes_and_deletion_take_effect_on_both_workers_at_once(
    workers2: Server,
) -> None:
    su = _auth(workers2)
    conns = connections_per_worker(workers2, workers=2, each=2)
    a, b = (conns[pid] for pid in sorted(conns))
    status, _ = a[0].request("POST", "/api/collections", _collection("notes"), su)
    assert status == 200
    for writer, reader in ((a[0], b), (b[0], a)):
        # only superusers may list (listRule null) ...
        assert all(c.request("GET", "/api/collections/notes/records")[0] == 403 for c in reader)
        status, _ = writer.request("PATCH", "/api/collections/notes", {"listRule": ""}, su)
        assert status == 200
        # ... and right after the answer, guests may, on the other worker too
        assert all(c.request("GET", "/api/collections/notes/records")[0] == 200 for c in reader)
        status, _ = writer.request("PATCH", "/api/collections/notes", {"listRule": None}, su)
        assert status == 200
    status, _ = a[0].request(
        "PATCH",
        "/api/collections/notes",
        {"fields": [{"name": "title", "type": "text"}, {"name": "body", "type": "text"}]},
        su,
    )
    assert status == 200
    for c in b:
        status, body = c.request("POST", "/api/collections/notes/records", {"body": "new"}, su)
        assert status == 200, body
        assert body["body"] == "new"
    status, _ = b[0].request("DELETE", "/api/collections/notes", None, su)
    assert status == 204
    for c in a + b:
        status, body = c.request("GET", "/api/collections/notes/records", None, su)
        assert status == 404, body


def test_settings_changes_take_effect_on_both_workers_at_once(workers2: Server) -> None:
    su = _auth(workers2)
    conns = connections_per_worker(workers2, workers=2, each=1)
    writer, reader = (conns[pid][0] for pid in sorted(conns))
    limits = {
        "rateLimits": {
            "enabled": True,
            "rules": [{"label": "/api/health", "maxRequests": 2, "duration": 60, "audience": ""}],
        }
    }
    status, body = writer.request("PATCH", "/api/settings", limits, su)
    assert status == 200, body
    # the rate limiter of the other worker follows the new rule right away
    assert [reader.request("GET", "/api/health")[0] for _ in range(3)] == [200, 200, 429]
    proxy = {"trustedProxy": {"headers": ["X-Real-IP"], "useLeftmostIP": False}}
    status, body = writer.request("PATCH", "/api/settings", proxy, su)
    assert status == 200, body
    # and trusts the proxy header: each forwarded address has its own count
    for ip in ("198.51.100.1", "198.51.100.2"):
        got = [reader.request("GET", "/api/health", None, {"X-Real-IP": ip})[0] for _ in range(3)]
        assert got == [200, 200, 429], (ip, got)


def _hammer(conns: list[Conn], path: str, headers: dict[str, str], n: int) -> list[int]:
    statuses: list[int] = []
    lock = threading.Lock()

    def run(conn: Conn) -> None:
        for i in range(n):
            status, _ = conn.request("POST", path, {"title": f"t{i}"}, headers)
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=run, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def test_concurrent_writes_from_both_workers_all_succeed(workers2: Server) -> None:
    su = _auth(workers2)
    conns = connections_per_worker(workers2, workers=2, each=6)
    first = next(iter(conns.values()))[0]
    assert first.request("POST", "/api/collections", _collection("posts"), su)[0] == 200
    everyone = [c for cs in conns.values() for c in cs]
    statuses = _hammer(everyone, "/api/collections/posts/records", su, 60)
    assert statuses == [200] * len(statuses)
    status, body = first.request("GET", "/api/collections/posts/records?perPage=1", None, su)
    assert status == 200
    assert body["totalItems"] == len(everyone) * 60


def test_a_killed_worker_is_replaced_and_the_new_one_stays_in_step(workers2: Server) -> None:
    su = _auth(workers2)
    conns = connections_per_worker(workers2, workers=2, each=1)
    victim, survivor = sorted(conns)
    for cs in conns.values():
        for c in cs:
            c.close()
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:  # the server starts a new worker in its place
        fresh = connections_per_worker(workers2, workers=2, each=1)
        if victim not in fresh:
            break
        assert time.monotonic() < deadline
    new = next(pid for pid in fresh if pid != survivor)
    name = f"after_{uuid.uuid4().hex[:6]}"
    assert fresh[survivor][0].request("POST", "/api/collections", _collection(name), su)[0] == 200
    status, body = fresh[new][0].request("GET", f"/api/collections/{name}/records", None, su)
    assert status == 200, body


@pytest.fixture
def two_nodes(tmp_path: Path, redis_url: str) -> Iterator[tuple[Server, Server]]:
    data = tmp_path / "data"
    make_superuser(data)
    env = {"BACKROOM_REDIS_CHANNEL": f"test-{uuid.uuid4().hex}"}
    a = Server(data, "--redis", redis_url, env=env)
    try:
        b = Server(data, "--redis", redis_url, env=env)
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def test_two_nodes_sharing_redis_and_the_data_stay_in_step(
    two_nodes: tuple[Server, Server],
) -> None:
    a, b = two_nodes
    su = _auth(a)
    ca, cb = Conn(a), Conn(b)
    for i in range(10):
        writer, reader = (ca, cb) if i % 2 == 0 else (cb, ca)
        name = f"n{i}_{uuid.uuid4().hex[:6]}"
        assert writer.request("POST", "/api/collections", _collection(name), su)[0] == 200
        status, body = reader.request("POST", f"/api/collections/{name}/records", {}, su)
        assert status == 200, body
        assert writer.request("DELETE", f"/api/collections/{name}", None, su)[0] == 204
        assert reader.request("GET", f"/api/collections/{name}/records", None, su)[0] == 404
    limits = {
        "rateLimits": {
            "enabled": True,
            "rules": [{"label": "/api/health", "maxRequests": 1, "duration": 60, "audience": ""}],
        }
    }
    assert ca.request("PATCH", "/api/settings", limits, su)[0] == 200
    assert [cb.request("GET", "/api/health")[0] for _ in range(2)] == [200, 429]
    assert ca.request("POST", "/api/collections", _collection("shared"), su)[0] == 200
    conns = [Conn(a) for _ in range(4)] + [Conn(b) for _ in range(4)]
    statuses = _hammer(conns, "/api/collections/shared/records", su, 40)
    assert statuses == [200] * len(statuses)


def test_nodes_ride_out_a_redis_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_superuser(data)
    with RedisServer() as redis:
        a = Server(data, "--redis", redis.url)
        b = Server(data, "--redis", redis.url)
        try:
            su = _auth(a)
            ca, cb = Conn(a), Conn(b)
            redis.stop()
            # Redis away: both nodes keep serving, writes included
            assert ca.request("POST", "/api/collections", _collection("during"), su)[0] == 200
            assert ca.request("POST", "/api/collections/during/records", {}, su)[0] == 200
            assert cb.request("GET", "/api/health")[0] == 200
            redis.start()
            # back: b reloaded on reconnecting, and changes travel again
            deadline = time.monotonic() + 30
            while cb.request("GET", "/api/collections/during/records", None, su)[0] != 200:
                assert time.monotonic() < deadline, "b never caught up after Redis came back"
                time.sleep(0.1)
            while True:  # a's publisher reconnects on its own backoff
                name = f"after_{uuid.uuid4().hex[:6]}"
                assert ca.request("POST", "/api/collections", _collection(name), su)[0] == 200
                if cb.request("GET", f"/api/collections/{name}/records", None, su)[0] == 200:
                    break
                assert time.monotonic() < deadline, "changes never travelled again"
                time.sleep(0.2)
        finally:
            b.stop()
            a.stop()


def test_requests_racing_a_schema_change_on_the_other_worker_get_no_5xx(
    workers2: Server,
) -> None:
    su = _auth(workers2)
    conns = connections_per_worker(workers2, workers=2, each=4)
    changer, busy = (conns[pid] for pid in sorted(conns))
    with_extra = [{"name": "title", "type": "text"}, {"name": "extra", "type": "text"}]
    body = {"name": "posts", "fields": with_extra}
    assert changer[0].request("POST", "/api/collections", body, su)[0] == 200
    stop = threading.Event()
    statuses: list[tuple[str, int]] = []

    def hammer(conn: Conn) -> None:
        while not stop.is_set():
            status, _ = conn.request("POST", "/api/collections/posts/records", {"title": "x"}, su)
            statuses.append(("create", status))
            status, _ = conn.request("GET", "/api/collections/posts/records?perPage=5", None, su)
            statuses.append(("list", status))

    threads = [threading.Thread(target=hammer, args=(c,)) for c in busy[:3]]
    for t in threads:
        t.start()
    try:
        for i in range(30):  # drop the column, add it back, ...
            fields = with_extra if i % 2 else with_extra[:1]
            status, _ = changer[0].request(
                "PATCH", "/api/collections/posts", {"fields": fields}, su
            )
            assert status == 200
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(statuses) > 30
    failed = [s for s in statuses if s[1] != 200]
    assert failed == [], workers2.log.read_text()[-3000:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "expected a number of at least 1, or 'auto'"),
        (["--workers", "many"], "expected a number of at least 1, or 'auto'"),
        (["--redis", "redis://127.0.0.1:1/0"], "Redis does not answer at the --redis URL"),
    ],
    ids=["zero workers", "not a number", "Redis not answering"],
)
def test_serve_refuses_bad_scaling_options_clearly(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = subprocess.run(
        [str(BIN), "serve", "--dir", str(tmp_path / "d"), "--http", "127.0.0.1:0", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_workers_auto_means_one_per_usable_core() -> None:
    assert parse_workers("auto") == len(os.sched_getaffinity(0))
    assert parse_workers("3") == 3


def test_wrong_passwords_spread_over_both_workers_count_together(workers2: Server) -> None:
    conns = connections_per_worker(workers2, workers=2, each=1)
    a, b = (conns[pid][0] for pid in sorted(conns))
    login = "/api/collections/_superusers/auth-with-password"
    wrong = {"identity": "admin@example.com", "password": "not-the-password"}
    su = _auth(workers2)
    statuses = [(a if i % 2 else b).request("POST", login, wrong)[0] for i in range(10)]
    assert statuses == [400] * 10  # 5 on each worker: under the limit of 10 on either alone
    # a barrier: a settings change is answered once the other worker has read everything the
    # writer published before it, the failures included
    for conn in (a, b):
        assert conn.request("PATCH", "/api/settings", {}, su)[0] == 200
    # the next try is refused on both: each worker counted the other's failures too
    assert a.request("POST", login, wrong)[0] == 429
    assert b.request("POST", login, wrong)[0] == 429


def test_wrong_otp_codes_spread_over_both_workers_count_together(
    workers2: Server, smtp: MailCatcher
) -> None:
    su = _auth(workers2)
    conns = connections_per_worker(workers2, workers=2, each=1)
    a, b = (conns[pid][0] for pid in sorted(conns))
    assert a.request("PATCH", "/api/settings", {"smtp": smtp.settings()}, su)[0] == 200
    otp_on = {"otp": {"enabled": True}}
    assert a.request("PATCH", "/api/collections/users", otp_on, su)[0] == 200
    user = {"email": "u@example.com", "password": "s3cret-pw-9", "passwordConfirm": "s3cret-pw-9"}
    assert a.request("POST", "/api/collections/users/records", user)[0] == 200
    status, body = a.request("POST", "/api/collections/users/request-otp", {"email": user["email"]})
    assert status == 200
    otp_id = body["otpId"]
    code = re.search(r"<strong>(\d+)</strong>", smtp.wait_for(user["email"])[0].html)
    assert code is not None
    wrong = {"otpId": otp_id, "password": "0" * len(code.group(1))}
    auth = "/api/collections/users/auth-with-otp"
    for i in range(MAX_FAILURES):  # 3 on one worker, 2 on the other
        assert (a if i % 2 == 0 else b).request("POST", auth, wrong)[0] == 400
    for conn in (a, b):  # barrier: each worker has heard the other's failures
        assert conn.request("PATCH", "/api/settings", {}, su)[0] == 200
    # five wrong codes in all: the code is gone, on both workers
    right = {"otpId": otp_id, "password": code.group(1)}
    assert b.request("POST", auth, right)[0] == 400
    assert a.request("POST", auth, right)[0] == 400
