"""Feed logins: HTTP Basic and bearer tokens kept in the OS keyring, sent only to the feed's own site.

Covers the back-end policy (secure back ends only; memory and a sentence otherwise), where a login may go
(never to another site after a redirect), the 401 that says a login is needed, the facade the window's
login dialog uses, the CLI, and that a secret is never found in the store, a log, an export, an error or
a repr. The last part runs against a real Secret Service: gnome-keyring-daemon inside dbus-run-session.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.errors import KeyringLocked, PasswordDeleteError

from tests.loopback import LoopbackServer, Response, read_data
from tidings.core import credentials as creds
from tidings.core.credentials import (
    KeyringCredentials,
    LazyCredentials,
    MemoryCredentials,
    Secret,
    open_credentials,
    redact,
    same_site,
    split_userinfo,
)
from tidings.core.errors import (
    LOGIN_NEEDED,
    LOGIN_REFUSED,
    LoginNeededError,
    TidingsError,
    UserInputError,
    login_needed,
)
from tidings.core.fetch import FetchRequest
from tidings.core.library import Library
from tidings.core.storage import feeds as feed_store

PASSWORD = "correct-horse-battery-9"
TOKEN = "tok-8f3a1c9e2b7d"
USER = "reader"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
NEEDLES = (PASSWORD, TOKEN, BASIC)  # what must never be found anywhere but the keyring


def subscribe(library: Library, url: str) -> int:
    return library.write(lambda c: feed_store.add_feed(c, url))


def auth_headers(server: LoopbackServer, path: str) -> list[str | None]:
    return [seen.headers.get("authorization") for seen in server.requests_to(path)]


def assert_no_secret(text: str | bytes, where: object) -> None:
    data = text.encode() if isinstance(text, str) else text
    for needle in NEEDLES:
        assert needle.encode() not in data, f"a secret was found in {where}"


# -- fake keyring back ends (plain classes: keyring's registry of back ends stays untouched) --------
class DictKeyring:
    """A secure-looking back end (priority 5) that keeps secrets in a dict."""

    priority = 5

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class LockedKeyring(DictKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")


def plaintext_class(priority: float) -> type[DictKeyring]:
    """Looks to our policy like keyrings.alt's PlaintextKeyring (which keyring picks silently)."""
    return type("PlaintextKeyring", (DictKeyring,), {"priority": priority, "__module__": "keyrings.alt.file"})


class FakeChainer:
    """keyring's ChainerBackend: what get_keyring() returns as soon as two back ends are viable."""

    priority = 10
    __module__ = "keyring.backends.chainer"

    def __init__(self, *backends: object) -> None:
        self.backends = list(backends)


def offer(monkeypatch: pytest.MonkeyPatch, backend: object) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)


# -- the secret itself ----------------------------------------------------------------------------
def test_a_secret_never_shows_in_a_repr_or_an_error() -> None:
    basic = Secret("basic", USER, PASSWORD, "https://example.org:443")
    bearer = Secret("bearer", "", TOKEN)
    store = MemoryCredentials()
    store.set(1, basic)
    lazy = LazyCredentials()
    lazy._store = store
    request = FetchRequest("https://example.org/feed.xml", authorization=f"Basic {BASIC}")
    for thing in (basic, bearer, store, lazy, request, [basic], {"s": bearer}):
        assert_no_secret(repr(thing), type(thing).__name__)
        assert_no_secret(str(thing), type(thing).__name__)
        assert_no_secret(f"{thing}", type(thing).__name__)
    assert "password=<hidden>" in repr(basic) and USER in repr(basic)
    for error in (LoginNeededError("https://example.org/f", refused=True), LoginNeededError("https://x/")):
        assert_no_secret(str(error), "a 401 error")
        assert login_needed(str(error))


