"""Hashing of customer passwords and PINs.

A bulk import cannot spend Django's full-strength hash (PBKDF2, a million iterations) on
every one of 100,000 rows, so it stores an *interim* hash: keyed BLAKE2b (BLAKE2's own MAC
mode, RFC 7693; one call, faster than HMAC), keyed with
`settings.LOYALTY_CUSTOMER_SECRET_HASH_KEY`, of a salted SHA-256 of the secret. The key
is never in the database (it comes from the environment, docs/deploy.md), so a copy of the
database gives nothing to test a guess against: a 4-digit PIN cannot be found by trying all
10,000. The `harden_customer_secrets` command later wraps each interim hash in full-strength
PBKDF2 *without needing the plaintext* (Django's documented "wrapped hasher" upgrade), in
the customer rows and in the undo data, and a successful check_password() upgrades it too.
At no point is a secret stored in plaintext, in a reversible form, or under a hash that can
be checked cheaply without the key.

The first interim hash was unkeyed (`interim_sha256`, salted SHA-256); migration 0006 turned
every one left into the keyed form (the keyed BLAKE2b of that same digest), and its hasher
stays only so a value that escaped that migration still verifies (and is hardened like the
others).
"""

import functools
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.hashers import (
    BasePasswordHasher,
    PBKDF2PasswordHasher,
    mask_hash,
)
from django.utils.crypto import constant_time_compare


@functools.lru_cache(maxsize=4)
def mac_key(key: str) -> bytes:
    """The 32 bytes BLAKE2b is keyed with: SHA-256 of the configured key (any length)."""
    return hashlib.sha256(key.encode()).digest()


def _salted_sha256(password: str, salt: str) -> str:
    return hashlib.sha256((salt + password).encode()).hexdigest()


def _keyed(digest: str) -> str:
    """The keyed digest of an unkeyed salted SHA-256 hex digest."""
    key = mac_key(settings.LOYALTY_CUSTOMER_SECRET_HASH_KEY)
    return hashlib.blake2b(digest.encode(), key=key, digest_size=32).hexdigest()


class _SaltedDigestHasher(BasePasswordHasher):
    """`algorithm$salt$digest`, cheap to compute: only ever an interim step."""

    def digest(self, password: str, salt: str) -> str:
        raise NotImplementedError

    def encode(self, password: str, salt: str) -> str:
        # Django's own check (BasePasswordHasher), missing from django-stubs.
        self._check_encode_args(password, salt)  # type: ignore[attr-defined]
        return f"{self.algorithm}${salt}${self.digest(password, salt)}"

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


class KeyedInterimHasher(_SaltedDigestHasher):
    """Keyed BLAKE2b (the key outside the database) of salted SHA-256: what a bulk import
    stores, raised to PBKDF2 afterwards."""

    algorithm = "interim_keyed_blake2b"

    def digest(self, password: str, salt: str) -> str:
        return _keyed(_salted_sha256(password, salt))


class InterimSHA256Hasher(_SaltedDigestHasher):
    """The first, unkeyed interim hash: verifies what migration 0006 did not convert; never
    written any more."""

    algorithm = "interim_sha256"

    def digest(self, password: str, salt: str) -> str:
        return _salted_sha256(password, salt)


class WrappedKeyedInterimPBKDF2Hasher(PBKDF2PasswordHasher):
    """PBKDF2 at Django's default strength over a keyed interim digest, with the interim's
    own salt: what the hardening step turns an interim hash into, without the plaintext.
    The same interim hash always becomes the same wrapped hash, so the customer row and the
    undo data that held one value hold one value again."""

    algorithm = "pbkdf2_wrapped_interim_keyed_blake2b"

    def encode_interim(self, interim_digest: str, salt: str, iterations: int | None = None):
        return super().encode(interim_digest, salt, iterations)

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        return self.encode_interim(KeyedInterimHasher().digest(password, salt), salt, iterations)

    def must_update(self, encoded: str) -> bool:
        # Verified with the plaintext at hand: store a plain PBKDF2 hash instead.
        return True


