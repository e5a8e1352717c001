"""API rules run by the real PocketBase and by Backroom on the same records, for a guest, two
users and a superuser: each caller must see the same records, or get the same refusal."""

from __future__ import annotations

from typing import Any

import pytest
from _targets import Target, both, unique
from normalize import normalize

pytestmark = pytest.mark.compat

PASSWORD = "rules-password-1"
CALLERS = ("guest", "alice", "bob", "superuser")

RULES = [
    "",
    "published = true",
    "author = @request.auth.id",
    "published = true || author = @request.auth.id",
    "@request.auth.id != ''",
    "@request.auth.id = ''",
    "author.name = 'Alice'",
    "author.role = 'admin' || published = true",
    "@request.auth.role = 'admin'",
    "@request.auth.role = 'admin' || author = @request.auth.id",
    "@request.auth.team.name = 'red'",
    "@request.auth.team = team",
    "@request.auth.team.name = team.name",
    "@request.auth.team.name != 'red'",
    "@request.auth.collectionName = 'users'",
    "@collection.memberships.user ?= @request.auth.id && @collection.memberships.team ?= team",
    "@collection.memberships.user ?= @request.auth.id",
    "@collection.memberships.team ?= team",
    "@collection.memberships.user = @request.auth.id",
    "@collection.memberships.role ?= 'owner' && @collection.memberships.user ?= author",
    "@collection.memberships.user ?= @request.auth.id && "
    "@collection.memberships:other.team ?= team",
    "comments_via_post.author ?= @request.auth.id",
    "comments_via_post.text ?~ 'nice'",
    "comments_via_post.text ~ 'nice'",
    "comments_via_post.author.name ?= 'Bob'",
    "comments_via_post.id ?= ''",
    "comments_via_post.id = ''",
    "tags:each ?= 'a' && @request.auth.id != ''",
    "tags:length > 1 || author = @request.auth.id",
    "editors.id ?= @request.auth.id",
    "editors.id ?= @request.auth.id || author = @request.auth.id",
    "editors.team ?= @request.auth.team",
    "editors.name = 'Alice'",
    "editors.name != 'Alice'",
    "views > 10 && @request.auth.id != ''",
    "@request.query.key = 'secret'",
    "@request.headers.x_key = 'secret'",
    "@request.method = 'GET'",
    "@request.context = 'default'",
    "created <= @now",
    "created > @yesterday && @request.auth.id != ''",
    "geoDistance(place.lon, place.lat, 23.32, 42.69) < 25",
    "geoDistance(place.lon, place.lat, 23.32, 42.69) > 25 || author = @request.auth.id",
    "strftime('%Y', created) = strftime('%Y', @now)",
    "@request.auth.id != '' && (published = true || team = @request.auth.team)",
    "author.team.name ?= @request.auth.team.name",
    "nope = 1",
    "@collection.nope.id = 1",
]


