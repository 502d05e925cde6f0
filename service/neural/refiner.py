"""KoBART refinement: all segments of a request through batched `generate` calls, decoding as configured.

The model proposes a respelled, respaced text; the guard (service.guard) measures it against the text it
started from. A refused or unusable proposal falls back to the embedded (Kiwi) refinement of that text, so a
segment the model cannot help is refined exactly as it would be without the model.
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import Sequence

import torch

from config import GenerationSettings
from service.guard import guard
from service.neural.encoding import encode_sources, pad_id, token_ids
from service.postprocess import drop_decoder_repeats
from service.refine import Refinement, Refiner, Spans
from service.text import FINAL_MARKS

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class Proposal:
    """What the model wrote for one text, or why it wrote nothing usable."""

    text: str | None
    reason: str = ""


def split_final_mark(text: str) -> tuple[str, str | None]:
    """'회의를 시작합니다.' → ('회의를 시작합니다', '.'); the pipeline adds the mark back in post-processing."""
    body = text.rstrip()
    mark = None
    while body and body[-1] in FINAL_MARKS:
        mark = body[-1] if body[-1] != "…" else (mark or ".")
        body = body[:-1].rstrip()
    return body, mark


class KoBartGenerator:
    """Batched generation with the decoding settings of `ec_config.json`."""

    def __init__(self, model, tokenizer, generation: GenerationSettings, lock: threading.Lock | None = None,
                 batch_size: int = 32) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.settings = generation
        self.lock = lock or threading.Lock()
        # Segments sorted by length go through `generate` this many at a time (NEURAL_BATCH_SIZE): one call per
        # chunk keeps padding small and memory bounded (256 segments × 4 beams in one call would hold 1024
        # decoder caches); on a GPU, larger chunks are most of the speed.
        self.batch_size = max(1, batch_size)
        self.banned = [s for s in generation.banned_strings if s]
        # Each banned string as token ids, with and without a leading space (sentencepiece-style vocabularies
        # spell a word-initial piece differently); `generate` never emits these sequences.
        bad: set[tuple[int, ...]] = set()
        for banned in self.banned:
            for variant in (banned, " " + banned):
                ids = tuple(token_ids(tokenizer, variant))
                if ids:
                    bad.add(ids)
        self.bad_words_ids = [list(ids) for ids in sorted(bad)]

    def _generate_chunk(self, texts: list[str]) -> list[Proposal]:
        s = self.settings
        batch = encode_sources(self.tokenizer, texts, s.max_input_tokens)
        longest = int(batch.attention_mask.sum(dim=1).max())
        kwargs = dict(
            input_ids=batch.input_ids.to(self.model.device),
            attention_mask=batch.attention_mask.to(self.model.device),
            num_beams=max(1, s.num_beams),
            do_sample=False,
            repetition_penalty=s.repetition_penalty,
            max_new_tokens=max(1, math.ceil(s.max_new_tokens_ratio * longest) + s.max_new_tokens_extra),
            pad_token_id=pad_id(self.tokenizer),
            eos_token_id=self.model.config.eos_token_id,
            decoder_start_token_id=self.model.config.decoder_start_token_id,
        )
        if s.no_repeat_ngram_size > 0:
            kwargs["no_repeat_ngram_size"] = s.no_repeat_ngram_size
        if kwargs["num_beams"] > 1:
            kwargs["early_stopping"] = True
        if self.bad_words_ids:
            kwargs["bad_words_ids"] = self.bad_words_ids
        with self.lock, torch.inference_mode():
            output = self.model.generate(**kwargs)
        decoded = self.tokenizer.batch_decode(output.cpu(), skip_special_tokens=True, clean_up_tokenization_spaces=False)
        proposals = []
        for text, cut in zip(decoded, batch.truncated):
            text = " ".join(text.split())
            if cut:  # the model never saw the tail; its output would silently drop it
                proposals.append(Proposal(None, "input longer than max_input_tokens"))
            elif not text:
                proposals.append(Proposal(None, "empty output"))
            elif any(b in text for b in self.banned):
                proposals.append(Proposal(None, "banned string in output"))
            else:
                proposals.append(Proposal(text))
        return proposals

    def generate(self, texts: list[str]) -> list[Proposal]:
        """One proposal per text, in order; texts are grouped by length into chunks of `batch_size`."""
        if not texts:
            return []
        lengths = [len(token_ids(self.tokenizer, t)) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        proposals: list[Proposal | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            for index, proposal in zip(chunk, self._generate_chunk([texts[i] for i in chunk])):
                proposals[index] = proposal
        return [p for p in proposals if p is not None]


class KoBartRefiner:
    """The `Refiner` of the neural tier (service.refine.Refiner protocol)."""

    name = "kobart"

    def __init__(self, generator: KoBartGenerator, fallback: Refiner, max_cer: float) -> None:
        self.generator = generator
        self.fallback = fallback
        self.max_cer = max_cer

    def refine(self, texts: list[str], protected: Sequence[Spans] | None = None) -> list[Refinement]:
        if not texts:
            return []
        proposals = self.generator.generate(texts)
        # The embedded refinement of every text: the fallback for refused proposals and the sentence-final
        # mark (read from Kiwi's analysis of the ending) when the model wrote none.
        embedded = self.fallback.refine(texts, protected)
        results: list[Refinement] = []
        for i, (text, proposal, kiwi) in enumerate(zip(texts, proposals, embedded)):
            if proposal.text is None:
                logger.debug("kobart: no proposal for %r (%s)", text, proposal.reason)
                results.append(kiwi)
                continue
            body, mark = split_final_mark(drop_decoder_repeats(proposal.text, text))
            # A protected span (a term the reranker wrote) must come back exactly as it was written.
            lost = [text[a:b] for a, b in (protected[i] if protected else ()) if text[a:b] not in body]
            if lost:
                logger.debug("kobart: %r rewrote the protected %r", text, lost)
                results.append(kiwi)
                continue
            decision = guard(text, body, self.max_cer)
            if not decision.accepted:
                logger.debug("kobart: guard refused %r -> %r (change rate %.2f)", text, body, decision.cer)
                results.append(kiwi)
                continue
            results.append(Refinement(body, mark or kiwi.final_mark, "kobart"))
        return results
