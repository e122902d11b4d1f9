"""One exception tree for the core.

`TidingsError` and its subclasses are *known* failures (network, disk, bad input): their message is a
sentence a person can read, shown as it is. Anything else escaping the core is a bug.
"""

from __future__ import annotations


class TidingsError(Exception):
    """A known failure, with a message in words for the user."""


class UserInputError(TidingsError):
    """The user asked for something that cannot be done (unknown feed, bad address...)."""


class NotFoundError(UserInputError):
    """A feed, story or folder that does not exist."""


class StoreError(TidingsError):
    """The local store cannot be opened or written."""


class StoreBusyError(StoreError):
    """Another Tidings process holds the store for writing."""


class StoreCorruptError(StoreError):
    """The store file is damaged or is not a database. Tidings leaves it exactly as it is (never writes to,
    replaces or deletes it) and says, in the message, which file it is and what to do."""

    def __init__(self, message: str, path: str | None = None):
        super().__init__(message)
        self.path = path


class FetchError(TidingsError):
    """A network failure for one address: connect, timeout, HTTP status, size..."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class FeedParseError(TidingsError):
    """Fetched bytes that are not a feed we can read."""


class DiscoveryError(TidingsError):
    """An address that is neither a feed nor a page that links to one."""


class OPMLError(TidingsError):
    """An OPML file that cannot be read."""


class CredentialsError(TidingsError):
    """The OS keyring failed or is not secure."""


LOGIN_NEEDED = "The feed needs a login (HTTP 401)."
LOGIN_REFUSED = "The server refused the saved login for this feed (HTTP 401)."


class LoginNeededError(FetchError):
    """HTTP 401: the address asks for a login; none was sent, or the one sent was refused (`refused`).

    `url` is the address that asked and `scheme` what it asked for ("basic", "bearer", ...: the
    WWW-Authenticate scheme, lower case). The message never holds the login itself."""

    def __init__(self, url: str, *, scheme: str = "basic", refused: bool = False):
        super().__init__(LOGIN_REFUSED if refused else LOGIN_NEEDED, status=401)
        self.url = url
        self.scheme = scheme
        self.refused = refused


def login_needed(message: str | None) -> bool:
    """Whether a feed's error (stored, or in a refresh outcome) means that giving a login would help."""
    return message in (LOGIN_NEEDED, LOGIN_REFUSED)
