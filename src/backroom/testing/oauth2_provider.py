"""A small OAuth2/OIDC provider on a real local port, for tests.

It speaks the real protocol: a discovery document, an authorize endpoint that redirects
back with a single-use code bound to the redirect URI and the PKCE challenge, a token
endpoint that checks the client, the code and the code_verifier and issues an access
token and an RS256-signed id_token, a userinfo endpoint and the JWKS. It also answers
GitHub-shaped (``/github/user``, ``/github/user/emails``) and Discord-shaped
(``/discord/users/@me``) user APIs, so those providers can point their URLs here.

The test decides who signs in next with ``sign_in_as``; every document the provider
serves for that sign-in is that user's ``profile``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

__all__ = ["OAuth2TestProvider"]

CLIENT_ID = "backroom-test-client"
CLIENT_SECRET = "backroom-test-secret"


@dataclass
class _Grant:
    profile: dict[str, Any]
    emails: list[dict[str, Any]] | None
    redirect_uri: str
    challenge: str
    challenge_method: str
    used: bool = False


@dataclass
class _State:
    profile: dict[str, Any] = field(default_factory=dict)
    emails: list[dict[str, Any]] | None = None
    grants: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, _Grant] = field(default_factory=dict)
    token_requests: int = 0
    paths: list[str] = field(default_factory=list)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OAuth2TestProvider:
    """Start with ``with OAuth2TestProvider() as provider:``; ``provider.url`` is its base."""

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig"})
        self.signing_key = self.key  # a test may swap in a key the JWKS does not hold
        self._state = _State()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> OAuth2TestProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sign_in_as(
        self, profile: dict[str, Any], emails: list[dict[str, Any]] | None = None
    ) -> None:
        """The user the next authorization signs in: their userinfo document (OIDC claims,
        or a GitHub or Discord user) and, for GitHub, their ``/user/emails`` list."""
        with self._lock:
            self._state.profile = dict(profile)
            self._state.emails = emails

    @property
    def token_requests(self) -> int:
        return self._state.token_requests

    @property
    def paths(self) -> list[str]:
        """Every path requested so far, in order."""
        with self._lock:
            return list(self._state.paths)

    def _seen(self, path: str) -> None:
        with self._lock:
            self._state.paths.append(path)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
        }

    def jwks(self) -> dict[str, Any]:
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "alg": "RS256"}]}

    def id_token(self, profile: dict[str, Any], **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            **profile,
            "sub": str(profile.get("sub") or profile.get("id") or ""),
            "iss": self.url,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 600,
            **overrides,
        }
        header = {"alg": "RS256", "kid": self.signing_key.kid or ""}
        return jwt.encode(header, claims, self.signing_key)

    # the endpoints, called by the request handler

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {}, b"unknown client or missing redirect_uri"
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._state.grants[code] = _Grant(
                profile=dict(self._state.profile),
                emails=self._state.emails,
                redirect_uri=redirect_uri,
                challenge=query.get("code_challenge", ""),
                challenge_method=query.get("code_challenge_method", ""),
            )
        answer = {"code": code}
        if "state" in query:
            answer["state"] = query["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return 302, {"Location": f"{redirect_uri}{separator}{urlencode(answer)}"}, b""

    def _client_ok(self, form: dict[str, str], authorization: str) -> bool:
        if authorization.lower().startswith("basic "):
            raw = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = raw.partition(":")
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        return client_id == self.client_id and secrets.compare_digest(secret, self.client_secret)

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self._state.token_requests += 1
            if not self._client_ok(form, authorization):
                return 401, {"error": "invalid_client"}
            if form.get("grant_type") != "authorization_code":
                return 400, {"error": "unsupported_grant_type"}
            grant = self._state.grants.get(form.get("code", ""))
            if grant is None or grant.used:
                return 400, {"error": "invalid_grant", "error_description": "unknown code"}
            grant.used = True
            if form.get("redirect_uri", "") != grant.redirect_uri:
                return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
            if grant.challenge and _s256(form.get("code_verifier", "")) != grant.challenge:
                return 400, {"error": "invalid_grant", "error_description": "code_verifier"}
            access = secrets.token_urlsafe(24)
            self._state.tokens[access] = grant
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": secrets.token_urlsafe(24),
            "scope": "openid email profile",
            "id_token": self.id_token(grant.profile),
        }

    def user_document(self, path: str, authorization: str) -> tuple[int, Any]:
        token = authorization[7:] if authorization.lower().startswith("bearer ") else ""
        with self._lock:
            grant = self._state.tokens.get(token)
        if grant is None:
            return 401, {"error": "invalid_token"}
        if path == "/github/user/emails":
            return (404, {"message": "Not Found"}) if grant.emails is None else (200, grant.emails)
        return 200, grant.profile


def _handler_for(provider: OAuth2TestProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if not isinstance(body, bytes):
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            provider._seen(parts.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            auth = self.headers.get("Authorization", "")
            if parts.path == "/.well-known/openid-configuration":
                self._send(200, provider.discovery())
            elif parts.path == "/jwks":
                self._send(200, provider.jwks())
            elif parts.path == "/authorize":
                status, headers, body = provider.authorize(query)
                self._send(status, body, headers)
            elif parts.path in (
                "/userinfo",
                "/github/user",
                "/github/user/emails",
                "/discord/users/@me",
            ):
                self._send(*provider.user_document(parts.path, auth))
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            provider._seen(urlsplit(self.path).path)
            if urlsplit(self.path).path == "/token":
                self._send(*provider.token(form, self.headers.get("Authorization", "")))
            else:
                self._send(404, {"error": "not_found"})

    return Handler
