"""`tidings --install-desktop-entry`: put Tidings in the application menu of a Linux desktop, for this user.

pip installs a command, not a menu entry. This copies the .desktop file (its Exec set to the command that
is running now, as an absolute path) and the icons into the user's XDG data folder ($XDG_DATA_HOME, else
~/.local/share), then refreshes the desktop's caches with the freedesktop tools when they are installed.
`--uninstall-desktop-entry` removes exactly those files. Qt-free: it runs without a display.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from . import APP_ID, resources

COMMAND_NAME = "tidings"
TOOL_TIMEOUT = 30  # seconds; a cache update on a slow disk, never a hang
# Characters an Exec argument may hold unquoted (the spec reserves the rest: space, quotes, $, `, \, etc.).
_PLAIN_ARG = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
_QUOTED_ESCAPES = str.maketrans({'"': '\\"', "`": "\\`", "$": "\\$", "\\": "\\\\"})


class DesktopEntryError(Exception):
    """Installing or removing the entry failed; the message is a sentence for the user."""


def data_home(env: Mapping[str, str] = os.environ) -> Path:
    """$XDG_DATA_HOME when it is an absolute path (the spec says to ignore a relative one), else ~/.local/share."""
    value = env.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / ".local" / "share"


def installed_paths(home: Path) -> list[tuple[Path, Path]]:
    """(file in the package, where it goes under `home`): the icons, then the .desktop file, so the menu
    never shows the entry before its icon is there."""
    hicolor = home / "icons" / "hicolor"
    icons = [
        (resources.icon_png(size), hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png")
        for size in resources.ICON_SIZES
    ]
    icons.append((resources.icon_svg(), hicolor / "scalable" / "apps" / f"{APP_ID}.svg"))
    return [*icons, (resources.desktop_file(), home / "applications" / f"{APP_ID}.desktop")]


def launch_command() -> list[str]:
    """The command that starts this installation, with absolute paths resolved now.

    A frozen build (PyInstaller) is its own executable; a pip install has a `tidings` script, found as the
    program that is running (a symlink kept as it is, so `pipx upgrade` keeps working), next to the Python
    interpreter (a venv), or on PATH. `python -m tidings` is the last resort.
    """
    if getattr(sys, "frozen", False):
        return [os.path.abspath(sys.executable)]
    running = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    candidates = [
        running if running is not None and running.name == COMMAND_NAME else None,
        Path(sys.executable).with_name(COMMAND_NAME),
        Path(found) if (found := shutil.which(COMMAND_NAME)) else None,
    ]
    for path in candidates:
        if path is not None and path.is_file() and os.access(path, os.X_OK):
            return [os.path.abspath(path)]
    return [os.path.abspath(sys.executable), "-m", "tidings"]


def exec_value(command: Sequence[str]) -> str:
    """`command` as the value of an Exec key: each argument quoted as the spec asks, then `%` doubled and
    the string escaped as every desktop-entry string is (so a backslash is written four times)."""
    if any(ord(c) < 0x20 or c == "\x7f" for arg in command for c in arg):
        raise DesktopEntryError(f"A desktop entry cannot start {command!r}: the path has control characters.")
    quoted = [arg if _PLAIN_ARG.fullmatch(arg) else f'"{arg.translate(_QUOTED_ESCAPES)}"' for arg in command]
    return " ".join(quoted).replace("%", "%%").replace("\\", "\\\\")


def entry_text(template: str, command: Sequence[str]) -> str:
    """The packaged .desktop file with Exec (and a TryExec, so the entry hides once Tidings is gone)."""
    lines = []
    for line in template.splitlines():
        if line.startswith("TryExec="):
            continue
        if line.startswith("Exec="):
            line = "Exec=" + exec_value(command)
            if len(command) == 1:  # a path, not a command line: no quoting, only the string escape
                lines.append("TryExec=" + command[0].replace("\\", "\\\\"))
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(home: Path | None = None, command: Sequence[str] | None = None) -> list[Path]:
    """Write the .desktop file and icons under `home` (the XDG data folder); returns what was written."""
    home = home or data_home()
    command = list(command or launch_command())
    written = []
    for source, target in installed_paths(home):
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix == ".desktop":
            _write_atomically(target, entry_text(source.read_text(encoding="utf-8"), command).encode())
        else:
            _write_atomically(target, source.read_bytes())
        written.append(target)
    refresh_caches(home)
    return written


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what `install` wrote under `home`; returns what was there."""
    home = home or data_home()
    removed = []
    for _source, target in installed_paths(home):
        if target.is_file() or target.is_symlink():
            target.unlink()
            removed.append(target)
    if removed:
        refresh_caches(home)
    return removed


def refresh_caches(home: Path) -> list[str]:
    """Run update-desktop-database and gtk-update-icon-cache where installed; returns the tools run.

    Both are optional: desktops also watch these folders, and a failure here never undoes the install.
    The icon cache is only brought up to date, never created: GTK trusts a cache while the theme folder's
    own mtime is older, so one we left behind would hide icons other programs add later without a rebuild.
    """
    hicolor = home / "icons" / "hicolor"
    runs: list[tuple[str, ...]] = [("update-desktop-database", "-q", str(home / "applications"))]
    if (hicolor / "icon-theme.cache").is_file():
        # -t: a user's hicolor folder has no index.theme; -f: rebuild even when the cache looks current
        runs.append(("gtk-update-icon-cache", "-q", "-t", "-f", str(hicolor)))
    ran = []
    for tool, *args in runs:
        path = shutil.which(tool)
        if path is None or not Path(args[-1]).is_dir():
            continue
        try:
            subprocess.run([path, *args], check=False, capture_output=True, timeout=TOOL_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired):
            continue
        ran.append(tool)
    return ran


def _write_atomically(target: Path, data: bytes) -> None:
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)


def _refuse_where_unsupported() -> None:
    if sys.platform in ("win32", "cygwin", "darwin"):
        where = "the installer" if sys.platform != "darwin" else "the app in the Applications folder"
        raise DesktopEntryError(f"Desktop entries are for Linux desktops; here, start Tidings from {where}.")
    if os.environ.get("FLATPAK_ID"):
        raise DesktopEntryError("Flatpak puts Tidings in the menu already; nothing to install.")


def main(*, remove: bool = False) -> int:
    """The command line's `--install-desktop-entry` (or `--uninstall-desktop-entry` with `remove`)."""
    home = data_home()
    try:
        _refuse_where_unsupported()
        command = launch_command()
        paths = uninstall(home) if remove else install(home, command)
    except DesktopEntryError as exc:
        return _fail(str(exc))
    except OSError as exc:
        reason = exc.strerror or exc
        return _fail(f"the desktop entry could not be written to {exc.filename or home}: {reason}.")
    if remove:
        print(f"Removed {len(paths)} files from {home}." if paths else f"No Tidings entry was in {home}.")
        return 0
    print(f"Installed {paths[-1]} and {len(paths) - 1} icons: Tidings is in the application menu.")
    print(f"The menu entry starts: {' '.join(command)}")
    return 0


def _fail(sentence: str) -> int:
    print(f"tidings: {sentence}", file=sys.stderr)
    return 1
