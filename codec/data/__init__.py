"""The files the codec ships inside the package: the trained weights with their model card and
checksum (``weights/``), the demo image (``demo/``) and the published reference RD curves
(``reference/``), each folder with its provenance.

They are package data (pyproject.toml), so a wheel carries them and a checkout, an editable
install and an installed wheel all find them the same way, through :mod:`importlib.resources`.
This module imports only the standard library: the command line and the app read these paths
without loading torch.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
from importlib import resources
from pathlib import Path

__all__ = ["data_path", "WEIGHTS", "DEMO_IMAGE", "REFERENCE_DIR"]

_copies = contextlib.ExitStack()  # temporary copies made when the package is imported from a zip
atexit.register(_copies.close)


@functools.cache
def data_path(relative: str) -> Path:
    """The shipped file or folder ``relative`` (``"demo/kodim23.png"``) as a file-system path.

    Installed as files (a wheel, an editable install, a checkout) this is the file itself; for a
    package imported from a zip it is a temporary copy that lives until the interpreter exits.
    The path is returned whether or not the file exists: its reader says what is missing.
    """
    target = resources.files(__name__).joinpath(*relative.split("/"))
    return _copies.enter_context(resources.as_file(target))


WEIGHTS = data_path("weights/msp.pt")
DEMO_IMAGE = data_path("demo/kodim23.png")
REFERENCE_DIR = data_path("reference")
