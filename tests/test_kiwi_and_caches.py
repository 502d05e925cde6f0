"""Kiwi and the caches: every cache is bounded by the memory it holds, not by its number of entries (a
1,000-character segment's entry is a hundred times a short one's); the shared Kiwi memo is safe to use from
several threads; calls into Kiwi are sliced so one request's big batch does not hold up another's; a meeting's
term lists are indexed once for the requests that send them again."""
from __future__ import annotations

import gc
import threading
import tracemalloc

from config import load_settings
from service import phonology
from service.kiwi_lm import Analysis, Morpheme, _BatchMemo, analysis_bytes
from service.phonology import text_cache
from service.pipeline import CorrectionPipeline
from service.resources import load_resources
from service.terms import TermIndexCache
from service.types import SegmentInput, TermLists


def _analysis(text: str) -> Analysis:
    """A stand-in for Kiwi's reading: one morpheme per character, as a long unspaced text gets."""
    return Analysis(tuple(Morpheme(ch * 2, "NNG", i, i + 1, 0.0) for i, ch in enumerate(text)), -1.0)


def _texts(n: int, length: int, salt: str = "") -> list[str]:
    return [f"{salt}{i:06d}" + "가" * (length - 6 - len(salt)) for i in range(n)]


def test_kiwi_memo_holds_at_most_its_bytes_measured():
    limit = 2_000_000
    texts = _texts(400, 1000)  # each entry ~330 kB: the memo can keep about six
    gc.collect()
    tracemalloc.start()
    try:
        memo = _BatchMemo(lambda batch: [_analysis(t) for t in batch], limit, analysis_bytes)
        for start in range(0, len(texts), 8):
            memo(texts[start:start + 8])
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0 < memo.bytes <= limit and 0 < len(memo) < 400
    assert held <= limit * 1.25, held  # the estimate is honest about what the entries really hold


def test_kiwi_memo_keeps_what_was_used_last_and_answers_the_same():
    calls: list[str] = []

    def compute(batch):
        calls.extend(batch)
        return [_analysis(t) for t in batch]

    one_entry = analysis_bytes(_analysis("가" * 100)) + 400
    memo = _BatchMemo(compute, 3 * one_entry, analysis_bytes)
    a, b, c, d = _texts(4, 100)
    first = memo([a, b, c])
    memo([a])  # a is now the most recently used
    memo([d])  # evicts b, the least recently used
    calls.clear()
    assert memo([a, c, d, b]) == [first[0], first[2], _analysis(d), first[1]]
    assert calls == [b]


def test_kiwi_memo_shared_by_threads_never_fails_a_lookup():
    memo = _BatchMemo(lambda batch: [_analysis(t) for t in batch], 200_000, analysis_bytes)  # constant eviction
    texts = _texts(64, 300)
    errors: list[BaseException] = []

    def hammer(offset: int) -> None:
        try:
            for round_ in range(200):
                batch = [texts[(offset + round_ * 7 + k) % len(texts)] for k in range(5)]
                assert memo(batch) == [_analysis(t) for t in batch]
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert memo.bytes <= 200_000


def test_text_cache_keeps_a_bounded_number_of_short_and_long_results():
    calls: list[str] = []

    @text_cache(short_entries=4, long_entries=2, short_chars=5, long_chars=20)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    short_cache, long_cache = shout.caches
    for word in ("a", "b", "c", "d", "e", "f"):
        assert shout(word) == word.upper()
    assert short_cache.cache_info().currsize == 4
    for sentence in ("x" * 10, "y" * 10, "z" * 10):
        shout(sentence)
    assert long_cache.cache_info().currsize == 2
    calls.clear()
    huge = "w" * 21  # longer than anything cached: computed every time, never kept
    shout(huge), shout(huge), shout("f"), shout("z" * 10)
    assert calls == [huge, huge]


def test_text_cache_memory_is_bounded_by_its_sizes_measured():
    @text_cache(short_entries=2000, long_entries=20, short_chars=64, long_chars=2048)
    def triple(text: str) -> str:
        return text * 3  # a sound key runs about three jamo a syllable

    gc.collect()
    tracemalloc.start()
    try:
        for text in _texts(5000, 64, "s") + _texts(100, 2048, "l"):
            triple(text)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # Each short entry: the argument (64 characters, UCS-2) and its result (192), plus the cache's slot.
    per_short = (74 + 128) + (74 + 384) + 150
    per_long = (74 + 4096) + (74 + 12288) + 150
    assert held <= 2000 * per_short + 20 * per_long, held


