"""HS256 bearer tokens, checked as Supabase JWTs are (signature and expiry)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time


class AuthError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mint(secret: str, subject: str = "lab-user", ttl: int = 3600) -> str:
    """A token the backend accepts (tests and the lab use it)."""
    header = _b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = _b64encode(json.dumps({"sub": subject, "role": "authenticated", "exp": int(time.time()) + ttl}).encode())
    signature = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{_b64encode(signature)}"


def check(authorization: str | None, secret: str) -> dict:
    if not authorization or not authorization.startswith("Bearer "):
        raise AuthError(401, "Not authenticated")
    token = authorization[len("Bearer "):].strip()
    try:
        header, claims, signature = token.split(".")
        expected = hmac.new(secret.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
        if json.loads(_b64decode(header)).get("alg") != "HS256" or not hmac.compare_digest(expected, _b64decode(signature)):
            raise ValueError("bad signature")
        payload = json.loads(_b64decode(claims))
    except (ValueError, json.JSONDecodeError):
        raise AuthError(403, "Invalid authentication credentials") from None
    if int(payload.get("exp", 0)) < time.time():
        raise AuthError(403, "Token has expired")
    return payload
