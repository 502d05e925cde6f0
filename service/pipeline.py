"""The correction pipeline, one batch of segments at a time:

    admission → suspects → candidates → rerank → guard → refine → guard → post-process → edits

Every stage takes the whole batch, so Kiwi and the neural models see many texts per call. This module only
orchestrates: what each stage does is in its own module.
"""
from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from config import Settings
from service.candidates import CandidateRequest, CandidateSet, ProposalLimits, propose
from service.edits import diff_edits, segment_status
from service.evidence import char_confidences
from service.fusion import fusion_voters
from service.guard import guard_batch
from service.normalise import clean_text, normalise_segment, normalise_terms
from service.postprocess import postprocess
from service.refine import Refinement
from service.rerank import RerankItem, rerank
from service.resources import ServiceResources
from service.suspects import find_suspect_spans
from service.text import collapse_whitespace, has_hangul
from service.types import SegmentInput, SegmentResult, SegmentStatus, SpanEdit, TermLists

StageObserver = Callable[[str, float], None]


@dataclass
class SegmentWork:
    """One segment on its way through the stages."""

    received: SegmentInput  # as sent, in NFC: `original` and the edit offsets refer to its text
    segment: SegmentInput  # normalised: clean text, NFC everywhere
    text: str
    status: SegmentStatus | None = None  # set when the segment leaves the stages early
    request: CandidateRequest | None = None
    proposals: CandidateSet | None = None
    picked: str = ""
    picked_edits: tuple[SpanEdit, ...] = ()
    term_spans: tuple[tuple[int, int], ...] = ()  # where the chosen terms stand in `picked`
    gain: float = 0.0
    refinement: Refinement | None = None
    corrected: str = ""
    refusals: list[str] = field(default_factory=list)


