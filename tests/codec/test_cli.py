import subprocess
import sys

import pytest
from PIL import Image

from codec.cli import main


@pytest.fixture
def png(tmp_path, make_image):
    path = tmp_path / "in.png"
    Image.fromarray(make_image(48, 40)).save(path)
    return path


def test_encode_info_decode(tmp_path, png, capsys):
    out = tmp_path / "a.msp"
    assert main(["encode", str(png), str(out), "--profile", "fast", "--quality", "0.3"]) == 0
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "profile        : fast" in text and "decode steps   : 18 sequential" in text
    assert main(["decode", str(out), str(tmp_path / "b.png")]) == 0
    assert Image.open(tmp_path / "b.png").size == (40, 48)


def test_never_overwrites(tmp_path, png, capsys):
    out = tmp_path / "a.msp"
    out.write_bytes(b"precious")
    assert main(["encode", str(png), str(out), "--profile", "fast"]) == 2
    assert out.read_bytes() == b"precious"
    assert main(["encode", str(png), str(png), "--profile", "fast"]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_errors_are_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.msp"
    bad.write_bytes(b"MSPc\x01garbage")
    proc = subprocess.run([sys.executable, "-m", "codec.cli", "decode", str(bad), str(tmp_path / "x.png")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_profiles_command(capsys):
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    assert "fast" in out and "balanced *" in out and "best" in out
