"""Throwaway service-account keys for the stand-in, and checking the JWT grants signed with them."""

from __future__ import annotations

import base64
import functools
import json
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


@functools.lru_cache(maxsize=None)
def private_key_pem(name: str = "default") -> str:
    """A fresh 2048-bit RSA key (one per name per test session: generating one takes a while)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_key(pem: str) -> Any:
    return serialization.load_pem_private_key(pem.encode(), password=None).public_key()


def service_account_info(email: str, token_uri: str, pem: str, key_id: str) -> dict[str, Any]:
    return {
        "type": "service_account",
        "project_id": email.split("@")[1].split(".")[0],
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "auth_uri": token_uri.rsplit("/", 1)[0] + "/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jwt(assertion: str, keys: dict[str, Any], audience: str) -> dict[str, Any]:
    """The claims of a signed grant, or ``ValueError`` saying why it is refused."""
    try:
        head, body, sig = assertion.split(".")
        header = json.loads(_b64(head))
        claims = json.loads(_b64(body))
    except Exception as exc:  # noqa: BLE001
        raise ValueError("malformed assertion") from exc
    if header.get("alg") != "RS256":
        raise ValueError("unsupported algorithm")
    key = keys.get(claims.get("iss"))
    if key is None:
        raise ValueError("unknown service account")
    try:
        key.verify(_b64(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise ValueError("Invalid JWT Signature.") from None
    # google-auth addresses the grant to Google's own token endpoint whatever the key file's token_uri is
    if claims.get("aud") not in (audience, "https://oauth2.googleapis.com/token"):
        raise ValueError("wrong audience")
    if not claims.get("exp", 0) > time.time() - 60:
        raise ValueError("expired assertion")
    return claims
