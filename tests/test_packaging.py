"""Packaging: the desktop files validate, the package ships what resources/ holds, the desktop entry
installs into the XDG folders and out again, and `tidings --self-test` passes."""

from __future__ import annotations

import fnmatch
import os
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tidings import APP_ID, __version__, desktop_entry, resources, selftest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources"
DESKTOP = SOURCE / "linux" / f"{APP_ID}.desktop"
METAINFO = SOURCE / "linux" / f"{APP_ID}.metainfo.xml"
SCREENSHOT = SOURCE / "screenshots" / "main-window.png"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return path


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def entry_keys(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def tidings(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidings", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
    )


# -- the files in resources/ ----------------------------------------------------------------------
def test_the_desktop_file_validates() -> None:
    out = subprocess.run([tool("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_the_metainfo_validates() -> None:
    cmd = [tool("appstreamcli"), "validate", "--no-net", "--explain", str(METAINFO)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_metainfo_describes_this_version_and_its_desktop_file() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == "tidings"
    newest = root.find("releases/release")
    assert newest is not None and newest.get("version") == __version__, "add a <release> for this version"
    assert newest.find("description") is not None, "each release has notes"


def test_the_screenshot_is_in_the_repository_at_the_size_the_metainfo_states() -> None:
    image = ET.parse(METAINFO).getroot().find("screenshots/screenshot/image")
    assert image is not None and image.text is not None
    # pinned to the release's tag, never a branch: the file at that address never changes
    tag_url = "https://raw.githubusercontent.com/tidings-reader/tidings/v"
    assert image.text.startswith(f"{tag_url}{__version__}/")
    assert image.text.endswith("/" + SCREENSHOT.relative_to(ROOT).as_posix())
    assert png_size(SCREENSHOT) == (int(image.get("width", 0)), int(image.get("height", 0)))


def test_the_icon_comes_in_every_size() -> None:
    hicolor = SOURCE / "icons" / "hicolor"
    for size in resources.ICON_SIZES:
        assert png_size(hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png") == (size, size)
    svg = ET.parse(hicolor / "scalable" / "apps" / f"{APP_ID}.svg").getroot()
    assert svg.get("viewBox") == "0 0 128 128"
    assert (SOURCE / "icons" / "tidings.ico").read_bytes()[:4] == b"\0\0\1\0"
    assert (SOURCE / "icons" / "tidings.icns").read_bytes()[:4] == b"icns"


# -- the copies inside the package ----------------------------------------------------------------
def mirrored() -> list[Path]:
    """The files of resources/ that the package carries a copy of (relative paths)."""
    files = [*(SOURCE / "icons" / "hicolor").rglob("*"), *(SOURCE / "linux").iterdir()]
    return sorted(p.relative_to(SOURCE) for p in files if p.is_file())


def test_the_package_copies_match_resources() -> None:
    stale = [str(p) for p in mirrored() if (resources.HERE / p).read_bytes() != (SOURCE / p).read_bytes()]
    assert not stale, f"run `python packaging/build_resources.py`: {stale} differ from resources/"


def test_the_package_holds_no_file_that_resources_does_not() -> None:
    copies = [*(resources.HERE / "icons").rglob("*"), *(resources.HERE / "linux").iterdir()]
    extra = {p.relative_to(resources.HERE) for p in copies if p.is_file()} - set(mirrored())
    assert not extra


def test_the_package_data_globs_ship_every_resource() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["tidings.resources"]
    files = [p.relative_to(resources.HERE).as_posix() for p in resources.HERE.rglob("*") if p.is_file()]
    data = [f for f in files if not f.endswith((".py", ".pyc"))]
    assert data and all(any(fnmatch.fnmatch(f, g) for g in globs) for f in data)


def test_resource_paths_point_at_files() -> None:
    paths = [resources.icon_svg(), resources.desktop_file(), resources.metainfo_file()]
    paths += [resources.icon_png(s) for s in resources.ICON_SIZES]
    paths += [resources.selftest_file("feed.xml"), resources.selftest_file("page.html")]
    assert all(p.is_file() for p in paths)


# -- the desktop entry ----------------------------------------------------------------------------
def expected_targets(home: Path) -> set[Path]:
    icons = home / "icons" / "hicolor"
    pngs = {icons / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in resources.ICON_SIZES}
    return {home / "applications" / f"{APP_ID}.desktop", icons / "scalable" / "apps" / f"{APP_ID}.svg", *pngs}


def test_install_writes_the_entry_and_icons_and_uninstall_removes_them(tmp_path: Path) -> None:
    home = tmp_path / "share"
    written = desktop_entry.install(home, ["/opt/Tidings App/tidings"])
    assert set(written) == expected_targets(home)
    keys = entry_keys((home / "applications" / f"{APP_ID}.desktop").read_text())
    assert keys["Exec"] == '"/opt/Tidings App/tidings"'  # quoted: a command line
    assert keys["TryExec"] == "/opt/Tidings App/tidings"  # not quoted: a path
    assert keys["Icon"] == APP_ID
    icon = home / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png"
    assert icon.read_bytes() == resources.icon_png(48).read_bytes()
    assert set(desktop_entry.uninstall(home)) == expected_targets(home)
    assert not any(p.exists() for p in expected_targets(home))
    assert desktop_entry.uninstall(home) == []


def test_the_command_installs_into_xdg_data_home_with_an_absolute_exec(tmp_path: Path) -> None:
    home = tmp_path / "xdg"
    out = tidings("--install-desktop-entry", env={"XDG_DATA_HOME": str(home)})
    assert out.returncode == 0, out.stderr
    entry = home / "applications" / f"{APP_ID}.desktop"
    assert {p for p in home.rglob("*") if p.is_file() and "cache" not in p.name} == expected_targets(home)
    script = Path(sys.executable).with_name("tidings")  # `python -m tidings` finds the venv's command
    expected = str(script) if script.is_file() else f"{sys.executable} -m tidings"
    assert entry_keys(entry.read_text())["Exec"] == expected
    assert Path(entry_keys(entry.read_text())["Exec"].split()[0]).is_absolute()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    out = tidings("--uninstall-desktop-entry", env={"XDG_DATA_HOME": str(home)})
    assert out.returncode == 0 and "Removed 10 files" in out.stdout
    assert not any(p.exists() for p in expected_targets(home))


@pytest.mark.parametrize(
    ("command", "value"),
    [
        (["/usr/bin/tidings"], "/usr/bin/tidings"),
        (["/opt/a b/tidings"], '"/opt/a b/tidings"'),
        (["/x/100%/tidings"], "/x/100%%/tidings"),
        (['/x/"q"$`/t'], '"/x/\\\\"q\\\\"\\\\$\\\\`/t"'),
        (["C:\\odd\\tidings"], '"C:\\\\\\\\odd\\\\\\\\tidings"'),
        (["/usr/bin/python3", "-m", "tidings"], "/usr/bin/python3 -m tidings"),
    ],
)
def test_exec_values_are_quoted_as_the_desktop_entry_spec_asks(command: list[str], value: str) -> None:
    assert desktop_entry.exec_value(command) == value


def test_a_path_with_a_control_character_is_refused() -> None:
    with pytest.raises(desktop_entry.DesktopEntryError):
        desktop_entry.exec_value(["/tmp/a\nb/tidings"])


def test_xdg_data_home_is_honoured_when_absolute() -> None:
    assert desktop_entry.data_home({"XDG_DATA_HOME": "/data"}) == Path("/data")
    default = Path.home() / ".local" / "share"
    assert desktop_entry.data_home({"XDG_DATA_HOME": "relative/share"}) == default
    assert desktop_entry.data_home({}) == default


def test_the_icon_cache_is_updated_only_where_one_exists(tmp_path: Path) -> None:
    (tmp_path / "icons" / "hicolor").mkdir(parents=True)
    assert "gtk-update-icon-cache" not in desktop_entry.refresh_caches(tmp_path)
    assert not (tmp_path / "icons" / "hicolor" / "icon-theme.cache").exists()


def test_other_systems_are_told_where_tidings_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(sys, "platform", "win32")
    assert desktop_entry.main() == 1
    assert "Desktop entries are for Linux" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# -- the self-test --------------------------------------------------------------------------------
def test_self_test_passes() -> None:
    out = tidings("--self-test")
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    steps = [line.split(":", 1)[0] for line in lines[1:-1]]
    assert steps == ["store", "resources", "feed", "page", "keyring", "topics", "window"]
    assert lines[-1] == "self-test passed"


def test_a_failing_step_is_one_sentence_and_exit_code_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(selftest, "bundled", lambda name: b"this is not a feed")
    assert selftest.run_self_test() == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("tidings: the self-test failed at “feed”: the bundled feed could not be parsed")
    assert "\n" not in err and "Traceback" not in err


def test_a_build_without_the_sentence_model_fails_the_self_test(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tidings.core import topics_embed

    monkeypatch.setattr(topics_embed, "embedder", lambda: None)
    monkeypatch.setattr(topics_embed, "unavailable_reason", lambda: "No module named 'onnxruntime'")
    assert selftest.run_self_test() == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(
        "tidings: the self-test failed at “topics”: the sentence model for topic suggestions"
    )
    assert "onnxruntime" in err


def test_the_setup_flags_go_alone() -> None:
    out = tidings("--self-test", "--install-desktop-entry")
    assert out.returncode == 2 and "not allowed with" in out.stderr


@pytest.mark.parametrize("module", ["tidings.selftest", "tidings.desktop_entry", "tidings.resources"])
def test_the_packaging_modules_load_without_qt(module: str) -> None:
    code = f"import sys, {module}; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "False", out.stderr


# -- the build recipes ----------------------------------------------------------------------------
def test_the_flatpak_manifest_matches_the_app_and_its_generated_dependencies() -> None:
    manifest = (ROOT / "packaging" / "flatpak" / f"{APP_ID}.yml").read_text()
    keys = dict(line.split(": ", 1) for line in manifest.splitlines() if ": " in line and line[0].isalpha())
    assert keys["id"] == APP_ID and keys["command"] == "tidings"
    assert keys["base"] == "io.qt.PySide.BaseApp" and keys["runtime"] == "org.kde.Platform"
    assert keys["base-version"] == keys["runtime-version"], "the base app is built for one runtime branch"
    for permission in ("--talk-name=org.freedesktop.secrets", "--share=network", "--socket=wayland"):
        assert f"  - {permission}" in manifest
    assert "  - python3-deps.yaml\n" in manifest
    script = ROOT / "packaging" / "flatpak" / "generate-deps.sh"
    assert '--output "$here/python3-deps"' in script.read_text() and os.access(script, os.X_OK)


def test_the_pyinstaller_spec_is_python() -> None:
    spec = ROOT / "packaging" / "pyinstaller" / "tidings.spec"
    compile(spec.read_text(), str(spec), "exec")
