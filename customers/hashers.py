"""Hashing of customer passwords and PINs.

A bulk import cannot spend Django's full-strength hash (PBKDF2, a million iterations) on
every one of 100,000 rows, so it stores an *interim* hash: salted SHA-256. The
`harden_customer_secrets` command later wraps each interim hash in full-strength PBKDF2
*without needing the plaintext* (Django's documented "wrapped hasher" upgrade), and a
successful check_password() upgrades it too. At no point is a secret stored in plaintext or
in a reversible form. See docs/decisions.md.
"""

import hashlib
import secrets

from django.contrib.auth.hashers import (
    BasePasswordHasher,
    PBKDF2PasswordHasher,
    mask_hash,
)
from django.utils.crypto import constant_time_compare


class InterimSHA256Hasher(BasePasswordHasher):
    """Salted SHA-256: cheap enough for bulk imports, raised to PBKDF2 afterwards."""

    algorithm = "interim_sha256"

    def encode(self, password: str, salt: str) -> str:
        # Django's own check (BasePasswordHasher), missing from django-stubs.
        self._check_encode_args(password, salt)  # type: ignore[attr-defined]
        digest = hashlib.sha256((salt + password).encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        decoded = self.decode(encoded)
        return constant_time_compare(encoded, self.encode(password, decoded["salt"]))

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            "algorithm": decoded["algorithm"],
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return True

    def harden_runtime(self, password: str, encoded: str) -> None:
        pass


class WrappedInterimPBKDF2Hasher(PBKDF2PasswordHasher):
    """PBKDF2 at Django's default strength over an interim hash: what the hardening step
    turns an interim hash into, without the plaintext."""

    algorithm = "pbkdf2_wrapped_interim_sha256"

    def encode_interim(self, interim_digest: str, salt: str, iterations: int | None = None):
        return super().encode(interim_digest, salt, iterations)

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        interim_salt, _, _ = salt.partition(":")
        interim = InterimSHA256Hasher().encode(password, interim_salt)
        _, _, digest = interim.split("$", 2)
        return self.encode_interim(digest, salt, iterations)

    def must_update(self, encoded: str) -> bool:
        # Verified with the plaintext at hand: store a plain PBKDF2 hash instead.
        return True


def interim_hash(secret: str) -> str:
    """The interim hash of a customer secret, as a bulk import stores it."""
    return InterimSHA256Hasher().encode(secret, secrets.token_hex(8))


def wrap_interim_hash(encoded: str) -> str:
    """Full-strength PBKDF2 over an interim hash, keeping the interim salt to verify later."""
    interim = InterimSHA256Hasher().decode(encoded)
    hasher = WrappedInterimPBKDF2Hasher()
    salt = f"{interim['salt']}:{hasher.salt()}"
    return hasher.encode_interim(interim["hash"], salt)


__all__ = ["InterimSHA256Hasher", "WrappedInterimPBKDF2Hasher", "interim_hash", "wrap_interim_hash"]
