"""Plugin secrets encrypted at rest, so a database dump or backup hands out no gateway keys.

Each secret value is stored as ``fernet:<token>``: Fernet (AES-128-CBC and
HMAC-SHA256) under a key derived with HKDF-SHA256 from
``settings.PEERLEARN_SECRETS_KEY``, or from ``settings.SECRET_KEY`` when that is
unset. New values are always encrypted with that key; values encrypted with an
older one are still read while it is listed in ``PEERLEARN_SECRETS_KEY_FALLBACKS``
or ``SECRET_KEY_FALLBACKS`` (``manage.py reencrypt_plugin_secrets`` moves them to
the current key, after which the old one can be dropped). A value without the
prefix was written before encryption and is read as it is.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"
_SALT = b"peerlearn.plugins.secrets"
_INFO = b"PluginConfiguration.secrets v1"


class SecretDecryptionError(Exception):
    """A stored secret was encrypted with a key that is neither the current one nor a fallback."""


class SealedSecret(str):
    """A stored ``fernet:`` value kept as it is: already encrypted, or unreadable with the current keys.

    Saving a configuration writes it back unchanged, so a key set wrongly for a
    while loses nothing; nothing ever hands it to a plugin.
    """

    __slots__ = ()


def key_sources() -> tuple[str, ...]:
    """The secrets keys from settings: the current one first, then the fallbacks, without repeats.

    Switching from ``SECRET_KEY`` to a dedicated ``PEERLEARN_SECRETS_KEY`` keeps
    ``SECRET_KEY`` as a fallback, so values stored before stay readable.
    """
    dedicated = getattr(settings, "PEERLEARN_SECRETS_KEY", "") or ""
    sources = [
        dedicated or settings.SECRET_KEY,
        *getattr(settings, "PEERLEARN_SECRETS_KEY_FALLBACKS", ()),
        *(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ()),
    ]
    if dedicated:
        sources.append(settings.SECRET_KEY)
    return tuple(dict.fromkeys(str(s) for s in sources if s))


@lru_cache(maxsize=32)
def _derive(source: str) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(source.encode())))


@lru_cache(maxsize=8)
def _fernet(sources: tuple[str, ...]) -> MultiFernet:
    if not sources:
        raise ImproperlyConfigured("Set SECRET_KEY (or PEERLEARN_SECRETS_KEY): plugin secrets are encrypted with it.")
    return MultiFernet([_derive(source) for source in sources])


def is_encrypted(stored: Any) -> bool:
    return isinstance(stored, str) and stored.startswith(PREFIX)


def encrypt(value: Any) -> SealedSecret:
    """``value`` (anything JSON can hold) sealed with the current key."""
    token = _fernet(key_sources()).encrypt(json.dumps(value).encode())
    return SealedSecret(PREFIX + token.decode("ascii"))


@lru_cache(maxsize=1024)
def _open(stored: str, sources: tuple[str, ...]) -> Any:
    try:
        plain = _fernet(sources).decrypt(stored[len(PREFIX) :].encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as exc:
        raise SecretDecryptionError(
            "it was encrypted with a key that is neither PEERLEARN_SECRETS_KEY/SECRET_KEY nor one of their fallbacks"
        ) from exc
    return json.loads(plain)


def decrypt(stored: Any) -> Any:
    """The plain value of a stored secret; a value stored before encryption comes back as it is.

    Raises :class:`SecretDecryptionError` when no configured key opens it.
    Successes are memoised per process (tokens are random, so one token is one value).
    """
    if not is_encrypted(stored):
        return stored
    return _open(str(stored), key_sources())


def encrypt_values(values: dict[str, Any]) -> dict[str, SealedSecret]:
    """Every value of ``values`` sealed; values that are sealed already are kept as they are."""
    return {name: value if isinstance(value, SealedSecret) else encrypt(value) for name, value in values.items()}


def decrypt_values(stored: dict[str, Any]) -> dict[str, Any]:
    """Every value of ``stored`` opened; one no key opens stays a :class:`SealedSecret`."""
    opened: dict[str, Any] = {}
    for name, value in stored.items():
        try:
            opened[name] = decrypt(value)
        except SecretDecryptionError:
            opened[name] = SealedSecret(value)
    return opened


def needs_reencryption(stored: Any) -> bool:
    """Whether ``stored`` is plain text or sealed with a fallback key rather than the current one."""
    if not is_encrypted(stored):
        return True
    sources = key_sources()
    try:
        _derive(sources[0]).decrypt(str(stored)[len(PREFIX) :].encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return True
    return False
