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
