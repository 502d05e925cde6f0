"""The correction pipeline, one batch of segments at a time:

    suspects → candidates → rerank → (n-best spans on the pick → rerank) → refine → guard → post-process

Every stage takes the whole batch, so Kiwi and the neural models see many texts per call.
"""
from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from config import Settings
from service import candidates as cand
from service.budget import unchanged
from service.candidates import strip_punctuation
from service.evidence import char_confidences
from service.edits import diff_edits
from service.guard import guard
from service.normalise import clean_text, normalise_segment, normalise_terms
from service.postprocess import postprocess
from service.rerank import RerankItem, RerankOutcome, rerank
from service.resources import ServiceResources
from service.suspects import find_suspect_spans, unweighed_suspects
from service.types import Candidate, SegmentInput, SegmentResult, SpanEdit, SuspectSpan, TermLists


StageObserver = Callable[[str, float], None]


@dataclass
class SegmentWork:
    """One segment on its way through the stages."""

    received: SegmentInput  # as sent, in NFC: `original` and the edit offsets refer to its text
    segment: SegmentInput  # normalised: clean text, NFC everywhere
    text: str
    status: str = "active"
    confidences: list[float | None] = field(default_factory=list)
    suspects: list[SuspectSpan] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    picked: str = ""
    picked_sources: frozenset[str] = frozenset()
    gain: float = 0.0
    corrected: str = ""
    refusals: list[str] = field(default_factory=list)


def _is_korean(text: str) -> bool:
    return any("가" <= ch <= "힣" for ch in text)