def test_the_phonology_caches_are_bounded():
    for function in (phonology.pronounce, phonology.sound_key, phonology.family_key):
        short, long = function.caches
        assert short.cache_info().maxsize <= 16384 and long.cache_info().maxsize <= 256
    assert phonology.sound_key("방법을") == phonology.sound_key.__wrapped__("방법을")


def test_kiwi_calls_are_sliced_by_characters_in_order():
    from service.kiwi_lm import in_slices

    texts = ["가" * 900, "나" * 900, "다" * 900, "라" * 3000, "마", "바"]
    slices = list(in_slices(texts, max_chars=2000))
    assert slices == [texts[0:2], texts[2:3], texts[3:4], texts[4:6]]  # a long text goes alone, whole
    assert list(in_slices([])) == []


def test_a_long_call_begins_its_first_slice_at_once_and_each_next_one_only_when_read_up_to_it():
    from service.kiwi_lm import read_in_slices

    begun: list[list[str]] = []

    def read_slice(batch: list[str]):
        begun.append(batch)
        return iter(batch)

    texts = ["가" * 1500, "나" * 1500, "다" * 1500]  # a slice each
    results = read_in_slices(texts, read_slice)
    assert begun == [texts[:1]]  # Kiwi is working on the first slice before anyone reads it
    assert next(results) == texts[0] and begun == [texts[:1]]  # other requests' calls may come in here
    assert next(results) == texts[1] and begun == [texts[:1], texts[1:2]]
    assert list(results) == texts[2:] and len(begun) == 3


def test_a_memo_begins_what_it_lacks_before_it_is_collected_and_keeps_it_after():
    asked: list[list[str]] = []
    read: list[str] = []

    def compute(batch: list[str]):
        asked.append(list(batch))
        return (read.append(t) or _analysis(t) for t in batch)  # lazy, like Kiwi's answers

    memo = _BatchMemo(compute, 1_000_000, analysis_bytes)
    memo(["가나"])
    asked.clear()
    read.clear()
    collect = memo.begin(["다라", "가나", "다라", "마바"])
    assert asked == [["다라", "마바"]] and read == []  # begun at once, each text once, the cached one not
    assert collect() == [_analysis(t) for t in ("다라", "가나", "다라", "마바")]
    assert memo(["마바", "다라"]) == [_analysis("마바"), _analysis("다라")] and len(asked) == 1


def test_a_term_list_sent_again_reuses_its_index_and_the_cache_keeps_a_bounded_number():
    cache = TermIndexCache(max_entries=2)
    meeting = ("스프린트", "쿠버네티스", "회고")
    first = cache.index(meeting, "hotword", 0.5)
    assert cache.index(meeting, "hotword", 0.5) is first  # the same meeting's next request
    assert cache.index(meeting, "lexicon", 0.5) is not first  # another source, another index
    assert cache.index(meeting, "hotword", 0.34) is not first  # another budget, another index
    assert len(cache) == 2  # the oldest went
    assert cache.index(meeting, "hotword", 0.5) is not first  # built again once it was dropped
    assert TermIndexCache(max_entries=0).index(meeting, "hotword", 0.5).terms == first.terms
    assert len(TermIndexCache(max_entries=0)) == 0


def test_a_request_corrects_alike_whether_its_terms_index_was_cached_or_not():
    settings = load_settings({})
    resources = load_resources(settings)
    pipeline = CorrectionPipeline(resources, settings)
    terms = TermLists(hotwords=("쿠버네티스", "스프린트"), domain_lexicon=("회고", "킥오프"))
    segment = SegmentInput("s", "이번 스프린뜨 킥오프에서 쿠버내티스 이전을 논의합니다")
    [cold] = pipeline.correct([segment], terms)
    assert len(resources.term_indexes) == 2
    [warm] = pipeline.correct([segment], terms)
    assert warm.corrected == cold.corrected and "쿠버네티스" in warm.corrected
