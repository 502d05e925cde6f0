"""The neural part of the rerank gain: seq2seq and masked-LM likelihoods of whole-sentence candidates.

Both scores are length-normalised (mean log-probability per token): candidates of one segment differ in
length, and a summed score would reward the shortest one by several nats per dropped token, which the gain
margin cannot absorb. Kiwi's summed score stays the length-aware part of the rerank.
"""
from __future__ import annotations

import threading
from typing import Sequence

import torch

from service.neural.encoding import encode_sources, pad_batch, token_ids, wrap_target

class Seq2SeqScorer:
    """log P(candidate | original) under the KoBART model, per target token (`SentenceScorer` protocol)."""

    name = "kobart-seq2seq"
    weight_key = "seq2seq"

    def __init__(self, model, tokenizer, max_tokens: int, lock: threading.Lock | None = None,
                 batch_size: int = 32) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.lock = lock or threading.Lock()
        self.batch_size = max(1, batch_size)  # pairs per forward pass: bounds memory for hundreds of candidates

    def _score_chunk(self, pairs: list[tuple[str, str]]) -> list[float]:
        sources = encode_sources(self.tokenizer, [o for o, _ in pairs], self.max_tokens)
        targets = [wrap_target(self.tokenizer, token_ids(self.tokenizer, c), self.max_tokens) for _, c in pairs]
        labels, label_mask = pad_batch(targets, 0, fill=-100)
        start = self.model.config.decoder_start_token_id
        if start is None:  # some BART configs leave it to the generation config; BART starts from </s>
            start = self.model.config.eos_token_id
        pad = self.model.config.pad_token_id if self.model.config.pad_token_id is not None else 0
        # Teacher forcing: the decoder reads <start> + target[:-1] and predicts target.
        decoder_input = torch.full_like(labels, pad)
        decoder_input[:, 0] = start
        decoder_input[:, 1:] = labels[:, :-1].masked_fill(labels[:, :-1] == -100, pad)
        device = self.model.device
        labels, label_mask = labels.to(device), label_mask.to(device)
        with self.lock, torch.inference_mode():
            logits = self.model(input_ids=sources.input_ids.to(device),
                                attention_mask=sources.attention_mask.to(device),
                                decoder_input_ids=decoder_input.to(device), decoder_attention_mask=label_mask).logits
        logprobs = torch.log_softmax(logits.float(), dim=-1)
        picked = logprobs.gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1) * label_mask
        return (picked.sum(dim=1) / label_mask.sum(dim=1).clamp(min=1)).tolist()

    def score(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        unique = list(dict.fromkeys(zip(originals, candidates)))  # the original recurs once per segment
        scores: dict[tuple[str, str], float] = {}
        for i in range(0, len(unique), self.batch_size):
            chunk = unique[i:i + self.batch_size]
            scores.update(zip(chunk, self._score_chunk(chunk)))
        return [scores[pair] for pair in zip(originals, candidates)]


class MaskedLmScorer:
    """Pseudo-log-likelihood under a masked LM: each token masked in turn, its log-probability averaged."""

    name = "mlm"
    weight_key = "mlm"

    def __init__(self, model, tokenizer, max_tokens: int, lock: threading.Lock | None = None,
                 batch_size: int = 64) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.lock = lock or threading.Lock()
        self.batch_size = max(1, batch_size)  # masked rows per forward pass (one row per token of a candidate)
        # Markers ([CLS], [SEP], padding) are not scored; [UNK] is, or a candidate full of unknown characters
        # would score as well as a perfect sentence.
        self.special = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}

    def _masked_rows(self, text: str) -> tuple[list[int], list[int]]:
        ids = self.tokenizer(text, add_special_tokens=True, truncation=True, max_length=self.max_tokens,
                             return_token_type_ids=False)["input_ids"]
        return list(ids), [i for i, t in enumerate(ids) if t not in self.special]

    def _pll(self, texts: list[str]) -> list[float]:
        rows: list[list[int]] = []
        owners: list[tuple[int, int, int]] = []  # (text index, masked position, true token)
        for index, text in enumerate(texts):
            ids, positions = self._masked_rows(text)
            for pos in positions:
                masked = list(ids)
                masked[pos] = self.tokenizer.mask_token_id
                rows.append(masked)
                owners.append((index, pos, ids[pos]))
        totals = [0.0] * len(texts)
        counts = [0] * len(texts)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        device = self.model.device
        for start in range(0, len(rows), self.batch_size):
            chunk_rows = rows[start:start + self.batch_size]
            chunk_owners = owners[start:start + self.batch_size]
            ids, mask = pad_batch(chunk_rows, pad)
            with self.lock, torch.inference_mode():
                logits = self.model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits
            positions = torch.tensor([p for _, p, _ in chunk_owners], device=device)
            truth = torch.tensor([t for _, _, t in chunk_owners], device=device)
            rows_index = torch.arange(len(chunk_rows), device=device)
            logprobs = torch.log_softmax(logits[rows_index, positions].float(), dim=-1)[rows_index, truth]
            for (index, _, _), value in zip(chunk_owners, logprobs.tolist()):
                totals[index] += value
                counts[index] += 1
        return [t / c if c else 0.0 for t, c in zip(totals, counts)]

    def score(self, originals: Sequence[str], candidates: Sequence[str]) -> list[float]:
        unique = list(dict.fromkeys(candidates))
        scores = dict(zip(unique, self._pll(unique)))
        return [scores[c] for c in candidates]