@pytest.mark.parametrize(
    ("origin", "url", "allowed"),
    [
        ("https://example.org:443", "https://example.org/feed.xml", True),
        ("https://example.org:443", "https://EXAMPLE.org:443/other/path?q=1", True),
        ("http://example.org:80", "https://example.org/feed.xml", True),  # the same host, upgraded
        ("https://example.org:443", "http://example.org/feed.xml", False),  # never downgraded
        ("https://example.org:443", "https://www.example.org/feed.xml", False),
        ("https://example.org:443", "https://example.org:8443/feed.xml", False),
        ("http://example.org:8080", "https://example.org:8443/feed.xml", False),
        ("https://example.org:443", "https://example.org.evil.test/feed.xml", False),
        ("http://[::1]:80", "http://[::1]/feed.xml", True),
    ],
)
def test_where_a_login_may_go(origin: str, url: str, allowed: bool) -> None:
    assert same_site(origin, url) is allowed
    assert Secret("basic", "u", "p", origin).allows(url) is allowed


def test_an_address_login_is_bound_to_its_site_and_redacted_from_messages() -> None:
    clean, secret = split_userinfo(f"https://{USER}:{PASSWORD}@Example.org:8443/private.xml")
    assert clean == "https://example.org:8443/private.xml"
    assert secret is not None and secret.origin == "https://example.org:8443"
    assert (secret.username, secret.password) == (USER, PASSWORD)
    assert redact(f"https://{USER}:{PASSWORD}@example.org/f") == "https://example.org/f"
    assert PASSWORD not in redact(f"ftp://{USER}:{PASSWORD}@example.org/f")


def test_logins_that_cannot_go_in_a_header_are_refused_in_words() -> None:
    for bad in ("", "two words", "line\nbreak", "tök"):
        with pytest.raises(UserInputError, match="access token") as caught:
            Secret("bearer", "", bad)
        assert bad not in str(caught.value) or not bad
    with pytest.raises(UserInputError, match="colon"):
        Secret("basic", "a:b", PASSWORD)
    with pytest.raises(UserInputError):
        Secret("digest", USER, PASSWORD)


# -- back-end policy ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "backend",
    [
        keyring.backends.fail.Keyring(),  # what keyring alone gives without a Secret Service
        keyring.backends.null.Keyring(),
        plaintext_class(0.5)(),  # keyrings.alt's PlaintextKeyring, picked silently when installed
        plaintext_class(5)(),  # even one that claims a high priority
        FakeChainer(plaintext_class(0.5)(), plaintext_class(0.6)()),  # the chainer of two unsafe ones
        FakeChainer(),
    ],
    ids=["fail", "null", "plaintext", "plaintext-high", "chainer-of-plaintext", "empty-chainer"],
)
def test_without_a_secure_back_end_logins_stay_in_memory_with_a_sentence(
    monkeypatch: pytest.MonkeyPatch, backend: object
) -> None:
    offer(monkeypatch, backend)
    with pytest.raises(TidingsError, match="No secure keyring"):
        KeyringCredentials()
    store, why = open_credentials()
    assert isinstance(store, MemoryCredentials)
    assert (
        why
        and why.startswith("No secure keyring is available")
        and why.endswith("asked for again next time.")
    )
    assert why.count(". ") == 0  # one sentence
    assert store.storage_warning() == why
    store.set(1, Secret("basic", USER, PASSWORD))
    assert store.get(1) == Secret("basic", USER, PASSWORD)
    if isinstance(backend, DictKeyring):
        assert backend.items == {}  # nothing went to the plaintext file


def test_the_sentence_names_what_keyring_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    offer(monkeypatch, keyring.backends.fail.Keyring())
    _, why = open_credentials()
    assert "keyring.backends.fail.Keyring" in (why or "")


