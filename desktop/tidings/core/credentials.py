"""Feed logins (HTTP Basic or a bearer token) in the OS keyring, behind a small interface.

Only secure back ends are used (Secret Service, KWallet, macOS Keychain, Windows Credential Locker:
keyring priority >= 1). Without one, secrets live in memory for this session only and the user is told why
in a sentence. A plaintext back end (keyrings.alt) is refused even when keyring would pick it, alone or
inside keyring's chainer.

Where a secret is kept: service ``Tidings``, account ``feed:<id>`` (the feed's number in the library),
value a small JSON object. The number stays when a feed follows a permanent redirect, so the login
survives an address change; the `origin` kept with it makes sure it is only ever sent to the site it was
given for (or that site upgraded to https), never to another one the feed moved to.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import CredentialsError, UserInputError

SERVICE = "Tidings"
KINDS = ("basic", "bearer")
SECURE_PRIORITY = 1.0
_TOKEN = re.compile(r"[\x21-\x7e]+")  # what an Authorization header can carry as it is
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Secret:
    """A login for one feed: HTTP Basic (username and password) or a bearer token (in `password`).

    `origin` ("https://host:443") is the site the login was given for; empty means "the feed's own
    address", for secrets made before origins were kept. The password never shows in a repr."""

    kind: str  # "basic" or "bearer"
    username: str = ""
    password: str = field(default="", repr=False)
    origin: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UserInputError(f"A login is HTTP Basic or a bearer token, not “{self.kind}”.")
        if self.kind == "basic" and ":" in self.username:
            raise UserInputError("A user name for HTTP Basic cannot contain a colon.")
        if self.kind == "bearer" and not _TOKEN.fullmatch(self.password):
            raise UserInputError("An access token is one word of printable characters (no spaces).")

    def __repr__(self) -> str:
        return (
            f"Secret(kind={self.kind!r}, username={self.username!r}, password=<hidden>, "
            f"origin={self.origin!r})"
        )

    def allows(self, url: str) -> bool:
        """Whether this login may be sent to `url`."""
        return not self.origin or same_site(self.origin, url)


