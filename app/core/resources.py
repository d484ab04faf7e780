"""Where the app's bundled files live: the codec's package data (demo image, reference curves),
and the development checkout around the source (for the shared folder beside it)."""

from __future__ import annotations

from pathlib import Path

from codec.data import DEMO_IMAGE, REFERENCE_DIR

__all__ = ["REPO_ROOT", "DEMO_IMAGE", "REFERENCE_DIR"]

REPO_ROOT = Path(__file__).resolve().parents[2]  # in an installed package: site-packages, where nothing of ours lies