def _login(t: Target, email: str) -> dict[str, str]:
    resp = t.client.post(
        "/api/collections/users/auth-with-password", json={"identity": email, "password": PASSWORD}
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": resp.json()["token"]}


def _post(t: Target, path: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = t.client.post(path, headers=t.su(), json=body)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def _ids(t: Target, name: str) -> dict[str, str]:
    return {n: t.client.get(f"/api/collections/{n}", headers=t.su()).json()["id"] for n in name}


@pytest.fixture(scope="module")
def world(targets: tuple[Target, Target]) -> dict[str, Any]:
    teams, posts, comments, members = (
        unique("teams"),
        unique("rposts"),
        unique("comments"),
        unique("members"),
    )
    callers: dict[str, dict[str, dict[str, str]]] = {}
    for t in targets:
        _post(t, "/api/collections", {"name": teams, "fields": [{"name": "name", "type": "text"}]})
        team_id = _ids(t, [teams])[teams]
        users = t.client.get("/api/collections/users", headers=t.su()).json()
        extra = [
            {"name": "role", "type": "text"},
            {"name": "team", "type": "relation", "collectionId": team_id, "maxSelect": 1},
        ]
        known = [f for f in users["fields"] if f["name"] not in ("role", "team")]
        resp = t.client.patch(
            "/api/collections/users", headers=t.su(), json={"fields": [*known, *extra]}
        )
        assert resp.status_code == 200, resp.text
        user_ref = {"type": "relation", "collectionId": users["id"], "maxSelect": 1}
        _post(
            t,
            "/api/collections",
            {
                "name": posts,
                "fields": [
                    {"name": "title", "type": "text"},
                    {"name": "published", "type": "bool"},
                    {"name": "views", "type": "number"},
                    {"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 2},
                    {"name": "author", **user_ref},
                    {**user_ref, "name": "editors", "maxSelect": 5},
                    {"name": "team", "type": "relation", "collectionId": team_id, "maxSelect": 1},
                    {"name": "place", "type": "geoPoint"},
                    {"name": "created", "type": "autodate", "onCreate": True},
                ],
            },
        )
        post_id = _ids(t, [posts])[posts]
        _post(
            t,
            "/api/collections",
            {
                "name": comments,
                "fields": [
                    {"name": "post", "type": "relation", "collectionId": post_id, "maxSelect": 1},
                    {"name": "author", **user_ref},
                    {"name": "text", "type": "text"},
                ],
            },
        )
        _post(
            t,
            "/api/collections",
            {
                "name": members,
                "fields": [
                    {"name": "user", **user_ref},
                    {"name": "team", "type": "relation", "collectionId": team_id, "maxSelect": 1},
                    {"name": "role", "type": "text"},
                ],
            },
        )
        red = _post(
            t, f"/api/collections/{teams}/records", {"id": "teamred00000001", "name": "red"}
        )
        blue = {"id": "teamblue0000001", "name": "blue"}
        _post(t, f"/api/collections/{teams}/records", blue)
        people = {
            "alice": {"id": "alice0000000001", "role": "admin", "team": red["id"]},
            "bob": {"id": "bob000000000001", "role": "", "team": blue["id"]},
        }
        for who, extra_fields in people.items():
            body = {
                "email": f"{who}-{posts}@example.com",
                "password": PASSWORD,
                "passwordConfirm": PASSWORD,
                "name": who.title(),
                **extra_fields,
            }
            _post(t, "/api/collections/users/records", body)
        rows = [
            ("post00000000001", True, 5, ["a"], "alice", [], "teamred00000001", (23.3, 42.7)),
            ("post00000000002", False, 20, ["a", "b"], "alice", ["bob"], "teamblue0000001", None),
            ("post00000000003", False, 1, [], "bob", ["alice", "bob"], "teamred00000001", None),
            ("post00000000004", True, 50, ["b"], "bob", [], "", (0.0, 0.0)),
            ("post00000000005", False, 0, [], "", [], "", None),
        ]
        for rid, published, views, tags, author, editors, team, place in rows:
            body = {
                "id": rid,
                "title": rid,
                "published": published,
                "views": views,
                "tags": tags,
                "author": people[author]["id"] if author else "",
                "editors": [people[e]["id"] for e in editors],
                "team": team,
            }
            if place is not None:
                body["place"] = {"lon": place[0], "lat": place[1]}
            _post(t, f"/api/collections/{posts}/records", body)
        for post, author, text in (
            ("post00000000001", "bob", "nice one"),
            ("post00000000002", "alice", "meh"),
            ("post00000000002", "bob", "very nice"),
        ):
            body = {"post": post, "author": people[author]["id"], "text": text}
            _post(t, f"/api/collections/{comments}/records", body)
        for user, team, role in (
            ("alice", "teamblue0000001", "owner"),
            ("bob", "teamred00000001", "member"),
        ):
            body = {"user": people[user]["id"], "team": team, "role": role}
            _post(t, f"/api/collections/{members}/records", body)
        callers[t.name] = {
            "guest": {},
            "alice": _login(t, f"alice-{posts}@example.com"),
            "bob": _login(t, f"bob-{posts}@example.com"),
            "superuser": t.su(),
        }
    return {"posts": posts, "comments": comments, "members": members, "callers": callers}


def _see(t: Target, world: dict[str, Any], caller: str) -> tuple[int, list[str]]:
    resp = t.client.get(
        f"/api/collections/{world['posts']}/records",
        headers={**world["callers"][t.name][caller], "X-Key": "secret"},
        params={"fields": "id", "sort": "id", "key": "secret"},
    )
    if resp.status_code != 200:
        return resp.status_code, []
    return 200, [item["id"] for item in resp.json()["items"]]


def test_list_rules_show_each_caller_the_same_records(
    targets: tuple[Target, Target], world: dict[str, Any]
) -> None:
    rules = [r.replace("memberships", world["members"]) for r in RULES]
    rules = [r.replace("comments_via", f"{world['comments']}_via") for r in rules]
    differences = []
    for rule in rules:
        statuses = [
            t.client.patch(
                f"/api/collections/{world['posts']}", headers=t.su(), json={"listRule": rule}
            ).status_code
            for t in targets
        ]
        if statuses[0] != statuses[1]:
            differences.append(f"{rule!r}: saving answered {statuses}")
            continue
        if statuses[0] != 200:
            continue
        for caller in CALLERS:
            pb, br = (_see(t, world, caller) for t in targets)
            if pb != br:
                differences.append(f"{rule!r} as {caller}: pocketbase {pb}, backroom {br}")
    assert not differences, "\n".join(differences)


def test_a_rule_applies_to_view_update_and_delete(
    targets: tuple[Target, Target], world: dict[str, Any]
) -> None:
    rule = "author = @request.auth.id || editors.id ?= @request.auth.id"
    body = {"viewRule": rule, "updateRule": rule, "deleteRule": rule}
    both(targets, "PATCH", f"/api/collections/{world['posts']}", json=body)
    path = f"/api/collections/{world['posts']}/records"
    for caller in ("guest", "bob"):
        for rid in ("post00000000001", "post00000000003"):
            pb, br = (
                t.client.get(f"{path}/{rid}", headers=world["callers"][t.name][caller])
                for t in targets
            )
            assert (pb.status_code, caller, rid) == (br.status_code, caller, rid)
    pb, br = (
        t.client.patch(
            f"{path}/post00000000001",
            headers=world["callers"][t.name]["bob"],
            json={"title": "taken"},
        )
        for t in targets
    )
    assert pb.status_code == br.status_code == 404


WRITE_RULES = [
    "@request.auth.id != '' && @request.body.author = @request.auth.id",
    "@request.body.published:isset = false",
    "@request.body.views:changed = false",
    "@request.body.title:changed = true",
    "@request.body.tags:each ?= 'a'",
    "@request.body.tags:each != 'b'",
    "@request.body.tags:length < 2",
    "@request.body.views > 10",
    "@request.body.editors:each ?= @request.auth.id",
    "@request.body.team = @request.auth.team",
    "@request.body.title ~ 'ok' && author = @request.auth.id",
]

WRITE_BODIES = [
    {"title": "ok"},
    {"title": "post00000000002"},
    {"title": "ok", "published": True},
    {"views": "20"},
    {"views": 20},
    {"tags": ["a"]},
    {"tags": ["a", "b"]},
    {"tags": "b"},
    {"editors": ["alice0000000001"]},
    {"team": "teamred00000001"},
    {"author": "alice0000000001", "title": "ok"},
]


def test_write_rules_read_the_request_body(
    targets: tuple[Target, Target], world: dict[str, Any]
) -> None:
    posts = world["posts"]
    differences = []
    for n, rule in enumerate(WRITE_RULES):
        body = {"createRule": rule, "updateRule": rule, "viewRule": ""}
        both(targets, "PATCH", f"/api/collections/{posts}", json=body)
        for m, sent in enumerate(WRITE_BODIES):
            answers = []
            for t in targets:
                alice = world["callers"][t.name]["alice"]
                path = f"/api/collections/{posts}/records"
                created = t.client.post(
                    path, headers=alice, json={"id": f"w{n:03d}{m:03d}xxxxxxxx", **sent}
                )
                updated = t.client.patch(f"{path}/post00000000002", headers=alice, json=sent)
                answers.append((created.status_code, updated.status_code))
            if answers[0] != answers[1]:
                differences.append(
                    f"{rule!r} with {sent}: pocketbase {answers[0]}, backroom {answers[1]}"
                )
    assert not differences, "\n".join(differences)


EMAIL_FILTERS = [
    "email ~ 'alice'",
    "email ~ '@example.com'",
    "email = ''",
    "email != ''",
    "email = null",
    "email:lower ~ 'bob'",
    "id != '' && email != 'x'",
]


def _patch_users(targets: tuple[Target, Target], body: dict[str, Any]) -> None:
    """Change the users collection on both (their mail templates are worded differently)."""
    for t in targets:
        resp = t.client.patch("/api/collections/users", headers=t.su(), json=body)
        assert resp.status_code == 200, resp.text


def test_hidden_emails_cannot_be_probed(
    targets: tuple[Target, Target], world: dict[str, Any]
) -> None:
    _patch_users(targets, {"listRule": ""})
    try:
        for expr in EMAIL_FILTERS:
            for caller in ("guest", "bob"):
                pb, br = (
                    t.client.get(
                        "/api/collections/users/records",
                        headers=world["callers"][t.name][caller],
                        params={"filter": expr, "fields": "id", "sort": "id"},
                    )
                    for t in targets
                )
                assert (br.status_code, br.json()) == (pb.status_code, pb.json()), (expr, caller)
    finally:
        _patch_users(targets, {"listRule": "id = @request.auth.id"})


@pytest.mark.parametrize("rule", [None, "verified = true", "role = 'admin'", "name != ''"])
def test_the_auth_rule_decides_who_may_log_in(
    targets: tuple[Target, Target], world: dict[str, Any], rule: str | None
) -> None:
    _patch_users(targets, {"authRule": rule})
    try:
        for who in ("alice", "bob"):
            body = {"identity": f"{who}-{world['posts']}@example.com", "password": PASSWORD}
            pb, br = (
                t.client.post("/api/collections/users/auth-with-password", json=body)
                for t in targets
            )
            assert br.status_code == pb.status_code, (who, pb.text, br.text)
            if pb.status_code != 200:
                assert br.json() == pb.json()
    finally:
        _patch_users(targets, {"authRule": ""})


MANAGE_STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("one", "one", {"verified": True}),
    ("one", "one", {"email": "changed@example.com"}),
    ("one", "one", {"emailVisibility": True}),
    ("one", "one", {"password": "another-pass-1", "passwordConfirm": "another-pass-1"}),
    ("one", "two", {"verified": True}),
    ("one", "two", {"name": "renamed"}),
]


@pytest.mark.parametrize("manage_rule", [None, "@request.auth.id != ''", "id = 'nobody'"])
def test_only_managers_verify_change_emails_or_skip_the_old_password(
    targets: tuple[Target, Target], manage_rule: str | None
) -> None:
    name = unique("accounts")
    open_rule = "@request.auth.id != ''"
    body = {
        "name": name,
        "type": "auth",
        "createRule": "",
        "updateRule": open_rule,
        "manageRule": manage_rule,
        "fields": [{"name": "name", "type": "text"}],
    }
    for t in targets:
        _post(t, "/api/collections", body)
    path = f"/api/collections/{name}/records"
    signup = {"password": PASSWORD, "passwordConfirm": PASSWORD}
    both(
        targets,
        "POST",
        path,
        auth=False,
        json={"email": "x@example.com", **signup, "verified": True},
    )
    tokens: dict[str, dict[str, str]] = {}
    for t in targets:
        for who in ("one", "two"):
            rid = f"{name[-4:]:x>5}{who:0>10}"
            _post(t, path, {"id": rid, "email": f"{who}@example.com", **signup})
        login = t.client.post(
            f"/api/collections/{name}/auth-with-password",
            json={"identity": "one@example.com", "password": PASSWORD},
        )
        tokens[t.name] = {"Authorization": login.json()["token"]}
    for actor, target, change in MANAGE_STEPS:
        assert actor == "one"
        pb, br = (
            t.client.patch(
                f"{path}/{name[-4:]:x>5}{target:0>10}", headers=tokens[t.name], json=change
            )
            for t in targets
        )
        assert br.status_code == pb.status_code, (change, pb.text, br.text)
        if pb.status_code == 400:
            assert br.json() == pb.json()


@pytest.mark.parametrize("view_rule", [None, "", "author = @request.auth.id"])
def test_back_relations_expand_through_the_view_rule(
    targets: tuple[Target, Target], world: dict[str, Any], view_rule: str | None
) -> None:
    """Row R7: a back-relation expand shows only the records the caller may view."""
    both(targets, "PATCH", f"/api/collections/{world['posts']}", json={"listRule": ""})
    both(
        targets,
        "PATCH",
        f"/api/collections/{world['comments']}",
        json={"viewRule": view_rule, "listRule": view_rule},
    )
    expand = f"{world['comments']}_via_post,{world['comments']}_via_post.author"

    for caller in CALLERS:
        pb, br = (
            t.client.get(
                f"/api/collections/{world['posts']}/records",
                headers=world["callers"][t.name][caller],
                params={"expand": expand, "sort": "id", "fields": "id,expand"},
            )
            for t in targets
        )
        assert br.status_code == pb.status_code
        assert normalize(br.json()) == normalize(pb.json()), (caller, pb.text, br.text)
