"""``msp-studio`` / ``python -m app``: start the desktop app.

Options exist for automation: ``--settings`` (a private ini file), ``--quit-after`` (exit by
itself, for the smoke test), ``--screenshot`` (grab the real window, for Xvfb) and
``--startup-timing`` (what a user waits for at first contact).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser", "parse_sizes", "parse_point"]


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"1280x720,1920x1080"`` -> ``[(1280, 720), (1920, 1080)]`` (an argparse type: errors name the value)."""
    sizes = []
    for part in text.lower().replace(" ", "").split(","):
        width, sep, height = part.partition("x")
        if not sep or not width.isdigit() or not height.isdigit() or int(width) < 1 or int(height) < 1:
            raise argparse.ArgumentTypeError(f"{part!r} is not a window size WxH, e.g. 1280x720")
        sizes.append((int(width), int(height)))
    return sizes


def parse_point(text: str) -> tuple[float, float]:
    """``"512,171"`` -> ``(512.0, 171.0)`` (an argparse type)."""
    x, _, y = text.replace(" ", "").partition(",")
    try:
        return float(x), float(y)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an image point X,Y, e.g. 512,171") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="msp-studio", description="Compare the MSP codec with classic codecs, live")
    parser.add_argument("image", nargs="?", type=Path, help="image (or .msp bitstream) to open; default: the demo")
    parser.add_argument("--settings", type=Path, help="use this ini file for settings (default: the user's)")
    parser.add_argument("--no-sweep", action="store_true", help="do not run the background RD sweep")
    parser.add_argument("--quit-after", type=int, metavar="MS", help="close the window after MS milliseconds")
    parser.add_argument("--screenshot", type=Path, metavar="PNG", help="save a screenshot of the window, then quit")
    parser.add_argument("--view", choices=["split", "sidebyside", "flip", "diff"], default="split",
                        help="view mode for --screenshot")
    parser.add_argument("--zoom", type=float, help="zoom for --screenshot (1.0 = 100 %%)")
    parser.add_argument("--error-map", choices=["picture", "abserror", "ssim"], default="picture",
                        help="with --screenshot: what the sides' panes show")
    parser.add_argument("--loupe", type=parse_point, metavar="X,Y",
                        help="with --screenshot: the pixel loupe over this image point")
    parser.add_argument("--screenshots", type=Path, metavar="DIR",
                        help="save the standard set of screenshots (split, side by side, difference, RD plot, ...)")
    parser.add_argument("--only", type=lambda text: [n.strip() for n in text.split(",") if n.strip()],
                        metavar="NAME[,NAME...]", help="with --screenshots: only these shots of the set "
                                                       "(file names without .png, e.g. presentation)")
    parser.add_argument("--wait-sweep", type=float, default=0.0, metavar="S",
                        help="with --screenshot: wait up to S seconds for the RD sweep")
    parser.add_argument("--size", type=parse_sizes, default=[(1600, 1000)], metavar="WxH[,WxH...]",
                        help="window size for --screenshot(s); several (comma-separated) take one --screenshot "
                             "per size, its name with {size} in it (window-{size}.png)")
    parser.add_argument("--startup-timing", action="store_true",
                        help="print when the window, the original, the first MSP result and both results "
                             "were painted (JSON, seconds), then quit")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = build_parser().parse_args(argv)

    from codec.allocator import retain_freed_memory

    retain_freed_memory()  # the encode worker allocates and frees the same large tensors (codec.allocator)

    from app.qt_libraries import check_qt_libraries

    problem = check_qt_libraries()  # before Qt starts: Qt's own message for a missing library is a generic abort
    if problem:
        print(problem, file=sys.stderr)
        return 1

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.core.error_maps import ErrorMapKind
    from app.core.view_state import ViewMode
    from app.settings_store import APPLICATION, ORGANIZATION, AppSettings, open_settings
    from app.widgets.main_window import MainWindow

    # Fractional scale factors (125 %, 150 %) are honoured exactly instead of rounded.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("MSP Studio")

    shots = None
    if args.screenshot or args.screenshots:
        from app.screenshot import sized_shots, standard_set

        try:
            shots = standard_set(args.screenshots) if args.screenshots else sized_shots(
                args.screenshot, args.size, ViewMode(args.view), zoom=args.zoom, wait_sweep=args.wait_sweep > 0,
                error_map=ErrorMapKind(args.error_map), loupe_at=args.loupe)
        except ValueError as exc:
            print(f"msp-studio: {exc}", file=sys.stderr)
            return 2
        if args.screenshots and args.only:
            unknown = set(args.only) - {shot.path.stem for shot in shots}
            if unknown:
                print(f"msp-studio: no such screenshot: {', '.join(sorted(unknown))}", file=sys.stderr)
                return 2
            shots = [shot for shot in shots if shot.path.stem in args.only]

    settings = AppSettings(open_settings(args.settings))
    window = MainWindow(settings, image=args.image, sweep=False if args.no_sweep else None)
    app.aboutToQuit.connect(window.shutdown)
    if shots is not None:
        from app.screenshot import Screenshotter

        window.resize(*args.size[0])
        Screenshotter(window, shots, wait_sweep_s=args.wait_sweep).start()
    if args.startup_timing:
        from app.startup_timing import StartupTiming

        StartupTiming(window, started)
    window.show()
    if args.quit_after is not None:
        QTimer.singleShot(max(0, args.quit_after), window.close)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
