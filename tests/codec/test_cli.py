import subprocess
import sys
import time
from pathlib import Path

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
    cmd = [sys.executable, "-m", "codec.cli", "decode", str(bad), str(tmp_path / "x.png")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_profiles_command(capsys):
    assert main(["profiles"]) == 0
    out = capsys.readouterr().out
    assert "fast" in out and "balanced *" in out and "best" in out


def test_bench_profiles_with_lof_ablation(tmp_path, make_image, capsys):
    """The profile table, the LOF saving (overall and per image) and the curves, on a tiny set."""
    data = tmp_path / "set"
    data.mkdir()
    for i in range(2):
        Image.fromarray(make_image(64, 64, seed=20 + i)).save(data / f"img{i}.png")
    argv = ["bench", "--profiles", "--profile", "fast", "--profile", "balanced", "--lof-ablation", "--dataset",
            str(data), "--qualities", "0", "0.33", "0.67", "1", "--threads", "1", "--out", str(tmp_path / "r.json")]
    assert main(argv) == 0
    text = capsys.readouterr().out
    table = [line.split() for line in text.splitlines() if len(line.split()) > 4 and line.split()[1].isdigit()]
    rows = {cells[0]: cells for cells in table}
    assert rows["fast"][1] == "18" and rows["balanced"][1] == "27" and rows["balanced:lof_iterations=0"][1] == "27"
    assert rows["balanced"][4] == "-"  # not Kodak: no BD-rate against the Kodak VTM average
    assert "LOF saving, balanced vs the same decoder without LOF" in text
    assert "img0.png" in text and "img1.png" in text
    assert "balanced mean bpp/PSNR-RGB dB" in text
    assert (tmp_path / "r.json").stat().st_size > 0


def test_only_regular_files_are_replaced_even_with_force(tmp_path, png, capsys):
    import os

    fifo = tmp_path / "pipe.msp"
    os.mkfifo(fifo)
    target = tmp_path / "elsewhere.msp"
    target.write_bytes(b"precious")
    link = tmp_path / "link.msp"
    link.symlink_to(target)
    for out in (fifo, link):
        assert main(["encode", str(png), str(out), "--profile", "fast", "--force"]) == 2
    assert fifo.is_fifo() and link.is_symlink() and target.read_bytes() == b"precious"
    err = capsys.readouterr().err
    assert "not a regular file" in err and "symbolic link" in err


def test_output_problems_are_found_before_the_encode(tmp_path, png, capsys, monkeypatch):
    import codec.api

    def must_not_run(*args, **kwargs):
        raise AssertionError("encoded although the output cannot be written")

    monkeypatch.setattr(codec.api, "encode", must_not_run)
    assert main(["encode", str(png), str(tmp_path / "missing" / "a.msp")]) == 2
    assert main(["encode", str(png), "-"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "file name" in err
    assert not (tmp_path / "-").exists()


def test_bitstreams_are_read_with_a_hard_limit(tmp_path):
    from codec.commands.coding import _read_bitstream
    from codec.errors import BitstreamError

    with pytest.raises(BitstreamError, match="over 1000 bytes"):
        _read_bitstream(Path("/dev/zero"), limit=1000)  # reports size 0, never ends
    small = tmp_path / "s.msp"
    small.write_bytes(b"x" * 1000)
    assert _read_bitstream(small, limit=1000) == b"x" * 1000


@pytest.mark.parametrize("argv", [["bench", "--repeat", "0"], ["bench", "--threads", "0"], ["eval", "--points", "-1"],
                                  ["train", "--steps", "zero"]])
def test_bad_counts_are_usage_errors_not_tracebacks(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and ("at least 1" in err or "whole number" in err)


def test_max_pixels_refuses_before_the_work(tmp_path, png, capsys):
    """--max-pixels lowers the limit: a larger image is refused from its header, and a bitstream
    from its declared size, before any pixel is decoded (whatever the rest of the file holds)."""
    from codec.bitstream import Container, pack, unpack

    width, height = Image.open(png).size
    out = tmp_path / "a.msp"
    assert main(["encode", str(png), str(out), "--profile", "fast", "--max-pixels", str(width * height - 1)]) == 2
    assert "limit" in capsys.readouterr().err and not out.exists()
    assert main(["encode", str(png), str(out), "--profile", "fast", "--max-pixels", str(width * height)]) == 0
    assert main(["decode", str(out), str(tmp_path / "a.png"), "--max-pixels", str(width * height)]) == 0
    assert main(["decode", str(out), str(tmp_path / "b.png"), "--max-pixels", f"{(width * height - 1) / 1e3}k"]) == 2
    assert "limit" in capsys.readouterr().err and not (tmp_path / "b.png").exists()

    c = unpack(out.read_bytes())
    huge = tmp_path / "huge.msp"
    huge.write_bytes(pack(Container(c.model_id, c.profile, c.quality_code, 8000, 8000, tuple(b"" for _ in c.segments))))
    start = time.perf_counter()
    assert main(["decode", str(huge), str(tmp_path / "c.png"), "--max-pixels", "24M"]) == 2
    assert time.perf_counter() - start < 1.0 and "64.0 Mpx" in capsys.readouterr().err
    for bad in ("0", "-5", "lots", "M"):
        with pytest.raises(SystemExit):
            main(["decode", str(out), str(tmp_path / "d.png"), "--max-pixels", bad])


def test_an_animated_image_is_said_to_be_encoded_by_its_first_frame(tmp_path, make_image, capsys):
    frames = [Image.fromarray(make_image(32, 32, seed=i)) for i in range(3)]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50)
    assert main(["encode", str(gif), str(tmp_path / "a.msp"), "--profile", "fast"]) == 0
    assert "animated (3 frames); its first frame is encoded" in capsys.readouterr().err
    assert main(["encode", str(tmp_path / "a.msp"), str(tmp_path / "b.msp"), "--profile", "fast"]) == 2  # no frames probe crash


def test_bench_stages_prints_where_each_profiles_time_goes(tmp_path, png, capsys):
    assert main(["bench", "--image", str(png), "--profile", "fast", "--repeat", "1", "--threads", "1", "--stages"]) == 0
    text = capsys.readouterr().out
    table = text[text.index("fast: own seconds per stage"):].splitlines()
    names = [line[: table[1].index("encode s") - 1].strip() for line in table[2:]]
    assert "analysis" in names and "synthesis" in names and "total" in names
    assert "msp coding loop / backbone, scale 0 / exact convolutions" in names
    total = table[-1].split()
    assert float(total[1]) > 0 and total[2] == "100.0%" and float(total[3]) > 0


def test_bench_scaling_times_every_profile_and_the_serial_model_and_draws_them(tmp_path, png, capsys):
    from codec.eval.scaling import load_scaling

    out, plot = tmp_path / "scaling.json", tmp_path / "scaling.png"
    argv = ["bench", "--image", str(png), "--scaling", "--sizes", "0.004,0.012", "--serial-max-mpx", "0.005",
            "--repeat", "1", "--threads", "1", "--out", str(out), "--plot", str(plot)]
    assert main(argv) == 0
    scaling = load_scaling(out)
    assert [round(p.megapixels, 3) for p in scaling.points] == [0.004, 0.012]
    assert set(scaling.steps) == {"fast", "balanced", "best"} and scaling.steps["best"] > scaling.steps["fast"]
    assert all(set(p.msp_seconds) == set(scaling.steps) and min(p.msp_seconds.values()) > 0 for p in scaling.points)
    assert scaling.points[0].serial_seconds > 0 and scaling.points[1].serial_seconds is None  # over --serial-max-mpx
    assert Image.open(plot).size[0] > 500
    assert "(0.01 Mpx)" in capsys.readouterr().out


@pytest.mark.parametrize("sizes", ["1,0.5", "0", "a,b", "50"])
def test_bench_scaling_refuses_sizes_it_cannot_measure(sizes, capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--scaling", "--sizes", sizes])
    assert "megapixels" in capsys.readouterr().err


def test_a_file_that_is_not_a_scaling_file_is_our_error(tmp_path):
    from codec.errors import CodecError
    from codec.eval.scaling import load_scaling

    bad = tmp_path / "x.json"
    bad.write_text('{"points": [{"width": 1}]}')
    with pytest.raises(CodecError, match="not a decode-scaling file"):
        load_scaling(bad)


def test_eval_refuses_an_output_it_cannot_write_before_encoding_anything(tmp_path, capsys, monkeypatch):
    """A run of minutes must not end in "cannot write": a missing folder or an existing file is refused first."""
    import codec.eval.runner

    def no_work(*args, **kwargs):
        raise AssertionError("the evaluation ran before its output was checked")

    monkeypatch.setattr(codec.eval.runner, "evaluate_dataset", no_work)
    dataset = tmp_path / "images"
    dataset.mkdir()
    Image.new("RGB", (64, 64), (120, 60, 30)).save(dataset / "a.png")
    assert main(["eval", str(dataset), "--codecs", "jpeg", "--out", str(tmp_path / "missing" / "r.json")]) != 0
    assert "does not exist" in capsys.readouterr().err
    existing = tmp_path / "r.json"
    existing.write_text("{}")
    assert main(["eval", str(dataset), "--codecs", "jpeg", "--out", str(existing)]) != 0
    assert "refusing to overwrite" in capsys.readouterr().err
    assert existing.read_text() == "{}"
