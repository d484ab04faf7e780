"""The real app, started as users start it, exits cleanly by itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_app_starts_and_quits_by_itself(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    settings = tmp_path / "smoke.ini"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--settings", str(settings), "--no-sweep", "--quit-after", "2500"],
        env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert settings.exists() and "sides" in settings.read_text()  # settings were saved on exit


def test_startup_timing_reports_what_the_user_saw_and_when(tmp_path: Path) -> None:
    """``--startup-timing`` prints the moments of first contact, in the order a user sees them,
    and the original is on screen with the window (it stands in while both sides encode)."""
    import json

    import numpy as np
    from PIL import Image

    image = tmp_path / "small.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)).save(image)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "app", str(image), "--settings", str(tmp_path / "t.ini"), "--no-sweep",
         "--startup-timing"],
        env=env, capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    moments = [report[m] for m in ("window", "original", "first_msp", "final")]
    assert None not in moments and moments == sorted(moments)
    assert report["original_after_window"] < 1.0
