"""The headless command line. Never imports Qt; the window is only loaded when no subcommand is given."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .core.errors import TidingsError, UserInputError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tidings", description="Tidings, a desktop news reader. Without a command, opens the window."
    )
    parser.add_argument("--version", action="version", version=f"Tidings {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the library folder (default: $TIDINGS_DATA_DIR or the platform's user data folder)",
    )
    setup = parser.add_mutually_exclusive_group()
    setup.add_argument("--self-test", action="store_true", help="check that Tidings works here, then exit")
    setup.add_argument("--install-desktop-entry", action="store_true", help="Linux: put Tidings in the menu")
    setup.add_argument("--uninstall-desktop-entry", action="store_true", help="Linux: take it out again")
    _screenshot_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _subscriptions(sub)
    _reading(sub)
    return parser


def _screenshot_options(parser: argparse.ArgumentParser) -> None:
    shot = parser.add_argument_group("screenshot mode (offscreen unless QT_QPA_PLATFORM is set)")
    shot.add_argument("--screenshot", metavar="FILE.png", type=Path, help="save the window as PNG, then quit")
    shot.add_argument("--theme", choices=("light", "dark"), help="with --screenshot: the colours")
    shot.add_argument(
        "--story", type=int, metavar="ID", dest="shot_story", help="with --screenshot: the story to show"
    )  # its own dest: subcommands (show, annotate) take a STORY of their own
    shot.add_argument("--size", type=_size, metavar="WxH", help="with --screenshot: default 1280x800")


def _size(text: str) -> tuple[int, int]:
    width, _x, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and all(200 <= int(n) <= 10000 for n in (width, height))):
        raise argparse.ArgumentTypeError(f"“{text}” is not a size like 1280x800 (200 to 10000 pixels)")
    return int(width), int(height)


def _check_screenshot_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.screenshot and args.command is not None:
        parser.error("--screenshot opens the window: it does not go with a command")
    if not args.screenshot and (args.theme or args.shot_story is not None or args.size):
        parser.error("--theme, --story and --size go with --screenshot")


def _subscriptions(sub: Any) -> None:
    p = sub.add_parser("add", help="subscribe to a feed or a website's feed")
    p.add_argument("url")
    p.add_argument("--folder", metavar="NAME")
    p.add_argument("--pick", type=int, metavar="N", help="which of the site's feeds (see the list it prints)")
    _login_options(p)
    p = sub.add_parser("rename", help="rename a feed")
    p.add_argument("feed", help="feed number, address or title")
    p.add_argument("title")
    p = sub.add_parser("move", help="move a feed into a folder (no folder: the top level)")
    p.add_argument("feed")
    p.add_argument("folder", nargs="?", default=None)
    p = sub.add_parser("remove", help="unsubscribe from a feed and delete its stories")
    p.add_argument("feed")
    p = sub.add_parser("login", help="keep a feed's login (HTTP Basic or a bearer token) in the keyring")
    p.add_argument("feed")
    _login_options(p)
    p = sub.add_parser("logout", help="forget a feed's login")
    p.add_argument("feed")
    p = sub.add_parser("import-opml", help="add the feeds of an OPML file (fetches nothing)")
    p.add_argument("file", type=Path)
    p = sub.add_parser("export-opml", help="write the subscriptions as OPML (to stdout without FILE)")
    p.add_argument("file", nargs="?", type=Path)
    p = sub.add_parser("refresh", help="fetch new stories")
    p.add_argument("feeds", nargs="*", metavar="FEED")
    p.add_argument("--force", action="store_true", help="also feeds that asked to be left alone for now")
    p.add_argument(
        "--articles",
        action="store_true",
        help="then fetch and extract the pages of new stories of feeds read as full articles",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=600,
        metavar="SECONDS",
        help="how long to wait for another Tidings that is refreshing this library (default 600)",
    )
    p.add_argument("--json", action="store_true")


def _login_options(p: argparse.ArgumentParser) -> None:
    """A login never comes as an argument (other users can read those): it is asked for, or read."""
    p.add_argument("--user", metavar="NAME", help="the user name for HTTP Basic")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    how.add_argument("--token-stdin", action="store_true", help="read a bearer token from standard input")


def _reading(sub: Any) -> None:
    p = sub.add_parser("feeds", help="list the subscriptions")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("stories", help="list stories, newest first")
    p.add_argument("--feed", metavar="FEED")
    p.add_argument("--unread", action="store_true")
    p.add_argument("--starred", action="store_true")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("show", help="show one story")
    p.add_argument("story", type=int)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("search", help="full-text search over titles and text")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    sub.add_parser("fetch-articles", help="fetch and extract the pages of stories of full-article feeds")
    p = sub.add_parser(
        "reextract", help="extract stored article pages again (after an update), fetching nothing"
    )
    p.add_argument("stories", nargs="*", type=int, metavar="STORY")
    p.add_argument("--all", action="store_true")
    p = sub.add_parser(
        "show-as", help="show a feed's stories as the feed's content, the full article, or auto"
    )
    p.add_argument("feed")
    p.add_argument("mode", choices=("auto", "feed", "article"))
    p = sub.add_parser("extract", help="print the article of a web page or a saved HTML file")
    p.add_argument("source", metavar="URL_OR_FILE")
    p.add_argument("--url", help="the page's address, for a saved file (resolves its links)")
    p.add_argument("--format", choices=("text", "html", "json"), default="text")
    for name, what in (
        ("mark-read", "read"),
        ("mark-unread", "unread"),
        ("star", "starred"),
        ("unstar", "not starred"),
    ):
        p = sub.add_parser(name, help=f"mark stories {what}")
        p.add_argument("stories", nargs="*", type=int, metavar="STORY")
        if name == "mark-read":
            p.add_argument("--all", action="store_true", help="every unread story (of --feed, if given)")
            p.add_argument("--feed", metavar="FEED")
    from .cli_library import add_parsers

    add_parsers(sub)


def run(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_screenshot_options(parser, args)
    logging.basicConfig(level=logging.WARNING, format="tidings: %(message)s")
    if args.self_test:
        from .selftest import run_self_test

        return run_self_test()
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        from . import desktop_entry

        return desktop_entry.main(remove=args.uninstall_desktop_entry)
    if args.command is None:
        return _open_window(args)
    if getattr(args, "run", None):  # the collection's commands (cli_library)
        from . import commands_library

        handler: Handler = getattr(commands_library, args.run)
    else:
        from . import commands

        handler = getattr(commands, "cmd_" + args.command.replace("-", "_"))
    try:
        return handler(args)
    except TidingsError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("Interrupted.")
    except BrokenPipeError:  # `tidings stories | head`: the reader left; that is not an error
        _quiet_stdout()
        return 0
    except Exception as exc:  # a bug: still one sentence, never a traceback
        logging.getLogger("tidings").debug("internal error", exc_info=True)
        return fail(f"Tidings hit an internal error ({type(exc).__name__}: {exc}). Please report it.")


def _open_window(args: argparse.Namespace) -> int:
    if args.screenshot:  # deterministic, and no window flashes up: offscreen unless asked otherwise
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if _no_display():  # Qt would abort the process with a page about platform plugins
        return fail(
            "There is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set); "
            "the commands work without one: see `tidings --help`."
        )
    try:
        from .ui.app import run_app
    except ImportError as exc:
        return fail(f"The window cannot start: Qt is not available ({exc}).")
    if args.screenshot:
        from .ui.screenshot import DEFAULT_SIZE, ScreenshotRequest

        shot = ScreenshotRequest(args.screenshot, args.theme, args.shot_story, args.size or DEFAULT_SIZE)
        return run_app(args.data_dir, screenshot=shot)
    return run_app(args.data_dir)


def _no_display() -> bool:
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _quiet_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def fail(message: str) -> int:
    print(f"tidings: {message}", file=sys.stderr)
    return 1


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def positive(value: int, what: str) -> int:
    if value < 1:
        raise UserInputError(f"{what} must be at least 1.")
    return value
