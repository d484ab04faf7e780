"""The weights the codec codes with: the shipped file and its checksum, and the clear error
(never random weights) when they are missing, damaged, swapped or unsafe to load."""

from __future__ import annotations

import hashlib
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from codec import zoo
from codec.cli import main
from codec.data import DEMO_IMAGE, REFERENCE_DIR, WEIGHTS
from codec.errors import CodecError, WeightsError


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No cached model in or out: each case loads (or fails to load) for itself."""
    monkeypatch.delenv("MSP_WEIGHTS", raising=False)
    monkeypatch.delenv("MSP_UNTRAINED", raising=False)
    zoo._cached.cache_clear()
    yield
    zoo._cached.cache_clear()


@pytest.fixture
def shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None) -> Path:
    """A copy of the shipped weights and checksum, standing in for the shipped files."""
    weights = tmp_path / "msp.pt"
    shutil.copyfile(WEIGHTS, weights)
    shutil.copyfile(zoo.checksum_path(WEIGHTS), zoo.checksum_path(weights))
    monkeypatch.setattr(zoo, "DEFAULT_WEIGHTS", weights)
    return weights


def test_the_package_ships_its_data() -> None:
    assert WEIGHTS.is_file() and DEMO_IMAGE.is_file() and (REFERENCE_DIR / "kodak" / "vtm.json").is_file()
    assert WEIGHTS.parent.parent == DEMO_IMAGE.parent.parent == REFERENCE_DIR.parent  # one package folder
    assert (WEIGHTS.parent / "MODEL_CARD.md").is_file()


def test_shipped_weights_match_their_checksum_and_are_the_default(fresh_cache: None) -> None:
    expected, name = zoo.checksum_path(WEIGHTS).read_text().split()
    assert name == WEIGHTS.name
    assert hashlib.sha256(WEIGHTS.read_bytes()).hexdigest() == expected
    loaded = zoo.default_model()
    assert loaded.source == str(WEIGHTS)
    assert loaded.model_id == expected[: 2 * zoo.MODEL_ID_BYTES]


def test_missing_shipped_weights_are_an_error_not_random_weights(shipped_copy: Path) -> None:
    shipped_copy.unlink()
    with pytest.raises(WeightsError, match=r"weights are missing .*reinstall"):
        zoo.default_model()


def test_weights_that_do_not_match_their_checksum_are_refused(shipped_copy: Path) -> None:
    shipped_copy.write_bytes(shipped_copy.read_bytes()[:-100])  # truncated
    with pytest.raises(WeightsError, match=r"not the weights its checksum file names .*sha256sum msp\.pt > msp\.pt\.sha256"):
        zoo.default_model()


def test_swapped_weights_are_refused_until_their_checksum_is_written(shipped_copy: Path) -> None:
    torch.manual_seed(1)
    from codec.models.msp_codec import ModelConfig, MSPCodecModel

    other_id = zoo.export_weights(MSPCodecModel(ModelConfig()), shipped_copy)  # other weights, old checksum
    with pytest.raises(WeightsError, match=f"model id {other_id}"):
        zoo.default_model()
    zoo.write_checksum(shipped_copy)  # what `msp export` does
    zoo._cached.cache_clear()
    assert zoo.default_model().model_id == other_id


def test_shipped_weights_need_their_checksum_file(shipped_copy: Path) -> None:
    zoo.checksum_path(shipped_copy).unlink()
    with pytest.raises(WeightsError, match="cannot read the weights' checksum file"):
        zoo.default_model()
    zoo.checksum_path(shipped_copy).write_text("not a checksum\n")
    with pytest.raises(WeightsError, match="is not a checksum file"):
        zoo.default_model()


def test_weights_named_by_the_environment_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    fresh_cache: None) -> None:
    monkeypatch.setenv("MSP_WEIGHTS", str(tmp_path / "nowhere.pt"))
    with pytest.raises(WeightsError, match=r"nowhere\.pt named by \$MSP_WEIGHTS does not exist"):
        zoo.default_model()


class _RunsCode:
    def __reduce__(self):
        return (print, ("unpickling ran code",))


def test_a_pickle_that_would_run_code_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "evil.pt"
    with path.open("wb") as f:
        torch.save({"format": zoo.WEIGHTS_FORMAT, "version": zoo.WEIGHTS_VERSION, "x": _RunsCode()}, f)
    with pytest.raises(WeightsError, match="cannot read weights"):
        zoo.load_model(path)
    path.write_bytes(pickle.dumps(_RunsCode(), protocol=2))  # a plain pickle, not even a torch file
    with pytest.raises(WeightsError):
        zoo.load_model(path)
    assert "unpickling ran code" not in capsys.readouterr().out


def test_the_command_line_says_so_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_cache: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MSP_WEIGHTS", str(tmp_path / "nowhere.pt"))
    assert main(["encode", str(DEMO_IMAGE), str(tmp_path / "out.msp")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("msp encode: error: the weights file") and "Traceback" not in err
    assert not (tmp_path / "out.msp").exists()
    assert issubclass(WeightsError, CodecError)


def test_export_writes_the_checksum_the_loader_checks(tmp_path: Path) -> None:
    from codec.models.msp_codec import ModelConfig, MSPCodecModel

    path = tmp_path / "w.pt"
    model_id = zoo.export_weights(MSPCodecModel(ModelConfig()), path)
    zoo.write_checksum(path)
    assert zoo.load_model(path, require_checksum=True).model_id == model_id
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(WeightsError):
        zoo.load_model(path)  # a checksum file beside any weights is checked too
