"""Where the app's bundled files live (demo image, reference curves)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["REPO_ROOT", "RESOURCES", "DEMO_IMAGE"]

REPO_ROOT = Path(__file__).resolve().parents[2]
RESOURCES = REPO_ROOT / "resources"
DEMO_IMAGE = RESOURCES / "demo" / "kodim23.png"
