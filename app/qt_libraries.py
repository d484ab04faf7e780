"""The system libraries Qt loads from the operating system, checked before Qt starts.

PySide6's wheels bring Qt itself but not the X11 libraries its xcb platform plugin links
against. On a desktop without one of them (``libxcb-cursor0`` is the usual one) Qt aborts with a
generic "no Qt platform plugin could be initialized". ``msp-studio`` asks the dynamic loader for
each library first (the sonames are the plugin's own dependencies, ``readelf -d libqxcb.so``)
and, when some are missing, prints the exact install command instead. No Qt is imported here.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SystemLibrary", "GUI_LIBRARIES", "XCB_LIBRARIES", "qt_platform", "missing_libraries", "install_hint",
           "check_qt_libraries"]


@dataclass(frozen=True)
class SystemLibrary:
    soname: str
    debian: str  # the Debian / Ubuntu package that has it
    fedora: str  # the Fedora / RHEL package that has it


def _libs(*rows: tuple[str, str, str]) -> tuple[SystemLibrary, ...]:
    return tuple(SystemLibrary(*row) for row in rows)


#: What QtGui needs on every platform (offscreen included).
GUI_LIBRARIES = _libs(
    ("libGL.so.1", "libgl1", "libglvnd-glx"),
    ("libEGL.so.1", "libegl1", "libglvnd-egl"),
    ("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    ("libfreetype.so.6", "libfreetype6", "freetype"),
    ("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    ("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    ("libX11.so.6", "libx11-6", "libX11"),
)

#: What the xcb platform plugin (a desktop with X11, or XWayland) needs besides.
XCB_LIBRARIES = _libs(
    ("libxcb.so.1", "libxcb1", "libxcb"),
    ("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    ("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    ("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    ("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    ("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    ("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    ("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    ("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    ("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    ("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    ("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    ("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
)


def qt_platform(environ: Mapping[str, str]) -> str:
    """The platform plugin Qt tries first on Linux: $QT_QPA_PLATFORM's first entry when set
    (``offscreen``, ``xcb``, ``wayland;xcb``), else wayland in a Wayland session, else xcb."""
    requested = environ.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        return requested.split(";")[0].split(":")[0].strip().lower()
    if environ.get("XDG_SESSION_TYPE") == "wayland" or environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)  # the dynamic loader's own search, as Qt's will be (LD_LIBRARY_PATH included)
    except OSError:
        return False
    return True


def missing_libraries(platform: str, loads: Callable[[str], bool] | None = None) -> list[SystemLibrary]:
    """The libraries Qt will need on ``platform`` that the dynamic loader (or ``loads``) cannot find."""
    loads = loads or _loads
    needed = GUI_LIBRARIES + (XCB_LIBRARIES if platform == "xcb" else ())
    return [lib for lib in needed if not loads(lib.soname)]


def _distribution(os_release: Path = Path("/etc/os-release")) -> str:
    """'debian', 'fedora' or '' (unknown), from os-release's ID and ID_LIKE."""
    try:
        fields = dict(line.split("=", 1) for line in os_release.read_text().splitlines() if "=" in line)
    except OSError:
        return ""
    ids = " ".join(fields.get(key, "").strip('"').lower() for key in ("ID", "ID_LIKE")).split()
    if any(i in ("debian", "ubuntu") for i in ids):
        return "debian"
    if any(i in ("fedora", "rhel", "centos") for i in ids):
        return "fedora"
    return ""


def _unique(names: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(names))


def install_hint(missing: list[SystemLibrary], platform: str, distribution: str = "") -> str:
    """What to tell the user: which libraries are missing and the command that installs them
    (this system's when known, else both apt and dnf)."""
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    apt = f"{sudo}apt-get install {_unique(lib.debian for lib in missing)}"
    dnf = f"{sudo}dnf install {_unique(lib.fedora for lib in missing)}"
    if distribution == "debian":
        commands = [f"  {apt}"]
    elif distribution == "fedora":
        commands = [f"  {dnf}"]
    else:
        commands = [f"  Debian / Ubuntu: {apt}", f"  Fedora / RHEL:   {dnf}"]
    what = "Qt's X11 (xcb) platform" if platform == "xcb" else "Qt"
    lines = [
        f"msp-studio: {what} needs system libraries that are not installed: "
        + ", ".join(lib.soname for lib in missing) + ".",
        "Install them with:",
        *commands,
    ]
    if platform == "xcb":
        lines.append("(Without a screen, QT_QPA_PLATFORM=offscreen needs none of the xcb libraries.)")
    return "\n".join(lines)


def check_qt_libraries(environ: Mapping[str, str] = os.environ) -> str | None:
    """None when Qt can start here as far as system libraries go, else the message to print.
    Only Linux is checked: elsewhere the Qt wheels carry what they need."""
    if not sys.platform.startswith("linux"):
        return None
    platform = qt_platform(environ)
    missing = missing_libraries(platform)
    return install_hint(missing, platform, _distribution()) if missing else None