def test_inside_the_chainer_only_the_secure_back_end_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    secure, plaintext = DictKeyring(), plaintext_class(0.5)()
    offer(monkeypatch, FakeChainer(secure, plaintext))
    store = KeyringCredentials()
    store.set(7, Secret("basic", USER, PASSWORD, "https://example.org:443"))
    assert list(secure.items) == [("Tidings", "feed:7")] and plaintext.items == {}
    assert store.get(7) == Secret("basic", USER, PASSWORD, "https://example.org:443")
    assert_no_secret(repr(store), "KeyringCredentials")
    store.delete(7)
    store.delete(7)  # nothing stored is fine
    assert store.get(7) is None and store.storage_warning() is None


def test_the_keyring_is_opened_on_first_use_and_says_why_once(monkeypatch: pytest.MonkeyPatch) -> None:
    offer(monkeypatch, keyring.backends.fail.Keyring())
    said: list[str] = []
    lazy = LazyCredentials(said.append)
    assert said == []
    lazy.set(1, Secret("bearer", "", TOKEN))
    assert lazy.get(1) == Secret("bearer", "", TOKEN) and lazy.get(2) is None
    assert len(said) == 1 and "No secure keyring" in said[0]
    assert lazy.storage_warning() == said[0]


def test_a_keyring_that_refuses_one_login_keeps_it_for_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    locked = LockedKeyring()
    offer(monkeypatch, locked)
    said: list[str] = []
    lazy = LazyCredentials(said.append)
    lazy.set(3, Secret("basic", USER, PASSWORD))
    assert lazy.get(3) == Secret("basic", USER, PASSWORD) and locked.items == {}
    assert said and "KeyringLocked" in said[0] and "in memory until Tidings closes" in said[0]
    assert lazy.storage_warning() == said[0]
    assert_no_secret(said[0], "the warning")
    lazy.delete(3)
    assert lazy.get(3) is None and lazy.storage_warning() is None


# -- refreshing with a login (loopback server) ----------------------------------------------------
def test_a_basic_login_from_the_facade_is_sent_on_refresh(library: Library, server: LoopbackServer) -> None:
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    feed_id = subscribe(library, server.url("/private.xml"))
    first = library.refresh().outcomes[0]
    assert (first.status, first.http_status, first.error) == ("error", 401, LOGIN_NEEDED)
    assert library.needs_login(library.feed(feed_id)) and library.login_user(feed_id) is None

    assert library.set_login(feed_id, USER, PASSWORD) is None  # None: kept for good
    feed = library.feed(feed_id)
    assert feed.auth == "basic" and feed.next_check is None  # due at once, back-off over
    assert library.refresh().outcomes[0].status == "updated"  # not ids: it is due
    assert auth_headers(server, "/private.xml")[-1] == f"Basic {BASIC}"
    assert not library.needs_login(library.feed(feed_id)) and library.login_user(feed_id) == USER
    secret = library.credentials.get(feed_id)
    assert secret is not None and secret.origin == f"http://127.0.0.1:{server.server_address[1]}"


def test_a_bearer_token_is_sent_on_refresh(library: Library, server: LoopbackServer) -> None:
    server.serve_bearer("/token.json", read_data("refresh", "atom10.xml"), TOKEN, "application/atom+xml")
    feed_id = subscribe(library, server.url("/token.json"))
    assert library.set_token(feed_id, f" {TOKEN}\n") is None
    assert library.refresh([feed_id]).outcomes[0].status == "updated"
    assert auth_headers(server, "/token.json") == [f"Bearer {TOKEN}"]
    assert library.feed(feed_id).auth == "bearer" and library.login_user(feed_id) == ""


