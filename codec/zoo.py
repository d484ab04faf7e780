"""Shipped weights: export, load, and the model identifier written into every bitstream.

A weights file holds the architecture config and the state dict (fp16 for the learned
tensors, float64 for the coding tables). Its identifier is a hash of the file's content, so a
bitstream names exactly the weights it needs and decoding with other weights is refused
instead of producing garbage.

The shipped weights (package data, :mod:`codec.data`) come with ``msp.pt.sha256``, their full
hash in ``sha256sum -c`` format: a missing, truncated or swapped file is a :class:`WeightsError`,
never a silent fall back to random weights. Random weights are used only when asked for by name
(``MSP_UNTRAINED=1``).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import torch

from codec.data import WEIGHTS
from codec.errors import WeightsError
from codec.models.deepening import deepen_transform_state
from codec.models.msp_codec import ModelConfig, MSPCodecModel
from codec.models.rate_range import extend_lambda_grid
from codec.models.transforms import DEFAULT_BLOCKS
from codec.models.widening import widen_transform_state

__all__ = [
    "DEFAULT_WEIGHTS",
    "LoadedModel",
    "export_weights",
    "load_model",
    "load_weights_into",
    "default_model",
    "weights_path",
    "weights_metadata",
    "checksum_path",
    "write_checksum",
]

WEIGHTS_FORMAT = "msp-weights"
WEIGHTS_VERSION = 1
DEFAULT_WEIGHTS = WEIGHTS
MODEL_ID_BYTES = 8


@dataclass(frozen=True)
class LoadedModel:
    model: MSPCodecModel
    model_id: str  # hex, MODEL_ID_BYTES bytes
    source: str  # file path, or "untrained" for random initialisation (asked for with MSP_UNTRAINED=1)


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


def checksum_path(path: str | Path) -> Path:
    """The checksum file of the weights at ``path``: ``msp.pt`` -> ``msp.pt.sha256``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def write_checksum(path: str | Path) -> Path:
    """Write the checksum file of the weights at ``path`` (what ``msp export`` does for the
    weights it writes; ``sha256sum -c`` checks it too). Returns its path."""
    path = Path(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    target = checksum_path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(f"{digest}  {path.name}\n", encoding="ascii")
    os.replace(tmp, target)
    return target


def _expected_digest(checksum: Path) -> str:
    try:
        fields = checksum.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise WeightsError(f"cannot read the weights' checksum file {checksum}: {exc}") from None
    digest = fields[0].lower() if fields else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise WeightsError(f"{checksum} is not a checksum file (expected '<sha256>  <file name>')")
    return digest


def _read_payload(path: Path, require_checksum: bool = False) -> tuple[dict, bytes]:
    """The weights file's payload and bytes. Its checksum file, when there is one (the shipped
    weights must have one: ``require_checksum``), must name exactly these bytes."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WeightsError(f"the weights file {path} does not exist") from None
    except OSError as exc:
        raise WeightsError(f"cannot read weights {path}: {exc.strerror or exc}") from None
    checksum = checksum_path(path)
    if require_checksum or checksum.exists():
        digest, expected = hashlib.sha256(data).hexdigest(), _expected_digest(checksum)
        if digest != expected:
            raise WeightsError(
                f"{path} is not the weights its checksum file names (model id {digest[:2 * MODEL_ID_BYTES]}, "
                f"{checksum.name} says {expected[:2 * MODEL_ID_BYTES]}): the file is damaged or was replaced without "
                f"its checksum. If it was replaced on purpose: cd {path.parent} && sha256sum {path.name} > {checksum.name}"
            )
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as exc:
        raise WeightsError(f"cannot read weights {path}: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise WeightsError(f"{path} is not an MSP weights file")
    if payload.get("version") != WEIGHTS_VERSION:
        raise WeightsError(f"{path}: weights format version {payload.get('version')} is not supported")
    return payload, data


def load_weights_into(model: MSPCodecModel, path: str | Path) -> dict:
    """Load exported weights into an existing model of the same architecture; returns the metadata.

    Weights trained on a lambda grid that the model's grid starts with load too: the model's added
    (higher) levels start where each channel's learned gain curve points
    (:mod:`codec.models.rate_range`), which is how training extends the top of the quality range.
    Weights with narrower transforms load widened, computing what they computed
    (:mod:`codec.models.widening`), which is how training starts a wider model from them; weights
    with fewer residual blocks load deepened, the same way (:mod:`codec.models.deepening`)."""
    payload, _ = _read_payload(Path(path))
    current = model.state_dict()
    state = {k: v.to(current[k].dtype if k in current else v.dtype) for k, v in payload["state"].items()}
    lambdas = tuple(float(v) for v in payload.get("config", {}).get("lambdas", model.config.lambdas))
    width = int(payload.get("config", {}).get("transform_width", model.config.transform_width))
    blocks = tuple(int(n) for n in payload.get("config", {}).get("residual_blocks", DEFAULT_BLOCKS))
    try:
        if lambdas != tuple(model.config.lambdas):
            state = extend_lambda_grid(state, lambdas, model.config.lambdas)
        if blocks != tuple(model.config.residual_blocks):
            if width != model.config.transform_width:
                raise ValueError("widen or deepen the transforms, not both at once")
            state = deepen_transform_state(state, current, blocks, model.config.residual_blocks)  # type: ignore[arg-type]
        if width != model.config.transform_width:
            shapes = {name: tensor.shape for name, tensor in current.items()}
            state = widen_transform_state(state, shapes, width, model.config.transform_width)
    except ValueError as exc:
        raise WeightsError(f"{path}: its weights cannot start this model: {exc}") from None
    model.load_state_dict(state)
    model.invalidate_coding_cache()
    return payload.get("metadata", {})


def weights_metadata(path: str | Path) -> dict:
    """The metadata stored with exported weights (steps, training config, compute)."""
    payload, _ = _read_payload(Path(path))
    return payload.get("metadata", {})


def load_model(path: str | Path, require_checksum: bool = False) -> LoadedModel:
    """The weights at ``path`` as a model (checked against their checksum file when there is one)."""
    path = Path(path)
    payload, data = _read_payload(path, require_checksum)
    model = MSPCodecModel(ModelConfig.from_dict(payload["config"]))
    state = {k: v.to(model.state_dict()[k].dtype) for k, v in payload["state"].items()}
    model.load_state_dict(state)
    model.eval()
    return LoadedModel(model=model, model_id=_model_id(data), source=str(path))


def _untrained_model() -> LoadedModel:
    """Deterministic random weights: only when asked for by name (``MSP_UNTRAINED=1``)."""
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
    if untrained:
        return _untrained_model()
    path = Path(path_str)
    shipped = "MSP_WEIGHTS" not in os.environ
    if not path.exists():
        if shipped:
            raise WeightsError(
                f"the codec's weights are missing ({path}): this installation of msp-studio is incomplete; "
                "reinstall it (in a checkout: git checkout -- codec/data/weights)"
            )
        raise WeightsError(f"the weights file {path} named by $MSP_WEIGHTS does not exist")
    return load_model(path, require_checksum=shipped)


def default_model() -> LoadedModel:
    """The model the API uses (CPU copy, cached): $MSP_WEIGHTS, else the shipped weights, which
    must be present and match their checksum (:class:`WeightsError` otherwise).
    $MSP_UNTRAINED=1 asks for random weights (tests of the machinery, never a fall-back)."""
    if os.environ.get("MSP_UNTRAINED") == "1":
        return _cached("", True)
    return _cached(str(weights_path()), False)
