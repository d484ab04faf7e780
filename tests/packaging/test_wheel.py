"""The wheel installs like a real package: built from the sources, installed into a fresh venv
outside the checkout, its ``msp`` codes the bundled demo image with the bundled weights and its
``msp-studio`` starts and takes a screenshot, with nothing from the checkout on the path.

The fresh venv borrows the heavy dependencies (torch, Qt, ...) from the venv running the tests
through a .pth file, which adds that site-packages folder but none of its own .pth files (so not
the editable install of the checkout): no network, no second copy of torch.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("codec", "app", "pyproject.toml", "README.md")  # what the build reads
PACKAGE_DATA = ("codec/data/weights/msp.pt", "codec/data/weights/msp.pt.sha256", "codec/data/weights/MODEL_CARD.md",
                "codec/data/demo/kodim23.png", "codec/data/reference/kodak/vtm.json", "codec/profiles.toml")
MIN_PSNR_DB = 30.0  # the shipped weights: 33.2 dB at 0.26 bpp (fast, q=0.5); random weights: about 7 dB


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args[:3]}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "MSP_WEIGHTS", "MSP_UNTRAINED", "MSP_REFERENCE_DIR", "VIRTUAL_ENV")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv outside the checkout with the wheel installed; returns its folder."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"  # a copy, so that the build leaves nothing (build/, *.egg-info) in the checkout
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, src / name)
    started = time.perf_counter()
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
          "--wheel-dir", str(work / "dist"), str(src)], cwd=work, env=_clean_env())
    (wheel,) = (work / "dist").glob("msp_studio-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert set(PACKAGE_DATA) <= names, set(PACKAGE_DATA) - names
    assert not any(n.startswith(("tests/", "resources/")) for n in names)

    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
          str(wheel)], cwd=work, env=_clean_env())
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=work).strip()
    (Path(purelib) / "_msp_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    print(f"wheel built and installed in {time.perf_counter() - started:.1f} s")
    return env_dir


def test_the_installed_package_is_the_wheel_with_its_data(installed: Path) -> None:
    code = ("import codec, app, codec.data as d; from codec.zoo import default_model; "
            "print(codec.__file__, app.__file__, d.WEIGHTS, d.DEMO_IMAGE, default_model().source, sep='\\n')")
    lines = _run([str(installed / "bin" / "python"), "-c", code], cwd=installed.parent, env=_clean_env()).split()
    for path in lines:
        assert Path(path).resolve().is_relative_to(installed.resolve()), f"{path} is not from the installed wheel"
        assert not Path(path).resolve().is_relative_to(ROOT)


def test_msp_encodes_and_decodes_the_demo_image_with_the_shipped_weights(installed: Path) -> None:
    work = installed.parent
    env = _clean_env()
    demo = Path(_run([str(installed / "bin" / "python"), "-c", "from codec.data import DEMO_IMAGE; print(DEMO_IMAGE)"],
                     cwd=work, env=env).strip())
    assert demo.resolve().is_relative_to(installed.resolve())
    _run([str(installed / "bin" / "msp"), "encode", str(demo), "demo.msp", "--profile", "fast"], cwd=work, env=env)
    _run([str(installed / "bin" / "msp"), "decode", "demo.msp", "demo.png"], cwd=work, env=env)
    original = np.asarray(Image.open(demo).convert("RGB"), dtype=np.float64)
    decoded = np.asarray(Image.open(work / "demo.png").convert("RGB"), dtype=np.float64)
    assert decoded.shape == original.shape
    psnr = 10 * np.log10(255.0**2 / np.mean((original - decoded) ** 2))
    bpp = (work / "demo.msp").stat().st_size * 8 / (original.shape[0] * original.shape[1])
    assert psnr > MIN_PSNR_DB and bpp < 1.0, f"{psnr:.2f} dB at {bpp:.3f} bpp: not the trained weights"


def test_msp_studio_starts_and_takes_a_screenshot(installed: Path) -> None:
    work = installed.parent
    settings = work / "studio.ini"  # MSP fast against JPEG, no bitrate matching, no sweep: quick to settle
    settings.write_text("[sides]\nA\\codec=msp-fast\nA\\quality=0.5\nB\\codec=jpeg\nB\\quality=0.5\n"
                        "auto_match=false\n\n[rd]\nsweep=false\n")
    shot = work / "studio.png"
    env = _clean_env(QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([str(installed / "bin" / "msp-studio"), "--settings", str(settings), "--no-sweep",
                           "--screenshot", str(shot), "--size", "1000x700"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    with Image.open(shot) as image:
        assert image.size[0] >= 900 and image.size[1] >= 600
        colours = image.convert("RGB").getcolors(maxcolors=image.size[0] * image.size[1]) or ()
        assert len(colours) > 1000  # a real window with the photo in it, not a blank one
