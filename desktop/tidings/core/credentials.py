"""Feed credentials in the OS keyring, behind a small interface.

Only secure back ends are used (Secret Service, KWallet, macOS Keychain, Windows Credential Locker:
keyring priority >= 1). Without one, secrets live in memory for this session only. A plaintext back end
(keyrings.alt) is refused even when keyring would pick it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import CredentialsError

SERVICE = "Tidings"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Secret:
    kind: str  # "basic" or "bearer"
    username: str = ""
    password: str = field(default="", repr=False)

    def __repr__(self) -> str:
        return f"Secret(kind={self.kind!r}, username={self.username!r}, password=<hidden>)"


class CredentialStore(Protocol):
    def get(self, feed_id: int) -> Secret | None: ...
    def set(self, feed_id: int, secret: Secret) -> None: ...
    def delete(self, feed_id: int) -> None: ...


class MemoryCredentials:
    """Secrets for this session only (tests, or no secure keyring)."""

    def __init__(self) -> None:
        self._secrets: dict[int, Secret] = {}

    def get(self, feed_id: int) -> Secret | None:
        return self._secrets.get(feed_id)

    def set(self, feed_id: int, secret: Secret) -> None:
        self._secrets[feed_id] = secret

    def delete(self, feed_id: int) -> None:
        self._secrets.pop(feed_id, None)

    def __repr__(self) -> str:
        return f"MemoryCredentials({len(self._secrets)} secrets)"


class KeyringCredentials:
    """The OS keyring; raises CredentialsError when the back end is missing or not secure."""

    def __init__(self) -> None:
        import keyring

        backend = keyring.get_keyring()
        priority = float(getattr(backend, "priority", 0) or 0)
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        if priority < 1 or "keyrings.alt" in name or "fail" in name.lower() or "null" in name.lower():
            raise CredentialsError(
                "No secure keyring is available (found only an unsafe or empty one), so passwords are kept "
                "in memory until Tidings closes."
            )
        self._keyring = keyring
        log.info("credentials: using keyring back end %s", name)

    def get(self, feed_id: int) -> Secret | None:
        try:
            raw = self._keyring.get_password(SERVICE, _account(feed_id))
        except Exception as exc:  # keyring back ends raise many kinds
            raise CredentialsError(f"The keyring could not be read ({type(exc).__name__}).") from exc
        return _decode(raw) if raw else None

    def set(self, feed_id: int, secret: Secret) -> None:
        value = json.dumps({"kind": secret.kind, "username": secret.username, "password": secret.password})
        try:
            self._keyring.set_password(SERVICE, _account(feed_id), value)
        except Exception as exc:
            raise CredentialsError(
                f"The keyring refused to store the password ({type(exc).__name__})."
            ) from exc

    def delete(self, feed_id: int) -> None:
        try:
            self._keyring.delete_password(SERVICE, _account(feed_id))
        except Exception:  # nothing stored is fine
            log.debug("credentials: nothing to delete for feed %s", feed_id)


def open_credentials() -> tuple[CredentialStore, str | None]:
    """The keyring when it is secure, else memory and a sentence saying why."""
    try:
        return KeyringCredentials(), None
    except CredentialsError as exc:
        return MemoryCredentials(), str(exc)
    except Exception as exc:  # keyring import or back-end discovery failed
        return (
            MemoryCredentials(),
            f"The keyring could not be opened ({type(exc).__name__}); passwords stay in memory.",
        )


def _account(feed_id: int) -> str:
    return f"feed:{feed_id}"


def _decode(raw: str) -> Secret | None:
    try:
        data = json.loads(raw)
        return Secret(str(data["kind"]), str(data.get("username", "")), str(data.get("password", "")))
    except (ValueError, KeyError, TypeError):
        return None


def split_userinfo(url: str) -> tuple[str, Secret | None]:
    """Remove `user:password@` from `url`; returns the clean address and the secret it held."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, Secret("basic", unquote(parts.username or ""), unquote(parts.password or ""))


class LazyCredentials:
    """Opens the keyring on first use only (it may talk to D-Bus), and says once if it fell back."""

    def __init__(self, on_warning: Callable[[str], None] | None = None):
        self._store: CredentialStore | None = None
        self._on_warning = on_warning

    def _open(self) -> CredentialStore:
        if self._store is None:
            self._store, warning = open_credentials()
            if warning and self._on_warning:
                self._on_warning(warning)
        return self._store

    def get(self, feed_id: int) -> Secret | None:
        return self._open().get(feed_id)

    def set(self, feed_id: int, secret: Secret) -> None:
        self._open().set(feed_id, secret)

    def delete(self, feed_id: int) -> None:
        self._open().delete(feed_id)
