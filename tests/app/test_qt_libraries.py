"""msp-studio checks the system libraries Qt needs before starting it, and names the package."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app import __main__ as studio
from app import qt_libraries
from app.qt_libraries import GUI_LIBRARIES, XCB_LIBRARIES, install_hint, missing_libraries, qt_platform


@pytest.mark.parametrize(("environ", "platform"), [
    ({"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
    ({"QT_QPA_PLATFORM": "xcb"}, "xcb"),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, "wayland"),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "vnc"),
    ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "wayland"),
    ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}, "xcb"),
    ({}, "xcb"),
])
def test_the_platform_qt_tries_first(environ: dict[str, str], platform: str) -> None:
    assert qt_platform(environ) == platform


def test_xcb_libraries_are_checked_only_for_xcb() -> None:
    absent = {"libxcb-cursor.so.0"}
    assert missing_libraries("offscreen", lambda name: name not in absent) == []
    assert missing_libraries("wayland", lambda name: name not in absent) == []
    assert [lib.soname for lib in missing_libraries("xcb", lambda name: name not in absent)] == ["libxcb-cursor.so.0"]
    everything = missing_libraries("xcb", lambda name: False)
    assert len(everything) == len(GUI_LIBRARIES) + len(XCB_LIBRARIES)


def test_the_hint_is_the_install_command() -> None:
    missing = missing_libraries("xcb", lambda name: name not in ("libxcb-cursor.so.0", "libxcb-shape.so.0",
                                                                 "libxcb-shm.so.0"))
    debian = install_hint(missing, "xcb", "debian")
    assert "libxcb-cursor.so.0, libxcb-shape.so.0, libxcb-shm.so.0" in debian
    assert "apt-get install libxcb-cursor0 libxcb-shape0 libxcb-shm0" in debian and "dnf" not in debian
    fedora = install_hint(missing, "xcb", "fedora")
    assert "dnf install xcb-util-cursor libxcb\n" in fedora + "\n" and "apt" not in fedora  # one package, named once
    unknown = install_hint(missing, "xcb", "")
    assert "apt-get install libxcb-cursor0" in unknown and "dnf install xcb-util-cursor" in unknown
    assert "QT_QPA_PLATFORM=offscreen" in unknown


@pytest.mark.parametrize(("os_release", "distribution"), [
    ('ID=debian\nVERSION_ID="12"\n', "debian"),
    ('ID=ubuntu\nID_LIKE=debian\n', "debian"),
    ('ID=linuxmint\nID_LIKE="ubuntu debian"\n', "debian"),
    ('ID=fedora\n', "fedora"),
    ('ID="rocky"\nID_LIKE="rhel centos fedora"\n', "fedora"),
    ('ID=arch\n', ""),
])
def test_the_distribution_from_os_release(tmp_path: Path, os_release: str, distribution: str) -> None:
    path = tmp_path / "os-release"
    path.write_text(os_release)
    assert qt_libraries._distribution(path) == distribution
    assert qt_libraries._distribution(tmp_path / "missing") == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux is checked")
def test_msp_studio_prints_the_hint_and_exits_before_qt(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(qt_libraries, "_loads", lambda name: name != "libxcb-cursor.so.0")
    monkeypatch.setattr(qt_libraries, "_distribution", lambda: "debian")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert studio.main(["--no-sweep"]) == 1
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err and "apt-get install libxcb-cursor0" in err