class CorrectionPipeline:
    def __init__(self, resources: ServiceResources, settings: Settings) -> None:
        self.resources = resources
        self.settings = settings

    def correct(self, segments: list[SegmentInput], terms: TermLists, observer: StageObserver | None = None,
                deadline: float | None = None) -> list[SegmentResult]:
        """Correct a batch of segments; `observer(stage, seconds)` hears how long each stage took. Segments the
        stages do not reach by `deadline` (a `time.monotonic()` value) come back unchanged as "timeout"."""
        timer = _StageTimer(observer)
        clock = _Deadline(deadline)
        terms = normalise_terms(terms)
        works = [self._admit(segment) for segment in segments]
        active = [w for w in works if w.status is None]
        if active:
            with timer("suspects"):
                self._find_suspects(active)
            with timer("candidates"):
                self._propose(active, terms, clock)
            active = clock.expire(active)
            with timer("rerank"):
                self._rerank(active, clock)
            with timer("guard"):
                self._guard_rerank(active)
            active = clock.expire(active)
            with timer("refine"):
                self._refine(active)
            with timer("guard"):
                self._guard_refine(active)
            with timer("postprocess"):
                for work in active:
                    work.corrected = postprocess(work.corrected, work.refinement.final_mark if work.refinement
                                                 else "")
        return [self._result(w) for w in works]

    # -- 0. admission ---------------------------------------------------------------------------------
    def _admit(self, sent: SegmentInput) -> SegmentWork:
        """Normalise a segment and decide whether it is Korean speech worth correcting at all."""
        received = normalise_segment(sent)
        text = clean_text(received.text)
        work = SegmentWork(received, dataclasses.replace(received, text=text), text, picked=text,
                           corrected=received.text)
        if not text:
            work.status = "skipped_empty"
        elif received.no_speech_prob is not None and received.no_speech_prob >= self.settings.NO_SPEECH_THRESHOLD:
            work.status = "skipped_no_speech"
        elif not has_hangul(text):
            work.status = "skipped_not_korean"
        return work

    # -- 1. suspects ----------------------------------------------------------------------------------
    def _find_suspects(self, works: list[SegmentWork]) -> None:
        analyses = self.resources.kiwi.analyze([w.text for w in works])
        for work, analysis in zip(works, analyses):
            segment = work.segment
            confidences = char_confidences(segment)
            suspects = find_suspect_spans(work.text, analysis, confidences, self.settings.LOW_CONFIDENCE)
            first, alternatives = fusion_voters(work.text, segment.nbest, segment.confidence, self.settings.MAX_NBEST)
            work.request = CandidateRequest(work.text, first, tuple(alternatives), confidences, suspects, analysis)

    # -- 2. candidates --------------------------------------------------------------------------------
    def _propose(self, works: list[SegmentWork], terms: TermLists, clock: "_Deadline") -> None:
        s = self.settings
        hotwords = self.resources.term_indexes.index(terms.hotwords, "hotword", s.HOTWORD_MAX_DISTANCE)
        lexicon = self.resources.term_indexes.index(terms.domain_lexicon, "lexicon", s.LEXICON_MAX_DISTANCE)
        limits = ProposalLimits(spelling_readings=s.SPELLING_READINGS, max_edits=s.MAX_PROPOSALS,
                                centrality=s.FUSION_CENTRALITY, respell_doubt=s.RESPELL_DOUBT)
        sets = propose([w.request for w in works], self.resources.kiwi, hotwords, lexicon, limits, clock.in_time)
        for work, proposals in zip(works, sets):
            if proposals is None:
                work.status = "timeout"
            work.proposals = proposals

    # -- 3. rerank ------------------------------------------------------------------------------------
    def _rerank(self, works: list[SegmentWork], clock: "_Deadline") -> None:
        items = [RerankItem(w.text, w.proposals) for w in works]
        outcomes = rerank(items, self.resources.kiwi.analyze, self.resources.scorers, self.settings.WEIGHTS,
                          self.settings.GAIN_MARGIN, self.settings.RERANK_ROUNDS, self.settings.STEP_MARGIN,
                          clock.in_time)
        for work, outcome in zip(works, outcomes):
            work.picked, work.picked_edits, work.gain = outcome.text, outcome.edits, outcome.gain
            work.term_spans = outcome.term_spans

    # -- 4. guard (after rerank) ----------------------------------------------------------------------
    def _guard_rerank(self, works: list[SegmentWork]) -> None:
        # A pick close to one of the hypotheses the recogniser offered is no invention, however far from the text.
        decisions = guard_batch([w.text for w in works], [w.picked for w in works], self.settings.GUARD_CER, "rerank",
                                [w.request.offered for w in works])
        for work, decision in zip(works, decisions):
            if not decision.accepted:
                work.refusals.append(decision.reason)
                work.picked, work.picked_edits, work.gain, work.term_spans = work.text, (), 0.0, ()

    # -- 5. refine and its guard ----------------------------------------------------------------------
    def _refine(self, works: list[SegmentWork]) -> None:
        # The terms the reranker wrote in keep their spelling through refinement: a spacing model that does
        # not know 쿠버네티스 would cut it apart.
        refinements = self.resources.refiner.refine([w.picked for w in works], [list(w.term_spans) for w in works])
        for work, refinement in zip(works, refinements):
            work.refinement = refinement

    def _guard_refine(self, works: list[SegmentWork]) -> None:
        decisions = guard_batch([w.picked for w in works], [w.refinement.text for w in works],
                          self.settings.REFINE_GUARD_CER, "refine")
        for work, decision in zip(works, decisions):
            work.corrected = decision.text
            if not decision.accepted:
                work.refusals.append(decision.reason)

    # -- 6. the answer --------------------------------------------------------------------------------
    def _result(self, work: SegmentWork) -> SegmentResult:
        received = work.received
        if work.status is not None:
            return SegmentResult(received.id, received.text, received.text, 0.0, received.text, [],
                                 received.start, received.end, work.status)
        refine_source = work.refinement.source if work.refinement else "spacing"
        edits = diff_edits(received.text, work.corrected, work.text, work.picked_edits, refine_source,
                           work.gain)
        # A word the fusion dropped leaves its spaces behind in the pick; the answer shows it spaced as written.
        picked = collapse_whitespace(work.picked)
        return SegmentResult(received.id, received.text, picked, round(work.gain, 3), work.corrected, edits,
                             received.start, received.end, segment_status(received.text, work.corrected),
                             work.refusals)


class _Deadline:
    """The request's time budget as the stages see it: are we still in time, and who ran out."""

    def __init__(self, deadline: float | None) -> None:
        self.deadline = deadline

    def in_time(self) -> bool:
        return self.deadline is None or time.monotonic() < self.deadline

    def expire(self, works: list[SegmentWork]) -> list[SegmentWork]:
        """The works still to do; the rest are marked "timeout" (they come back unchanged)."""
        if not self.in_time():
            for work in works:
                work.status = "timeout"
        return [w for w in works if w.status is None]


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
