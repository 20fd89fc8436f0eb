"""The real default model: clear cases, a held-out slice, label folding and broken files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from models.sentiment.build import (
    DEFAULT_MODEL_NAME,
    ModelWeightsError,
    build_default_model,
    default_model_dir,
    read_trained_weights,
    trained_layers_count,
)
from models.sentiment.data import LabelledSet, read_labelled_dirs, split
from models.sentiment.inference import (
    SentimentModel,
    available_cores,
    default_threads,
    label_matrix,
)
from models.sentiment.labels import LABELS
from models.sentiment.metrics import sentiment_report
from models.sentiment.train import TrainConfig

from .conftest import require_shared_sentiment

POSITIVE = [
    "Thank you so much for the quick help, great service!",
    "@KLM the crew was amazing, best flight I've had in years",
    "Super blij met de snelle hulp van jullie klantenservice, bedankt!",
    "Wat een fijne en vriendelijke medewerker, top geregeld!",
]
NEGATIVE = [
    "Worst customer service ever. Two hours on hold and still no refund.",
    "@united you lost my bag again and nobody answers. Unacceptable.",
    "Wat een waardeloze service, al drie weken geen reactie op mijn klacht.",
    "Mijn pakket is weer niet bezorgd en niemand helpt me. Echt schandalig!",
]

# Measured on this slice with the committed weights, int8 as the asset scores: accuracy
# en 0.740, nl 0.720, macro-F1 0.731 over both (fp32: 0.735, 0.690, 0.717; the full
# held-out figures are in MODEL_CARD.md); the bars sit a little below, so a rebuilt or
# retrained model that is clearly worse fails.
SLICE_MIN_ACCURACY = {"en": 0.73, "nl": 0.70}
SLICE_MIN_MACRO_F1_ALL = 0.72
SLICE_SIZE = {"en": 200, "nl": 100}
# Int8 vs fp32 on the whole held-out split: 97.4 % same labels, accuracy 0.3 points lower.
INT8_MIN_AGREEMENT = 0.96
# Largest probability change of a clear message between its batch and alone: 0.05.
INT8_BATCH_TOLERANCE = 0.1


def _heldout_slice() -> LabelledSet:
    _train, heldout = split(read_labelled_dirs(require_shared_sentiment()))
    rows: list[int] = []
    for language, size in SLICE_SIZE.items():
        members = [i for i, lang in enumerate(heldout.languages) if lang == language]
        step = max(len(members) // size, 1)
        rows.extend(members[::step][:size])
    return heldout.subset(rows)


@pytest.mark.slow
def test_clear_customer_messages(sentiment_model: SentimentModel):
    probabilities = sentiment_model.predict(POSITIVE + NEGATIVE)
    labels = [LABELS[i] for i in probabilities.argmax(axis=1)]
    assert labels == ["positive"] * len(POSITIVE) + ["negative"] * len(NEGATIVE)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_predict_keeps_input_order_and_handles_empty(sentiment_model_fp32: SentimentModel):
    texts = [NEGATIVE[0], "", POSITIVE[0], NEGATIVE[0] + " " * 3]
    together = sentiment_model_fp32.predict(texts, batch_size=2)
    alone = np.vstack([sentiment_model_fp32.predict([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-4)
    assert sentiment_model_fp32.predict([]).shape == (0, 3)


@pytest.mark.slow
def test_int8_scores_depend_only_slightly_on_the_batch(sentiment_model: SentimentModel):
    # Dynamic quantisation takes its activation scales from the whole batch, so a text's
    # probabilities move a little with its batch-mates, never its label.
    texts = POSITIVE + NEGATIVE
    together = sentiment_model.predict(texts, batch_size=len(texts))
    alone = np.vstack([sentiment_model.predict([text]) for text in texts])
    assert np.abs(together - alone).max() < INT8_BATCH_TOLERANCE
    assert (together.argmax(axis=1) == alone.argmax(axis=1)).all()


@pytest.mark.slow
def test_progress_is_reported_per_batch(sentiment_model: SentimentModel):
    calls: list[tuple[int, int]] = []
    sentiment_model.predict(
        POSITIVE + NEGATIVE, progress=lambda d, t: calls.append((d, t)), batch_size=3
    )
    assert calls == [(3, 8), (6, 8), (8, 8)]


@pytest.mark.slow
@pytest.mark.shared_data
def test_accuracy_on_fixed_heldout_slice(sentiment_model: SentimentModel):
    data = _heldout_slice()
    predicted = sentiment_model.predict(data.texts).argmax(axis=1).tolist()
    report = sentiment_report(data.labels, predicted, data.languages)
    for language, minimum in SLICE_MIN_ACCURACY.items():
        assert report[language]["accuracy"] >= minimum, (language, report[language])
    assert report["all"]["macro_f1"] >= SLICE_MIN_MACRO_F1_ALL, report["all"]


@pytest.mark.slow
@pytest.mark.shared_data
def test_int8_stays_within_a_point_of_fp32(heldout_scores, sentiment_model_fp32: SentimentModel):
    # Every fourth held-out row (about 4,000 texts): fp32 scoring of all of them would
    # cost minutes of the suite for no more certainty.
    heldout, int8_all = heldout_scores
    rows = list(range(0, len(heldout), 4))
    data = heldout.subset(rows)
    int8 = int8_all[rows]
    fp32 = sentiment_model_fp32.predict(data.texts).argmax(axis=1)
    truth = np.array(data.labels)
    assert np.mean(int8 == fp32) >= INT8_MIN_AGREEMENT
    assert np.mean(int8 == truth) >= np.mean(fp32 == truth) - 0.01


@pytest.mark.slow
def test_int8_leaves_the_feed_forward_output_projections_in_fp32(
    sentiment_model: SentimentModel,
):
    from torch.nn import Linear

    from models.sentiment.inference import RowwiseInt8Linear as DynamicLinear

    kinds = {
        name: type(module)
        for name, module in sentiment_model.model.named_modules()
        if isinstance(module, (Linear, DynamicLinear))
    }
    layers = sentiment_model.model.config.num_hidden_layers
    fp32 = sorted(name for name, kind in kinds.items() if kind is Linear)
    assert fp32 == sorted(f"roberta.encoder.layer.{i}.output.dense" for i in range(layers))
    assert kinds[f"roberta.encoder.layer.{layers - 1}.attention.output.dense"] is DynamicLinear
    assert kinds["classifier.out_proj"] is DynamicLinear


@pytest.mark.slow
def test_version_names_the_weights_and_the_precision(
    sentiment_model: SentimentModel, sentiment_model_fp32: SentimentModel
):
    assert sentiment_model_fp32.version.startswith(f"{DEFAULT_MODEL_NAME}@")
    assert len(sentiment_model_fp32.version.split("@")[1]) == 12
    assert sentiment_model.version == sentiment_model_fp32.version + "+int8r"


@pytest.mark.slow
@pytest.mark.shared_data
def test_a_texts_score_hardly_depends_on_the_texts_batched_with_it(
    sentiment_model: SentimentModel,
):
    """Scored in another order (the same batches) nothing changes; split into other
    batches, int8 with scales per token moves probabilities by a few hundredths at most
    and changes under 1% of labels (with one scale per batch about 2% changed)."""
    texts = _heldout_slice().texts
    together = sentiment_model.predict(texts, batch_size=32)
    order = np.random.default_rng(3).permutation(len(texts))
    shuffled = np.empty_like(together)
    shuffled[order] = sentiment_model.predict([texts[i] for i in order], batch_size=32)
    assert (shuffled == together).all()
    split_at = len(texts) // 2 + 7
    halves = np.vstack(
        [
            sentiment_model.predict(texts[:split_at], batch_size=32),
            sentiment_model.predict(texts[split_at:], batch_size=7),
        ]
    )
    assert np.mean(halves.argmax(axis=1) != together.argmax(axis=1)) < 0.01
    assert np.abs(halves - together).max() < 0.05


@pytest.mark.slow
def test_built_model_has_the_depth_the_weights_were_trained_for(built_model_dir: Path):
    import json

    _tensors, metadata = read_trained_weights()
    depth = trained_layers_count(metadata)
    config = json.loads((built_model_dir / "config.json").read_text())
    assert depth == TrainConfig().layers
    assert config["num_hidden_layers"] == depth
    assert trained_layers_count({}) is None  # files from before the depth was recorded


def test_missing_weights_file_says_how_to_fix(tmp_path: Path):
    with pytest.raises(ModelWeightsError, match="webcare train-sentiment") as error:
        build_default_model(tmp_path, weights_file=tmp_path / "gone.safetensors")
    assert "gone.safetensors" in str(error.value)


def test_garbage_weights_file_says_how_to_fix(tmp_path: Path):
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}" + b"\x00" * 64)
    with pytest.raises(ModelWeightsError, match=r"unreadable.*git checkout"):
        build_default_model(tmp_path / "cache", weights_file=broken)


@pytest.mark.slow
def test_corrupted_built_model_asks_for_build_model(tmp_path: Path, built_model_dir: Path):
    copy = tmp_path / built_model_dir.name
    shutil.copytree(built_model_dir, copy)
    weights = copy / "model.safetensors"
    with weights.open("r+b") as handle:
        handle.seek(weights.stat().st_size // 2)
        handle.write(b"\xff" * 16)
    assert default_model_dir(tmp_path) == copy
    with pytest.raises(ModelWeightsError, match=r"corrupted.*webcare build-model"):
        SentimentModel.load(DEFAULT_MODEL_NAME, tmp_path)
    weights.unlink()
    with pytest.raises(ModelWeightsError, match=r"missing.*webcare build-model"):
        SentimentModel.load(DEFAULT_MODEL_NAME, tmp_path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), (" 3 ", 3), ("0", None), ("-2", None), ("two", None), ("", None), (None, None)],
)
def test_default_threads_follow_omp_num_threads_when_it_is_a_count(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", value)
    assert default_threads() == (expected or available_cores())


@pytest.mark.slow
def test_load_gives_torch_the_default_threads_unless_told(
    monkeypatch, built_model_dir: Path, model_cache_dir: Path
):
    import torch

    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        SentimentModel.load(DEFAULT_MODEL_NAME, model_cache_dir, quantize=False)
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "3")
        SentimentModel.load(DEFAULT_MODEL_NAME, model_cache_dir, quantize=False)
        assert torch.get_num_threads() == 3
        SentimentModel.load(DEFAULT_MODEL_NAME, model_cache_dir, threads=2, quantize=False)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.slow
def test_loading_draws_no_progress_bar(capfd, built_model_dir: Path, model_cache_dir: Path):
    """transformers' bar over the weights it copies showed in every scoring run and in
    `webcare calibrate-sentiment`; the caller's progress-bar setting is kept."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.enable_progress_bar()
    capfd.readouterr()
    SentimentModel.load(DEFAULT_MODEL_NAME, model_cache_dir, quantize=False)
    assert "Loading weights" not in capfd.readouterr().err
    assert transformers_logging.is_progress_bar_enabled()


def test_label_matrix_folds_third_party_labels():
    stars = {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}
    folding = {"1 star": "negative", "2 stars": "negative", "3 stars": "neutral"}
    folding |= {"4 stars": "positive", "5 stars": "positive"}
    matrix = label_matrix(stars, folding)
    probabilities = np.array([[0.1, 0.2, 0.3, 0.25, 0.15]])
    assert np.allclose(probabilities @ matrix, [[0.3, 0.3, 0.4]])
    aliases = label_matrix({0: "NEG", 1: "NEU", 2: "POS"}, None)
    assert np.array_equal(aliases, np.eye(3))


def test_label_matrix_refuses_unmapped_labels():
    with pytest.raises(ValueError, match="sentiment_label_map"):
        label_matrix({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, None)
