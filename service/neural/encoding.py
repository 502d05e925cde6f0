"""Turning texts into model inputs the same way at inference, in scoring and in fine-tuning.

KoBART's tokenizer (gogamza/kobart-base-v2) does not add <s>/</s> by itself while other BART tokenizers do;
the model was trained on `<s> text </s>` inputs and `text </s>` labels, so the wrapping is made explicit here
and never left to whichever tokenizer happens to be installed.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class EncodedBatch:
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    truncated: list[bool]


def token_ids(tokenizer, text: str) -> list[int]:
    """The text's own tokens, without any special token the tokenizer might add."""
    ids = tokenizer(text, add_special_tokens=False, return_token_type_ids=False)["input_ids"]
    return list(ids)


def wrap_source(tokenizer, ids: list[int], max_tokens: int) -> tuple[list[int], bool]:
    """`<s> ids </s>`, cut to `max_tokens` in all; returns the ids and whether anything was cut."""
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    room = max(1, max_tokens - len(bos) - len(eos))
    return bos + ids[:room] + eos, len(ids) > room


def wrap_target(tokenizer, ids: list[int], max_tokens: int) -> list[int]:
    """`ids </s>`: the labels a seq2seq model learns and is scored on."""
    eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
    return ids[: max(1, max_tokens - len(eos))] + eos


def pad_batch(sequences: list[list[int]], pad_id: int, fill: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad to the longest sequence; the mask marks real tokens. `fill` overrides the pad value (-100 for labels)."""
    width = max(len(s) for s in sequences)
    value = pad_id if fill is None else fill
    ids = torch.full((len(sequences), width), value, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def encode_sources(tokenizer, texts: list[str], max_tokens: int) -> EncodedBatch:
    wrapped = [wrap_source(tokenizer, token_ids(tokenizer, t), max_tokens) for t in texts]
    ids, mask = pad_batch([w for w, _ in wrapped], pad_id(tokenizer))
    return EncodedBatch(ids, mask, [cut for _, cut in wrapped])


def pad_id(tokenizer) -> int:
    if tokenizer.pad_token_id is not None:
        return tokenizer.pad_token_id
    return tokenizer.eos_token_id if tokenizer.eos_token_id is not None else 0