def test_a_refused_login_is_its_own_error_and_forgetting_a_login_works(
    library: Library, server: LoopbackServer
) -> None:
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    feed_id = subscribe(library, server.url("/private.xml"))
    library.set_login(feed_id, USER, "wrong-password")
    outcome = library.refresh([feed_id]).outcomes[0]
    assert (outcome.error, outcome.http_status) == (LOGIN_REFUSED, 401)
    assert library.needs_login(library.feed(feed_id))
    library.set_login(feed_id, USER, PASSWORD)
    assert library.refresh([feed_id]).outcomes[0].status == "updated"
    library.forget_login(feed_id)
    assert library.credentials.get(feed_id) is None and library.feed(feed_id).auth is None
    assert library.refresh([feed_id]).outcomes[0].error == LOGIN_NEEDED
    with pytest.raises(UserInputError):
        library.set_login(feed_id, "", "")


def test_a_login_is_never_sent_to_another_site_after_a_redirect(
    library: Library, server: LoopbackServer
) -> None:
    other = LoopbackServer().start()  # another port: another site
    try:
        other.serve_basic("/feed.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
        server.redirect("/private.xml", other.url("/feed.xml"), status=302)
        feed_id = subscribe(library, server.url("/private.xml"))
        library.set_login(feed_id, USER, PASSWORD)
        outcome = library.refresh([feed_id]).outcomes[0]
        assert auth_headers(server, "/private.xml") == [f"Basic {BASIC}"]
        assert auth_headers(other, "/feed.xml") == [None]
        assert "never sends a login to another site" in (outcome.error or "")
        assert not library.needs_login(library.feed(feed_id))  # asking again would not help
    finally:
        other.stop()


def test_a_feed_that_moved_to_another_site_keeps_its_login_to_itself(
    library: Library, server: LoopbackServer
) -> None:
    other = LoopbackServer().start()
    try:
        other.serve("/feed.xml", read_data("refresh", "rss20.xml"), "application/rss+xml")  # public there
        server.redirect("/private.xml", other.url("/feed.xml"), status=301)
        feed_id = subscribe(library, server.url("/private.xml"))
        library.set_login(feed_id, USER, PASSWORD)
        assert library.refresh([feed_id]).outcomes[0].moved_to == other.url("/feed.xml")
        assert library.feed(feed_id).url == other.url("/feed.xml")
        library.refresh([feed_id])  # now straight to the new site: still without the login
        assert auth_headers(other, "/feed.xml") == [None, None]
    finally:
        other.stop()


def test_a_redirect_on_the_same_site_keeps_the_login(library: Library, server: LoopbackServer) -> None:
    server.serve_basic("/new.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    server.redirect("/old.xml", "/new.xml", status=301)
    feed_id = subscribe(library, server.url("/old.xml"))
    library.set_login(feed_id, USER, PASSWORD)
    assert library.refresh([feed_id]).outcomes[0].status == "updated"
    assert library.feed(feed_id).url == server.url("/new.xml")  # the login is keyed by number: it stays
    assert library.refresh([feed_id]).outcomes[0].status == "unchanged"
    assert auth_headers(server, "/new.xml") == [f"Basic {BASIC}"] * 2


# -- subscribing to a feed behind a login ---------------------------------------------------------
def test_adding_a_feed_that_needs_a_login_asks_then_keeps_it(
    library: Library, server: LoopbackServer
) -> None:
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    server.serve_bearer("/token.xml", read_data("refresh", "atom10.xml"), TOKEN)
    with pytest.raises(LoginNeededError) as basic:
        library.add_feed(server.url("/private.xml"))
    assert (basic.value.url, basic.value.scheme, basic.value.refused) == (
        server.url("/private.xml"),
        "basic",
        False,
    )
    with pytest.raises(LoginNeededError) as bearer:
        library.add_feed(server.url("/token.xml"))
    assert bearer.value.scheme == "bearer"
    assert library.feeds() == []

    feed = library.add_feed(basic.value.url, login=Secret("basic", USER, PASSWORD))
    assert feed.auth == "basic" and feed.total == 15
    token_feed = library.add_feed(bearer.value.url, login=Secret("bearer", "", TOKEN))
    assert token_feed.auth == "bearer" and token_feed.total == 15
    with pytest.raises(LoginNeededError) as wrong:
        library.add_feed(server.url("/private.xml") + "?again", login=Secret("basic", USER, "nope"))
    assert wrong.value.refused and str(wrong.value) == LOGIN_REFUSED


def test_a_login_in_the_address_moves_to_the_store_even_for_a_compressed_feed(
    library: Library, server: LoopbackServer
) -> None:
    packed = gzip.compress(read_data("refresh", "rss20.xml"))
    server.routes["/private.xml"] = lambda h: (
        Response(200, packed, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"})
        if h.headers.get("Authorization") == f"Basic {BASIC}"
        else Response(401, b"", {"WWW-Authenticate": "Basic"})
    )
    port = server.server_address[1]
    feed = library.add_feed(f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/private.xml")
    assert feed.url == server.url("/private.xml") and feed.total == 15 and feed.auth == "basic"
    assert library.credentials.get(feed.id) == Secret("basic", USER, PASSWORD, f"http://127.0.0.1:{port}")


def test_a_bad_address_with_a_login_is_refused_without_showing_it(library: Library) -> None:
    with pytest.raises(UserInputError) as caught:
        library.add_feed(f"ftp://{USER}:{PASSWORD}@example.org/feed.xml")
    assert "example.org" in str(caught.value)
    assert_no_secret(str(caught.value), "the error")


# -- nowhere on disk, in logs, exports or errors --------------------------------------------------
def test_a_secret_is_nowhere_in_the_data_folder_logs_exports_or_errors(
    library: Library, server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    server.serve_bearer("/token.xml", read_data("refresh", "atom10.xml"), TOKEN)
    server.serve_basic("/refused.xml", b"", USER, "another-password")
    port = server.server_address[1]
    basic = library.add_feed(f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/private.xml")
    token = subscribe(library, server.url("/token.xml"))
    refused = subscribe(library, server.url("/refused.xml"))
    library.set_token(token, TOKEN)
    library.set_login(refused, USER, PASSWORD)
    report = library.refresh(force=True)
    assert [o.status for o in report.outcomes] == ["unchanged", "updated", "error"]
    assert len(set(auth_headers(server, "/private.xml"))) == 1 and auth_headers(server, "/refused.xml")

    exported = library.export_opml()
    assert b"private.xml" in exported
    assert_no_secret(exported, "the OPML export")
    assert_no_secret(caplog.text, "the log")
    assert_no_secret(repr(report), "the refresh report")
    assert_no_secret(repr(library.feeds()), "the feeds")
    assert_no_secret(repr(library.credentials), "the credential store")
    for feed in library.feeds():
        assert_no_secret(feed.error.message if feed.error else "", "a feed's error")
    assert library.credentials.get(basic.id) is not None  # it is there, in the store only
    library.close()
    files = [p for p in library.folder.rglob("*") if p.is_file()]
    assert library.path in files
    for path in files:
        assert_no_secret(path.read_bytes(), path)


# -- the CLI without any keyring back end -----------------------------------------------------------
def tidings(
    data: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidings", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
        env=env,
    )


def no_keyring_env() -> dict[str, str]:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.pop("TIDINGS_DATA_DIR", None)
    return env


def test_the_cli_without_a_keyring_keeps_the_login_for_the_command_only(
    tmp_path: Path, server: LoopbackServer
) -> None:
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    env, data, port = no_keyring_env(), tmp_path / "lib", server.server_address[1]
    added = tidings(data, "add", f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/private.xml", env=env)
    assert added.returncode == 0, added.stderr
    assert (
        "No secure keyring is available (keyring offers only keyring.backends.fail.Keyring)" in added.stderr
    )
    assert "15 stories" in added.stdout

    refreshed = tidings(data, "refresh", env=env)  # the next session asks again
    assert f"{LOGIN_NEEDED} Log in with `tidings login 1`." in refreshed.stdout
    login = tidings(data, "login", "1", "--user", USER, "--password-stdin", stdin=PASSWORD, env=env)
    assert login.returncode == 1
    assert "No secure keyring" in login.stderr and "Nothing was saved" in login.stderr
    for out in (added, refreshed, login):
        assert_no_secret(out.stdout + out.stderr, "the CLI's output")


def test_the_cli_explains_how_to_give_a_login(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    env, data = no_keyring_env(), tmp_path / "lib"
    asked = tidings(data, "add", server.url("/private.xml"), env=env)
    assert asked.returncode == 1
    assert "needs a login (HTTP 401)" in asked.stderr and "--password-stdin" in asked.stderr
    no_user = tidings(data, "add", server.url("/private.xml"), "--password-stdin", stdin=PASSWORD, env=env)
    assert no_user.returncode == 1 and "--user" in no_user.stderr
    wrong = tidings(
        data, "add", server.url("/private.xml"), "--user", USER, "--password-stdin", stdin="x", env=env
    )
    assert wrong.returncode == 1 and "refused the login" in wrong.stderr
    both = tidings(data, "login", "1", "--password-stdin", "--token-stdin", env=env)
    assert both.returncode == 2  # argparse: not allowed together
    assert json.loads(tidings(data, "feeds", "--json", env=env).stdout) == []


# -- a real Secret Service: gnome-keyring-daemon in its own D-Bus session ---------------------------
KEYRING_TOOLS = ("dbus-run-session", "gnome-keyring-daemon")
missing_tools = [tool for tool in KEYRING_TOOLS if shutil.which(tool) is None]
needs_secret_service = pytest.mark.skipif(
    bool(missing_tools),
    reason=f"no Secret Service to test with: {', '.join(missing_tools)} not installed "
    "(apt-get install gnome-keyring dbus)",
)
# Starts an unlocked login keyring on a private session bus, prints the bus address, and keeps the
# session up until the test closes our end of the pipe (then dbus-run-session ends the bus and the daemon).
SESSION = (
    'printf %s "$TIDINGS_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null'
    ' && echo "$DBUS_SESSION_BUS_ADDRESS" && exec cat >/dev/null'
)


@pytest.fixture
def secret_service(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a session with an unlocked gnome-keyring; HOME and the XDG folders in tmp_path."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "XDG_", "PYTHON_KEYRING"))}
    env.pop("TIDINGS_DATA_DIR", None)
    env |= {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "TIDINGS_KEYRING_PASSWORD": "unlock-the-test-keyring",
    }
    for key in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True, mode=0o700)
    session = subprocess.Popen(
        ["dbus-run-session", "--", "sh", "-c", SESSION],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert session.stdout is not None and session.stdin is not None
    try:
        ready, _, _ = select.select([session.stdout], [], [], 30)
        address = session.stdout.readline().decode().strip() if ready else ""
        if not address:
            session.kill()
            pytest.fail(f"gnome-keyring did not start: {session.communicate(timeout=10)[1].decode()[-2000:]}")
        yield env | {"DBUS_SESSION_BUS_ADDRESS": address}
    finally:
        session.stdin.close()  # `cat` ends, so does the session
        try:
            session.wait(timeout=15)
        except subprocess.TimeoutExpired:
            session.kill()
            session.wait()
        session.stdout.close()
        if session.stderr is not None:
            session.stderr.close()


def in_session(env: dict[str, str], code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@needs_secret_service
def test_the_secret_service_is_used_and_refresh_sends_its_login(
    secret_service: dict[str, str], server: LoopbackServer, tmp_path: Path
) -> None:
    env, home = secret_service, tmp_path / "home"
    data = home / "data"
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    server.serve_bearer("/token.xml", read_data("refresh", "atom10.xml"), TOKEN)
    outputs: list[subprocess.CompletedProcess[str]] = []

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        out = tidings(data, *args, stdin=stdin, env=env)
        outputs.append(out)
        return out

    backend = in_session(
        env, "from tidings.core.credentials import KeyringCredentials; print(KeyringCredentials().name)"
    )
    assert backend == "keyring.backends.SecretService.Keyring"

    asked = run("add", server.url("/private.xml"))
    assert asked.returncode == 1 and "needs a login" in asked.stderr
    added = run("add", server.url("/private.xml"), "--user", USER, "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "No secure keyring" not in added.stderr
    token = run("add", server.url("/token.xml"), "--token-stdin", stdin=TOKEN)
    assert token.returncode == 0, token.stderr

    refreshed = json.loads(run("refresh", "--force", "--json").stdout)
    assert refreshed["by_status"] == {"unchanged": 2}
    assert auth_headers(server, "/private.xml")[-2:] == [f"Basic {BASIC}"] * 2
    assert auth_headers(server, "/token.xml")[-1] == f"Bearer {TOKEN}"

    kept = in_session(env, "import keyring; print(keyring.get_password('Tidings', 'feed:1'))")
    assert json.loads(kept)["password"] == PASSWORD  # it is in the Secret Service ...
    export = run("export-opml")
    for path in (p for p in home.rglob("*") if p.is_file()):  # ... and nowhere in clear on disk
        assert_no_secret(path.read_bytes(), path)  # the library, settings, caches, logs, the keyring file
    assert (home / ".local" / "share" / "keyrings").is_dir()
    assert_no_secret(export.stdout, "the OPML export")

    assert run("logout", "1").returncode == 0
    assert in_session(env, "import keyring; print(keyring.get_password('Tidings', 'feed:1'))") == "None"
    again = run("refresh", "1")
    assert f"{LOGIN_NEEDED} Log in with `tidings login 1`." in again.stdout
    login = run("login", "1", "--user", USER, "--password-stdin", stdin=PASSWORD)
    assert login.returncode == 0 and "sent only to http://127.0.0.1:" in login.stdout
    assert json.loads(run("refresh", "1", "--json").stdout)["by_status"] == {"unchanged": 1}
    for out in outputs:
        assert_no_secret(out.stdout + out.stderr, f"the output of {out.args[4:]}")


@needs_secret_service
def test_an_interactive_add_asks_for_the_login_without_echo(
    secret_service: dict[str, str], server: LoopbackServer, tmp_path: Path
) -> None:
    server.serve_basic("/private.xml", read_data("refresh", "rss20.xml"), USER, PASSWORD)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tidings",
            "--data-dir",
            str(tmp_path / "home" / "data"),
            "add",
            server.url("/private.xml"),
        ],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=secret_service,
        start_new_session=True,  # no controlling terminal: getpass falls back to the pty on stdin
    )
    os.close(slave)
    try:
        screen = answer(master, "User name for 127.0.0.1: ", USER)
        screen += answer(master, f"Password for {USER} at 127.0.0.1: ", PASSWORD)
        stdout, _ = proc.communicate(timeout=60)
        screen += read_until(master, "", 1)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, screen
    assert "Added feed 1" in stdout.decode()
    assert USER in screen and PASSWORD not in screen  # the password is not echoed
    assert auth_headers(server, "/private.xml")[-1] == f"Basic {BASIC}"


def read_until(fd: int, text: str, seconds: float) -> str:
    seen, end = "", time.monotonic() + seconds
    while (not text or text not in seen) and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 1024).decode(errors="replace")
            except OSError:  # the other side closed
                break
    return seen


def answer(fd: int, prompt: str, reply: str) -> str:
    seen = read_until(fd, prompt, 30)
    assert prompt in seen, seen
    # getpass turns echo off (flushing pending input) before it prints its prompt: answer after it
    os.write(fd, reply.encode() + b"\n")
    return seen


def test_the_keyring_account_is_the_feed_number() -> None:
    assert creds.SERVICE == "Tidings" and creds._account(12) == "feed:12"