def origin_of(url: str) -> str:
    """scheme://host:port with the default port written out, for comparing sites."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{parts.port or (443 if scheme == 'https' else 80)}"


def same_site(origin: str, url: str) -> bool:
    """`url` is on `origin`, or on the same host moved from http to https (default ports)."""
    target = origin_of(url)
    if target == origin_of(origin):
        return True
    a, b = urlsplit(origin_of(origin)), urlsplit(target)
    return (a.scheme, a.port, b.scheme, b.port) == ("http", 80, "https", 443) and a.hostname == b.hostname


class CredentialStore(Protocol):
    def get(self, feed_id: int) -> Secret | None: ...
    def set(self, feed_id: int, secret: Secret) -> None: ...
    def delete(self, feed_id: int) -> None: ...
    def storage_warning(self) -> str | None:
        """None when secrets are kept for good, else the sentence saying why they are not."""
        ...


class MemoryCredentials:
    """Secrets for this session only (tests, or no secure keyring)."""

    def __init__(self, warning: str | None = None) -> None:
        self._secrets: dict[int, Secret] = {}
        self._warning = warning

    def get(self, feed_id: int) -> Secret | None:
        return self._secrets.get(feed_id)

    def set(self, feed_id: int, secret: Secret) -> None:
        self._secrets[feed_id] = secret

    def delete(self, feed_id: int) -> None:
        self._secrets.pop(feed_id, None)

    def storage_warning(self) -> str | None:
        return self._warning

    def __len__(self) -> int:
        return len(self._secrets)

    def __repr__(self) -> str:
        return f"MemoryCredentials({len(self._secrets)} secrets)"


class KeyringCredentials:
    """The OS keyring; raises CredentialsError when no secure back end is available."""

    def __init__(self, backend: Any = None) -> None:
        import keyring

        offered = backend if backend is not None else keyring.get_keyring()
        chosen = secure_backend(offered)
        if chosen is None:
            raise CredentialsError(no_keyring_sentence(offered))
        self._backend: Any = chosen
        self.name = backend_name(chosen)
        log.info("credentials: using keyring back end %s", self.name)

    def get(self, feed_id: int) -> Secret | None:
        try:
            raw = self._backend.get_password(SERVICE, _account(feed_id))
        except Exception as exc:  # keyring back ends raise many kinds
            raise CredentialsError(f"The keyring could not be read ({type(exc).__name__}).") from exc
        return _decode(raw) if raw else None

    def set(self, feed_id: int, secret: Secret) -> None:
        try:
            self._backend.set_password(SERVICE, _account(feed_id), _encode(secret))
        except Exception as exc:
            raise CredentialsError(f"The keyring refused to keep the login ({type(exc).__name__}).") from exc

    def delete(self, feed_id: int) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._backend.delete_password(SERVICE, _account(feed_id))
        except PasswordDeleteError:  # nothing stored is fine
            log.debug("credentials: nothing to delete for feed %s", feed_id)
        except Exception as exc:
            raise CredentialsError(f"The keyring could not forget the login ({type(exc).__name__}).") from exc

    def storage_warning(self) -> str | None:
        return None

    def __repr__(self) -> str:
        return f"KeyringCredentials({self.name})"


def backend_name(backend: object) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def is_secure(backend: object) -> bool:
    """Priority >= 1 and not a plaintext, failing, empty or chaining back end."""
    name = backend_name(backend)
    if name.startswith(("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")):
        return False
    if name.startswith("keyring.backends.chainer"):
        return False
    try:
        priority = float(getattr(backend, "priority", 0) or 0)
    except Exception:  # a back end that cannot tell is not viable here
        return False
    return priority >= SECURE_PRIORITY


def secure_backend(backend: object) -> object | None:
    """The back end itself when secure; inside keyring's chainer (which keyring picks as soon as two back
    ends are viable, plaintext ones included) the best secure one it chains; else None."""
    for candidate in _candidates(backend):
        if is_secure(candidate):
            return candidate
    return None


def _candidates(backend: object) -> list[object]:
    if backend_name(backend).startswith("keyring.backends.chainer") or hasattr(backend, "backends"):
        return list(getattr(backend, "backends", None) or [])
    return [backend]


def no_keyring_sentence(backend: object) -> str:
    found = [backend_name(b) for b in _candidates(backend)]
    why = f"keyring offers only {', '.join(found)}" if found else "keyring found none"
    return (
        f"No secure keyring is available ({why}), so logins are kept in memory until Tidings closes "
        "and asked for again next time."
    )


def open_credentials() -> tuple[CredentialStore, str | None]:
    """The keyring when it is secure, else memory and a sentence saying why."""
    try:
        return KeyringCredentials(), None
    except CredentialsError as exc:
        reason = str(exc)
    except Exception as exc:  # keyring import or back-end discovery failed
        reason = (
            f"The keyring could not be opened ({type(exc).__name__}), so logins are kept in memory "
            "until Tidings closes and asked for again next time."
        )
    log.info("credentials: %s", reason)
    return MemoryCredentials(reason), reason


def _account(feed_id: int) -> str:
    return f"feed:{feed_id}"


def _encode(secret: Secret) -> str:
    return json.dumps(
        {
            "kind": secret.kind,
            "username": secret.username,
            "password": secret.password,
            "origin": secret.origin,
        }
    )


def _decode(raw: str) -> Secret | None:
    try:
        data = json.loads(raw)
        return Secret(
            str(data["kind"]),
            str(data.get("username", "")),
            str(data.get("password", "")),
            str(data.get("origin", "")),
        )
    except (ValueError, KeyError, TypeError, UserInputError):
        return None


def split_userinfo(url: str) -> tuple[str, Secret | None]:
    """Remove `user:password@` from `url`; returns the clean address and the secret it held, bound to
    the address's site."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    secret = Secret("basic", unquote(parts.username or ""), unquote(parts.password or ""), origin_of(clean))
    return clean, secret


def redact(url: str) -> str:
    """`url` without any `user:password@`, for messages."""
    try:
        return split_userinfo(url)[0]
    except ValueError:
        return re.sub(r"//[^/?#]*@", "//", url)


class LazyCredentials:
    """Opens the keyring on first use only (it may talk to D-Bus), and says why once if it falls back to
    memory: no secure back end at all, or a keyring that refuses to keep one login (that one is then
    kept in memory for this session)."""

    def __init__(self, on_warning: Callable[[str], None] | None = None):
        self._store: CredentialStore | None = None
        self._session = MemoryCredentials()
        self._on_warning = on_warning
        self._refused: str | None = None  # why the logins in `_session` are not in the keyring

    def _open(self) -> CredentialStore:
        if self._store is None:
            self._store, warning = open_credentials()
            if warning:
                self._warn(warning)
        return self._store

    def _warn(self, sentence: str) -> None:
        if self._on_warning:
            self._on_warning(sentence)

    def get(self, feed_id: int) -> Secret | None:
        return self._session.get(feed_id) or self._open().get(feed_id)

    def set(self, feed_id: int, secret: Secret) -> None:
        try:
            self._open().set(feed_id, secret)
        except CredentialsError as exc:
            self._session.set(feed_id, secret)
            self._refused = f"{exc} The login is kept in memory until Tidings closes."
            self._warn(self._refused)
            return
        self._session.delete(feed_id)

    def delete(self, feed_id: int) -> None:
        self._session.delete(feed_id)
        self._open().delete(feed_id)

    def storage_warning(self) -> str | None:
        return self._open().storage_warning() or (self._refused if len(self._session) else None)

    def __repr__(self) -> str:
        return f"LazyCredentials({self._store!r})"