class CorrectionPipeline:
    def __init__(self, resources: ServiceResources, settings: Settings) -> None:
        self.resources = resources
        self.settings = settings

    def correct(self, segments: list[SegmentInput], terms: TermLists,
                observer: StageObserver | None = None, deadline: float | None = None) -> list[SegmentResult]:
        """Correct a batch of segments; `observer(stage, seconds)` hears how long each stage took.

        `deadline` (a `time.monotonic()` value): segments not finished by then come back unchanged with
        status "timeout". (For now only checked on entry; the stages will check it per segment.)
        """
        if deadline is not None and time.monotonic() >= deadline:
            return [unchanged(segment) for segment in segments]
        timer = _StageTimer(observer)
        terms = normalise_terms(terms)
        works = [self._admit(segment) for segment in segments]
        active = [w for w in works if w.status == "active"]
        if active:
            with timer("suspects"):
                self._find_suspects(active)
            s = self.settings
            indexes = (cand.TermIndex.build(terms.hotwords, "hotword", s.HOTWORD_MAX_DISTANCE),
                       cand.TermIndex.build(terms.domain_lexicon, "lexicon", s.LEXICON_MAX_DISTANCE))
            with timer("candidates"):
                self._generate_candidates(active, indexes)
            with timer("rerank"):
                self._rerank(active, terms)
            with timer("span_passes"):
                improving = active
                for _ in range(self.settings.SPAN_PASSES):
                    improving = self._span_pass(improving, terms, indexes)
                    if not improving:
                        break
            with timer("refine_guard_postprocess"):
                self._refine_guard_postprocess(active)
        return [self._result(w, terms) for w in works]

    # -- admission ------------------------------------------------------------------------------------
    def _admit(self, sent: SegmentInput) -> SegmentWork:
        """Normalise a segment and decide whether it is Korean speech worth correcting at all."""
        received = normalise_segment(sent)
        text = clean_text(received.text)
        segment = dataclasses.replace(received, text=text)
        work = SegmentWork(received, segment, text, picked=text, corrected=received.text)
        if not text:
            work.status = "skipped_empty"
        elif segment.no_speech_prob is not None and segment.no_speech_prob >= self.settings.NO_SPEECH_THRESHOLD:
            work.status = "skipped_no_speech"
        elif not _is_korean(text):
            work.status = "skipped_not_korean"
        else:
            work.confidences = char_confidences(segment)
        return work

    # -- 1. suspects ----------------------------------------------------------------------------------
    def _find_suspects(self, works: list[SegmentWork]) -> None:
        analyses = self.resources.kiwi.analyze([w.text for w in works])
        for work, analysis in zip(works, analyses):
            work.suspects = find_suspect_spans(work.text, analysis, work.confidences, self.settings.LOW_CONFIDENCE)

    # -- 2. candidates --------------------------------------------------------------------------------
    def _generate_candidates(self, works: list[SegmentWork],
                             indexes: tuple[cand.TermIndex, cand.TermIndex]) -> None:
        s = self.settings
        hotwords, lexicon = indexes
        bases_per_work: list[list[Candidate]] = []
        for work in works:
            bases = [Candidate(work.text)]
            for hypothesis in cand.nbest_alternatives(work.text, work.segment.nbest, s.MAX_NBEST):
                bases.append(Candidate(hypothesis.text, sources=frozenset({"nbest"})))
            bases_per_work.append(bases)
        flat = [b.text for bases in bases_per_work for b in bases]
        readings = iter(self.resources.kiwi.typo_readings(flat, top_n=s.SPELLING_READINGS))
        for work, bases in zip(works, bases_per_work):
            pool: dict[str, Candidate] = {}
            for base in bases:
                versions = [base]
                for reading in next(readings):
                    edits = cand.spelling_edits(base.text, reading, self.resources.kiwi.join)
                    if edits:
                        versions.append(Candidate(cand.apply_edits(base.text, edits), base.edits + tuple(edits),
                                                  base.sources | {"spelling"}))
                for version in versions:
                    pool.setdefault(version.text, version)
                    edits = self._term_edits(work, version.text, hotwords, lexicon)
                    # All term edits at once, and each alone (one wrong term must not sink the others).
                    for chosen in [cand.non_overlapping(edits)] + [[e] for e in edits] * (len(edits) > 1):
                        with_terms = cand.with_term_edits(version, chosen)
                        if with_terms is not None:
                            pool.setdefault(with_terms.text, with_terms)
            pool.pop(work.text, None)
            work.candidates = list(pool.values())

    # -- 3. rerank ------------------------------------------------------------------------------------
    def _rerank_items(self, works: list[SegmentWork], baselines: list[Candidate], terms: TermLists) -> list[RerankOutcome]:
        items = [RerankItem(w.text, baseline, w.candidates, w.confidences, w.segment.nbest, terms.hotwords,
                            terms.domain_lexicon, w.segment.confidence) for w, baseline in zip(works, baselines)]
        return rerank(items, self.resources.kiwi.scores, self.resources.scorers, self.settings.WEIGHTS,
                      self.settings.GAIN_MARGIN)

    def _rerank(self, works: list[SegmentWork], terms: TermLists) -> None:
        for work, outcome in zip(works, self._rerank_items(works, [Candidate(w.text) for w in works], terms)):
            decision = guard(work.text, outcome.picked, self.settings.GUARD_CER)
            if not decision.accepted:
                work.refusals.append(f"rerank: change rate {decision.cer:.2f} > {self.settings.GUARD_CER}")
                continue
            work.picked, work.gain = outcome.picked, outcome.gain
            work.picked_sources = outcome.best.candidate.sources

    def _term_edits(self, work: SegmentWork, text: str, hotwords: cand.TermIndex,
                    lexicon: cand.TermIndex) -> list[SpanEdit]:
        suspects = work.suspects if text == work.text else unweighed_suspects(text)
        min_doubt = 1.0 - self.settings.TERM_CONFIDENCE
        return (cand.term_edits(text, suspects, hotwords, min_doubt)
                + cand.term_edits(text, suspects, lexicon, min_doubt))

    def _span_pass(self, works: list[SegmentWork], terms: TermLists,
                   indexes: tuple[cand.TermIndex, cand.TermIndex]) -> list[SegmentWork]:
        """Single span edits tried on top of the pick: an n-best hypothesis or a term may be right in one place
        only, where the whole-sentence candidates mixed it with something wrong. Returns the segments whose
        pick changed (only those can gain from another pass)."""
        hotwords, lexicon = indexes
        todo = []
        readings = self.resources.kiwi.typo_readings([w.picked for w in works], top_n=self.settings.SPELLING_READINGS)
        for work, picked_readings in zip(works, readings):
            spans: dict[str, Candidate] = {}
            edits = self._term_edits(work, work.picked, hotwords, lexicon)
            for reading in picked_readings:
                edits.extend(cand.spelling_edits(work.picked, reading, self.resources.kiwi.join))
            for hypothesis in cand.nbest_alternatives(work.picked, work.segment.nbest, self.settings.MAX_NBEST):
                edits.extend(cand.nbest_span_edits(work.picked, hypothesis.text))
            for edit in edits:
                text = cand.apply_edits(work.picked, [edit])
                if text != work.picked:
                    spans.setdefault(text, Candidate(text, (edit,), work.picked_sources | {edit.source}))
            if spans:
                work.candidates = list(spans.values())
                todo.append(work)
        if not todo:
            return []
        improved = []
        outcomes = self._rerank_items(todo, [Candidate(w.picked, sources=w.picked_sources) for w in todo], terms)
        for work, outcome in zip(todo, outcomes):
            if not outcome.accepted:
                continue
            decision = guard(work.text, outcome.picked, self.settings.GUARD_CER)
            if decision.accepted:
                work.picked = outcome.picked
                work.gain += outcome.gain
                work.picked_sources = outcome.best.candidate.sources
                improved.append(work)
        return improved

    # -- 4-6. refine, guard, post-process -------------------------------------------------------------
    def _refine_guard_postprocess(self, works: list[SegmentWork]) -> None:
        refinements = self.resources.refiner.refine([w.picked for w in works])
        for work, refinement in zip(works, refinements):
            decision = guard(work.picked, refinement.text, self.settings.REFINE_GUARD_CER)
            refined = decision.text
            if not decision.accepted:
                work.refusals.append(f"refine: change rate {decision.cer:.2f} > {self.settings.REFINE_GUARD_CER}")
            elif refined != work.picked:
                work.picked_sources = work.picked_sources | {refinement.source}
            work.corrected = postprocess(refined, refinement.final_mark)

    def _result(self, work: SegmentWork, terms: TermLists) -> SegmentResult:
        received = work.received
        if work.status != "active":
            return SegmentResult(received.id, received.text, received.text, 0.0, received.text, [],
                                 received.start, received.end, work.status)
        edits = diff_edits(received.text, work.corrected, terms.hotwords, terms.domain_lexicon,
                           work.picked_sources, work.gain)
        changed = strip_punctuation(work.corrected).split() != strip_punctuation(work.text).split()
        return SegmentResult(received.id, received.text, work.picked, round(work.gain, 3), work.corrected, edits,
                             received.start, received.end, "corrected" if changed else "unchanged",
                             work.refusals)


class _StageTimer:
    """Times `with timer("stage"):` blocks for an optional observer (metrics); free when there is none."""

    def __init__(self, observer: StageObserver | None) -> None:
        self.observer = observer

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.observer is None:
            yield
            return
        started = time.perf_counter()
        try:
            yield
        finally:
            self.observer(stage, time.perf_counter() - started)