class WrappedInterimPBKDF2Hasher(PBKDF2PasswordHasher):
    """PBKDF2 over the first, unkeyed interim digest (salt `interim salt:own salt`): what
    hardening wrote before the interim hash was keyed. Full strength; verified, not written."""

    algorithm = "pbkdf2_wrapped_interim_sha256"

    def encode_interim(self, interim_digest: str, salt: str, iterations: int | None = None):
        return super().encode(interim_digest, salt, iterations)

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        interim_salt, _, _ = salt.partition(":")
        digest = InterimSHA256Hasher().digest(password, interim_salt)
        return self.encode_interim(digest, salt, iterations)

    def must_update(self, encoded: str) -> bool:
        return True


KEYED_INTERIM_PREFIX = f"{KeyedInterimHasher.algorithm}$"
UNKEYED_INTERIM_PREFIX = f"{InterimSHA256Hasher.algorithm}$"
INTERIM_PREFIXES = (KEYED_INTERIM_PREFIX, UNKEYED_INTERIM_PREFIX)
_WRAPPED_KEYED_PREFIX = f"{WrappedKeyedInterimPBKDF2Hasher.algorithm}$"
_WRAPPED_UNKEYED_PREFIX = f"{WrappedInterimPBKDF2Hasher.algorithm}$"


def interim_hash(secret: str) -> str:
    """The interim hash of a customer secret, as a bulk import stores it."""
    salt = secrets.token_hex(8)
    return f"{KEYED_INTERIM_PREFIX}{salt}${_keyed(_salted_sha256(secret, salt))}"


def is_interim(encoded: str | None) -> bool:
    return bool(encoded) and encoded.startswith(INTERIM_PREFIXES)  # type: ignore[union-attr]


def keyed_interim(encoded: str) -> str:
    """An interim hash in the keyed form: an unkeyed one is keyed (its digest keyed, no
    plaintext needed); anything else comes back as it is."""
    if not encoded.startswith(UNKEYED_INTERIM_PREFIX):
        return encoded
    _, salt, digest = encoded.split("$", 2)
    return f"{KEYED_INTERIM_PREFIX}{salt}${_keyed(digest)}"


def wrap_interim_hash(encoded: str) -> str:
    """Full-strength PBKDF2 over an interim hash (either form), keeping the interim salt to
    verify later. Deterministic: one interim hash, one wrapped hash."""
    _, salt, digest = keyed_interim(encoded).split("$", 2)
    return WrappedKeyedInterimPBKDF2Hasher().encode_interim(digest, salt)


def hardened_from(encoded: str | None, interim: str) -> bool:
    """Whether `encoded` is `interim` raised to full strength by the hardening step (the
    same secret: the wrapped hash keeps the interim's random salt)."""
    if not encoded or not is_interim(interim):
        return False
    salt = interim.split("$", 2)[1]
    if encoded.startswith(_WRAPPED_KEYED_PREFIX):
        return encoded.split("$", 3)[2] == salt
    if encoded.startswith(_WRAPPED_UNKEYED_PREFIX):
        return encoded.split("$", 3)[2].partition(":")[0] == salt
    return False


def not_weaker(before: str | None, current: str | None) -> str | None:
    """What a rollback writes back for a secret that was `before` and is `current` now: a
    rollback never lowers a hash's strength. An interim `before` over a full-strength
    `current` becomes `current` if that is `before` hardened (the same secret), else
    `before` hardened here; anything else is `before` as it was."""
    if not before or not is_interim(before) or not current or is_interim(current):
        return before
    if hardened_from(current, before):
        return current
    return wrap_interim_hash(before)


__all__ = [
    "INTERIM_PREFIXES",
    "InterimSHA256Hasher",
    "KeyedInterimHasher",
    "WrappedInterimPBKDF2Hasher",
    "WrappedKeyedInterimPBKDF2Hasher",
    "hardened_from",
    "interim_hash",
    "is_interim",
    "keyed_interim",
    "mac_key",
    "not_weaker",
    "wrap_interim_hash",
]
