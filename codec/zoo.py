"""Shipped weights: export, load, and the model identifier written into every bitstream.

A weights file holds the architecture config and the state dict (fp16 for the learned
tensors, float64 for the coding tables). Its identifier is a hash of the file's content, so a
bitstream names exactly the weights it needs and decoding with other weights is refused
instead of producing garbage.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from codec.errors import CodecError
from codec.models.msp_codec import ModelConfig, MSPCodecModel

__all__ = [
    "DEFAULT_WEIGHTS",
    "LoadedModel",
    "export_weights",
    "load_model",
    "load_weights_into",
    "default_model",
    "weights_path",
    "weights_metadata",
]

WEIGHTS_FORMAT = "msp-weights"
WEIGHTS_VERSION = 1
DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "resources" / "weights" / "msp.pt"
MODEL_ID_BYTES = 8


@dataclass(frozen=True)
class LoadedModel:
    model: MSPCodecModel
    model_id: str  # hex, MODEL_ID_BYTES bytes
    source: str  # file path, or "untrained" for random initialisation


def weights_path() -> Path:
    """The weights the codec uses: $MSP_WEIGHTS if set, else the shipped file."""
    return Path(os.environ.get("MSP_WEIGHTS", DEFAULT_WEIGHTS))


def export_weights(model: MSPCodecModel, path: str | Path, metadata: dict | None = None) -> str:
    """Write ``model`` to ``path`` atomically; returns its model id."""
    model.factorized.update_tables()
    state = {}
    for key, tensor in model.state_dict().items():
        tensor = tensor.detach().cpu()
        state[key] = tensor if tensor.dtype == torch.float64 else tensor.to(torch.float16)
    payload = {
        "format": WEIGHTS_FORMAT,
        "version": WEIGHTS_VERSION,
        "config": model.config.to_dict(),
        "metadata": metadata or {},
        "state": state,
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return _model_id(data)


def _model_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[: 2 * MODEL_ID_BYTES]


def _read_payload(path: Path) -> tuple[dict, bytes]:
    try:
        data = path.read_bytes()
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError) as exc:
        raise CodecError(f"cannot read weights {path}: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise CodecError(f"{path} is not an MSP weights file")
    if payload.get("version") != WEIGHTS_VERSION:
        raise CodecError(f"{path}: weights format version {payload.get('version')} is not supported")
    return payload, data


def load_weights_into(model: MSPCodecModel, path: str | Path) -> dict:
    """Load exported weights into an existing model (same config); returns the metadata."""
    payload, _ = _read_payload(Path(path))
    state = {k: v.to(model.state_dict()[k].dtype) for k, v in payload["state"].items()}
    model.load_state_dict(state)
    model.invalidate_coding_cache()
    return payload.get("metadata", {})


def weights_metadata(path: str | Path) -> dict:
    """The metadata stored with exported weights (steps, training config, compute)."""
    payload, _ = _read_payload(Path(path))
    return payload.get("metadata", {})


def load_model(path: str | Path) -> LoadedModel:
    path = Path(path)
    payload, data = _read_payload(path)
    model = MSPCodecModel(ModelConfig.from_dict(payload["config"]))
    state = {k: v.to(model.state_dict()[k].dtype) for k, v in payload["state"].items()}
    model.load_state_dict(state)
    model.eval()
    return LoadedModel(model=model, model_id=_model_id(data), source=str(path))


def _untrained_model() -> LoadedModel:
    """Deterministic random weights, for a checkout without trained weights (tests, CI)."""
    torch.manual_seed(0)
    model = MSPCodecModel(ModelConfig()).eval()
    model.factorized.update_tables()
    digest = hashlib.sha256()
    for key, tensor in model.state_dict().items():
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().numpy().tobytes())
    return LoadedModel(model=model, model_id=digest.hexdigest()[: 2 * MODEL_ID_BYTES], source="untrained")


@functools.lru_cache(maxsize=4)
def _cached(path_str: str, untrained: bool) -> LoadedModel:
    return _untrained_model() if untrained else load_model(path_str)


def default_model() -> LoadedModel:
    """The model the API uses (CPU copy, cached). $MSP_UNTRAINED=1 forces random weights."""
    if os.environ.get("MSP_UNTRAINED") == "1":
        return _cached("", True)
    path = weights_path()
    if not path.exists():
        return _cached("", True)
    return _cached(str(path), False)
