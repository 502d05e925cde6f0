"""The reader benchmark: what CER does not see and a reader does — the final mark, spacing, over-correction.

Three measures, on the same seeded sample of right sentences, in one run:

- **final mark**: sentences of ``../shared/data/corpus/sentences.txt`` that end in ``.``, ``?`` or ``!`` and hold no
  other mark, sent without their final mark. Accuracy of the mark the service adds (over all three marks),
  question recall and precision, and the share whose body (anything but the final mark) came back changed.
- **spacing**: the same sentences with every space removed (and no mark): WER after correction (punctuation
  removed), beside Kiwi's own ``space()`` on the same texts (the peer) and the unspaced input.
- **clean**: ``../shared/data/dev/clean.jsonl`` (requests whose 1-best is right): changed with spacing counted,
  and worse (a case's CER up; its WER up).

Beside the main sample, the final mark is measured the same way on further samples of the same size, disjoint
from it and from each other (``--disjoint``), and on sentences of other corpora: the references of
``../shared/data/real/kss_text.jsonl`` (read speech, textbook sentences) and ``cvf_text.jsonl`` (Common Voice /
FLEURS) that end in . ? ! with no other mark. ``--mark-classes`` adds, over the whole sentence corpus, how
writers end each class of sentence endings (Kiwi's reading of the final ending) beside the mark the rule writes:
the measure the final-mark rules were set on (classes of endings on whole files, never single sentences).

The service is a uvicorn server of ``app:app`` that this script starts on 127.0.0.1 (``--in-process`` calls the
pipeline directly), as ``dev_benchmark.py`` does; the sentences go 32 segments a request (segments are
independent, so the answers are those of one segment per request). Metrics and the service wrappers are
``dev_benchmark``'s. Results go to ``benchmarks/results/reader_benchmark.md`` and a PNG chart.

Usage (from the repository root, in the project's venv)::

    python benchmarks/reader_benchmark.py                       # 1,500 sentences over HTTP; writes the results
    python benchmarks/reader_benchmark.py --in-process --sample 500 --show-errors 20 --no-write
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import jiwer

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.dev_benchmark import (  # noqa: E402  (the repository root must be on the path first)
    Target, case_cer, cer_norm, corpus_rate, display_path, format_pct, git_commit, load_cases, markdown_table,
    met_label, start_service, text_table, wer_norm)
from service.kiwi_lm import KiwiToolkit  # noqa: E402
from service.text import compact, has_hangul, is_mark  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results"
MARKS = ".?!"
SEGMENTS_PER_REQUEST = 32


def default_data_root() -> Path:
    """`../shared/data` beside the checkout; in a git worktree, beside the main checkout."""
    beside = REPO_ROOT.parent / "shared" / "data"
    if beside.exists():
        return beside
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=REPO_ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        main_checkout = Path(common).parent
        if (main_checkout.parent / "shared" / "data").exists():
            return main_checkout.parent / "shared" / "data"
    except (OSError, subprocess.CalledProcessError):
        pass
    return beside


# -- data -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sentence:
    body: str  # the sentence without its final mark
    mark: str  # its final mark: . ? !

    @property
    def unspaced(self) -> str:
        return compact(self.body)


def as_sentence(line: str) -> Sentence | None:
    """A line that ends in . ? ! and holds no other mark (and some Hangul), as body and mark; else None."""
    line = line.strip()
    if len(line) < 2 or line[-1] not in MARKS:
        return None
    body = line[:-1].rstrip()
    if body and has_hangul(body) and not any(is_mark(ch) for ch in body):
        return Sentence(body, line[-1])
    return None


def load_pool(path: Path) -> list[Sentence]:
    """Every corpus sentence that `as_sentence` keeps, in file order."""
    with path.open(encoding="utf-8") as lines:
        return [s for s in map(as_sentence, lines) if s is not None]


def sample_positions(pool_size: int, size: int, seed: int) -> list[int]:
    """Positions of a seeded sample of a pool (the same draw as `random.Random(seed).sample(pool, size)`)."""
    return random.Random(seed).sample(range(pool_size), min(size, pool_size))


def disjoint_positions(pool_size: int, taken: Sequence[int], count: int, size: int, seed: int) -> list[list[int]]:
    """Up to `count` samples of `size` pool positions, disjoint from `taken` and from each other: the other
    positions shuffled with `seed`, cut into consecutive slices."""
    excluded = set(taken)
    rest = [i for i in range(pool_size) if i not in excluded]
    random.Random(seed).shuffle(rest)
    return [rest[k * size:(k + 1) * size] for k in range(count) if (k + 1) * size <= len(rest)]


def load_references(path: Path) -> list[Sentence]:
    """The distinct references of a case file that `as_sentence` keeps (another corpus's sentences)."""
    seen: set[str] = set()
    out = []
    for case in load_cases(path):
        sentence = as_sentence(case.reference)
        if sentence is not None and case.reference.strip() not in seen:
            seen.add(case.reference.strip())
            out.append(sentence)
    return out


# -- running the service --------------------------------------------------------------------------------------
def correct_texts(service: Any, texts: Sequence[str], label: str) -> list[str]:
    """Each text as one segment, `SEGMENTS_PER_REQUEST` segments a request; the `corrected` texts in order."""
    out: list[str] = []
    for first in range(0, len(texts), SEGMENTS_PER_REQUEST):
        chunk = texts[first:first + SEGMENTS_PER_REQUEST]
        request = {"request_id": f"reader-{label}-{first}",
                   "segments": [{"id": f"s{first + i}", "text": t} for i, t in enumerate(chunk)]}
        out.extend(service.send(service.encode(request)))
    return out


def correct_cases(service: Any, requests: Sequence[dict[str, Any]]) -> list[str]:
    """Dev cases, one request (one segment) each, as sent by their authors."""
    return [service.send(service.encode(r))[0] for r in requests]


def kiwi_space(kiwi: Any, texts: Sequence[str]) -> list[str]:
    """The peer: Kiwi's own spacing model on the same texts (its default settings)."""
    return list(kiwi.space(list(texts)))


# -- measures -------------------------------------------------------------------------------------------------
def split_mark(text: str) -> tuple[str, str]:
    """'회의를 시작할까요?' → ('회의를 시작할까요', '?'); no final mark → (text, '')."""
    text = text.rstrip()
    if text and text[-1] in MARKS:
        return text[:-1].rstrip(), text[-1]
    return text, ""


@dataclass(frozen=True)
class MarkScores:
    n: int
    accuracy: float
    question_recall: float
    question_precision: float
    body_changed: float
    confusion: dict[tuple[str, str], int]  # (sent mark, returned mark) → count; '' for none
    errors: tuple[int, ...]
    changed_bodies: tuple[int, ...]


def score_marks(sentences: Sequence[Sentence], outputs: Sequence[str]) -> MarkScores:
    confusion: dict[tuple[str, str], int] = {}
    errors, changed = [], []
    for i, (sentence, output) in enumerate(zip(sentences, outputs)):
        body, mark = split_mark(output)
        confusion[(sentence.mark, mark)] = confusion.get((sentence.mark, mark), 0) + 1
        if mark != sentence.mark:
            errors.append(i)
        if body != sentence.body:
            changed.append(i)
    n = len(sentences)
    asked = sum(v for (gold, _), v in confusion.items() if gold == "?")
    marked = sum(v for (_, got), v in confusion.items() if got == "?")
    hits = confusion.get(("?", "?"), 0)
    return MarkScores(n, (n - len(errors)) / n, hits / asked if asked else 0.0, hits / marked if marked else 0.0,
                      len(changed) / n, confusion, tuple(errors), tuple(changed))


@dataclass(frozen=True)
class SpacingRow:
    system: str
    wer: float
    exact: float  # share of sentences whose eojeols all came back right


def score_spacing(system: str, sentences: Sequence[Sentence], outputs: Sequence[str]) -> SpacingRow:
    references = [wer_norm(s.body) for s in sentences]
    hypotheses = [wer_norm(o) for o in outputs]
    return SpacingRow(system, corpus_rate(jiwer.wer, references, hypotheses),
                      sum(r == h for r, h in zip(references, hypotheses)) / len(references))


@dataclass(frozen=True)
class CleanScores:
    n: int
    changed_spacing: float
    changed: float
    worse_cer: float
    worse_wer: float
    changed_ids: tuple[int, ...]


def score_clean(references: Sequence[str], inputs: Sequence[str], outputs: Sequence[str]) -> CleanScores:
    changed_sp = [i for i, (a, b) in enumerate(zip(inputs, outputs)) if wer_norm(a) != wer_norm(b)]
    changed = sum(cer_norm(a) != cer_norm(b) for a, b in zip(inputs, outputs))
    worse_cer = sum(case_cer(cer_norm(r), cer_norm(o)) > case_cer(cer_norm(r), cer_norm(i)) + 1e-9
                    for r, i, o in zip(references, inputs, outputs))
    worse_wer = sum(_case_wer(r, o) > _case_wer(r, i) + 1e-9 for r, i, o in zip(references, inputs, outputs))
    n = len(inputs)
    return CleanScores(n, len(changed_sp) / n, changed / n, worse_cer / n, worse_wer / n, tuple(changed_sp))


def _case_wer(reference: str, hypothesis: str) -> float:
    reference, hypothesis = wer_norm(reference), wer_norm(hypothesis)
    if not reference:
        return float(bool(hypothesis))
    return float(jiwer.wer(reference, hypothesis))


# -- how writers end each class of endings (the measure the final-mark rules were set on) ----------------------
@dataclass(frozen=True)
class EndingClass:
    name: str
    endings: frozenset[str]  # Kiwi's final ending (EF/EC, 요 joined on), '' for a text that ends in no ending
    after_request_auxiliary: bool | None = None  # True: only after 주 (…해 줘); False: never after it


def _forms(*forms: str) -> frozenset[str]:
    return frozenset(forms)


ENDING_CLASSES = (
    EndingClass("exclamatory …구나 …군요 …네(요)", _forms("구나", "군요", "군", "구먼", "구만", "네", "네요")),
    EndingClass("request …해 줘", _forms("어", "아"), after_request_auxiliary=True),
    EndingClass("request …해 주라", _forms("라"), after_request_auxiliary=True),
    EndingClass("other imperative …(어)라", _forms("라", "어라", "아라", "으라"), after_request_auxiliary=False),
    EndingClass("imperative / polite …세요 …십시오", _forms("세요", "으세요", "ᆸ시오", "십시오", "으십시오")),
    EndingClass("proposal …자 …ㅂ시다", _forms("자", "ᆸ시다", "읍시다")),
    EndingClass("promise …ㄹ게(요)", _forms("ᆯ게", "을게", "ᆯ게요", "을게요", "ᆯ께", "을께", "ᆯ께요", "을께요")),
    EndingClass("declarative …다 …ㅂ니다", _forms("다", "ᆫ다", "는다", "ᆸ니다", "습니다")),
    EndingClass("asking form …까 …니 …나요 …ㄴ가", _forms(
        "ᆯ까", "을까", "까", "ᆯ까요", "을까요", "까요", "ᆸ니까", "습니까", "니", "냐", "나", "나요", "ᆫ가", "은가", "는가",
        "ᆫ가요", "은가요", "는가요")),
    EndingClass("plain …어 …야 …지 (not a request)", _forms("어", "아", "여", "야", "지"), after_request_auxiliary=False),
    EndingClass("polite …어요 …예요 …죠", _forms("어요", "아요", "여요", "예요", "에요", "죠", "지요")),
    EndingClass("no ending (a noun or a particle)", _forms("")),
)
_NOT_WORDS = ("SF", "SP", "SE", "SSO", "SSC", "SW", "SO", "SC")


def final_ending(morphemes: Sequence[Any]) -> tuple[str, tuple[str, str]]:
    """Kiwi's final ending of a sentence ('' for none; a polite 요 read as a particle joined on) and the
    morpheme before it (form, tag)."""
    words = [m for m in morphemes if not m.tag.startswith(_NOT_WORDS)]
    if words and words[-1].tag in ("EF", "EC"):
        form, rest = words[-1].form, words[:-1]
    elif len(words) > 1 and words[-1].form == "요" and words[-2].tag in ("EF", "EC"):
        form, rest = words[-2].form + "요", words[:-2]
    else:
        form, rest = "", words
    return form, ((rest[-1].form, rest[-1].tag) if rest else ("", ""))


@dataclass(frozen=True)
class ClassRow:
    name: str
    written: dict[str, int]  # how the corpus ends the class's sentences: mark → count
    ruled: dict[str, int]  # the mark the rule writes for them: mark → count


def mark_classes(kiwi: Any, pool: Sequence[Sentence]) -> tuple[list[ClassRow], int]:
    """For each ending class, how the whole corpus ends its sentences and what the final-mark rule writes
    (the rule in process: `kiwi`'s analysis of the body, a `service.kiwi_lm.KiwiToolkit`, and
    `service.refine.sentence_mark`); and the pool's size."""
    from service.refine import sentence_mark

    analyses = kiwi.analyze([s.body for s in pool])
    rows = {c.name: ClassRow(c.name, {}, {}) for c in ENDING_CLASSES}
    for sentence, analysis in zip(pool, analyses):
        form, before = final_ending(analysis.morphemes)
        request = before == ("주", "VX")
        for c in ENDING_CLASSES:
            if form in c.endings and c.after_request_auxiliary in (None, request):
                row = rows[c.name]
                row.written[sentence.mark] = row.written.get(sentence.mark, 0) + 1
                mark = sentence_mark(analysis)
                row.ruled[mark] = row.ruled.get(mark, 0) + 1
                break
    return list(rows.values()), len(pool)


def class_table(rows: Sequence[ClassRow]) -> tuple[list[list[str]], list[str]]:
    table = []
    for r in rows:
        n = sum(r.written.values())
        if not n:
            continue
        dot, bang = r.written.get(".", 0), r.written.get("!", 0)
        table.append([r.name, str(n), *(str(r.written.get(m, 0)) for m in ".?!"),
                      "!" if bang > dot else ".", *(str(r.ruled.get(m, 0)) for m in ".?!")])
    header = ["ending class", "sentences", "written .", "written ?", "written !", "! or . less wrong",
              "rule writes .", "rule writes ?", "rule writes !"]
    return table, header


# -- targets and report ---------------------------------------------------------------------------------------
def check_targets(marks: MarkScores, spacing: dict[str, SpacingRow], clean: CleanScores) -> list[Target]:
    service, peer = spacing["service"].wer, spacing["kiwi space()"].wer
    ratio = service / peer if peer else float("inf")
    return [
        Target("final mark: question recall", format_pct(marks.question_recall), "≥ 85%", marks.question_recall >= 0.85),
        Target("final mark: question precision", format_pct(marks.question_precision), "≥ 95%",
               marks.question_precision >= 0.95),
        Target("final mark: accuracy (. ? !)", format_pct(marks.accuracy), "≥ 95%", marks.accuracy >= 0.95),
        Target("final mark: body changed", format_pct(marks.body_changed), "≤ 0.5%", marks.body_changed <= 0.005),
        Target("spacing: WER service / kiwi space()", f"{ratio:.2f}× ({service:.4f} / {peer:.4f})", "≤ 1.3×",
               ratio <= 1.3),
        Target("clean: changed, spacing counted", format_pct(clean.changed_spacing), "≤ 1%", clean.changed_spacing <= 0.01),
        Target("clean: worse (CER up)", format_pct(clean.worse_cer), "≤ 0.5%", clean.worse_cer <= 0.005),
    ]


def mark_rows(marks: MarkScores) -> tuple[list[list[str]], list[str]]:
    """The confusion of sent and returned marks as table rows, and the header."""
    returned = [m for m in (*MARKS, "") if any(got == m for _, got in marks.confusion)]
    rows = []
    for gold in MARKS:
        total = sum(v for (g, _), v in marks.confusion.items() if g == gold)
        rows.append([gold, str(total)] + [str(marks.confusion.get((gold, got), 0)) for got in returned])
    return rows, ["sent without", "sentences"] + [f"came back {got or 'with none'}" for got in returned]


def other_rows(samples: Sequence[tuple[str, MarkScores]]) -> tuple[list[list[str]], list[str]]:
    """The final mark on each sample or corpus: one row each."""
    rows = []
    for name, m in samples:
        exclaimed = sum(v for (gold, _), v in m.confusion.items() if gold == "!")
        rows.append([name, str(m.n), format_pct(m.accuracy), format_pct(m.question_recall),
                     format_pct(m.question_precision), format_pct(m.body_changed), str(exclaimed),
                     format_pct(1 - exclaimed / m.n)])
    return rows, ["sentences", "n", "accuracy", "? recall", "? precision", "body changed", "end in !",
                  "accuracy if every . ? right"]


def markdown_report(args: argparse.Namespace, marks: MarkScores, spacing: dict[str, SpacingRow],
                    clean: CleanScores, targets: list[Target], chart: Path | None, seconds: float,
                    samples: Sequence[tuple[str, MarkScores]] = (),
                    classes: tuple[list[ClassRow], int] | None = None) -> str:
    mode = ("in process (pipeline called directly)" if args.in_process
            else "over HTTP (uvicorn on 127.0.0.1, 32 segments a request)")
    confusion, header = mark_rows(marks)
    exclaimed = sum(v for (gold, _), v in marks.confusion.items() if gold == "!")
    written_bang = sum(v for (_, got), v in marks.confusion.items() if got == "!")
    parts = [
        "# Reader benchmark: final mark, spacing, over-correction",
        "",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}; run took {seconds:.0f} s",
        f"- machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- service: {mode}; commit {git_commit()}",
        f"- sentences: {marks.n} drawn with seed {args.seed} from `{display_path(args.data / 'corpus' / 'sentences.txt')}` "
        "(those ending in . ? ! with no other mark inside); clean: "
        f"`{display_path(args.data / 'dev' / 'clean.jsonl')}` ({clean.n} cases)",
        "- final mark: each sentence sent without its final mark; body changed: anything but the final mark came "
        "back different (spacing included). spacing: every space removed; WER after removing `. , ? ! …` "
        "(jiwer, corpus-level); exact: every eojeol right. clean: changed with spacing counted (WER "
        "normalisation), worse: a case's CER (or WER) went up.",
        "",
        "## Targets",
        "",
        markdown_table([[t.what, t.value, t.goal, met_label(t)] for t in targets],
                       ("target", "measured", "goal", "met")),
        "",
        "## Final mark",
        "",
        markdown_table([[format_pct(marks.accuracy), format_pct(marks.question_recall), format_pct(marks.question_precision),
                         format_pct(marks.body_changed)]],
                       ("accuracy", "question recall", "question precision", "body changed"), left=0),
        "",
        f"{exclaimed} of the {marks.n} sentences end in `!`; the service writes `!` only for the one ending class "
        f"where the corpus does more often than `.` (…해 주라: {written_bang} here). With every `.` and `?` right and "
        f"every other `!` missed, its accuracy would be {format_pct(1 - exclaimed / marks.n)}.",
        "",
        markdown_table(confusion, header),
        "",
    ]
    if samples:
        rows, other_header = other_rows(samples)
        parts += [
            "### The same on other samples and other corpora",
            "",
            f"Disjoint samples: {args.sample} sentences each from the rest of the corpus (no sentence of the main "
            f"sample or of another), shuffled with seed {args.seed}. Other corpora: the references of "
            "`real/kss_text.jsonl` (KSS, read textbook sentences) and `real/cvf_text.jsonl` (Common Voice / "
            "FLEURS) that end in . ? ! with no other mark inside, each sent once.",
            "",
            markdown_table(rows, other_header),
            "",
        ]
    if classes is not None:
        class_rows, pool_size = classes
        table, class_header = class_table(class_rows)
        parts += [
            f"### How the corpus ends each class of endings (all {pool_size} sentences)",
            "",
            "Kiwi's reading of the final ending (the rule in process, not over HTTP). `! or . less wrong`: the "
            "more frequent of the two in the class. The rules were set on these whole-file counts, never on a "
            "sentence.",
            "",
            markdown_table(table, class_header),
            "",
        ]
    parts += [
        "## Spacing (every space removed)",
        "",
        markdown_table([[r.system, f"{r.wer:.4f}", format_pct(r.exact)] for r in spacing.values()],
                       ("system", "WER", "exact")),
        "",
        "## Clean (dev/clean.jsonl)",
        "",
        markdown_table([[format_pct(clean.changed_spacing), format_pct(clean.changed), format_pct(clean.worse_cer),
                         format_pct(clean.worse_wer)]],
                       ("changed (spacing counted)", "changed (CER normalisation)", "worse (CER)", "worse (WER)"),
                       left=0),
        "",
    ]
    if chart is not None:
        parts += [f"![final mark, spacing and clean]({chart.name})", ""]
    return "\n".join(parts)


def write_chart(marks: MarkScores, spacing: dict[str, SpacingRow], clean: CleanScores, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(12, 3.8))
    names = ["accuracy", "? recall", "? precision"]
    bars = left.bar(names, [marks.accuracy * 100, marks.question_recall * 100, marks.question_precision * 100],
                    color="tab:blue")
    left.bar_label(bars, fmt="%.1f", fontsize=8)
    left.axhline(95, color="grey", linestyle="--", linewidth=0.8)
    left.set_ylim(0, 105)
    left.set_title("final mark, %")
    bars = middle.bar(list(spacing), [r.wer for r in spacing.values()], color="tab:orange")
    middle.bar_label(bars, fmt="%.3f", fontsize=8)
    middle.set_title("WER on unspaced sentences")
    middle.tick_params(axis="x", labelsize=8)
    bars = right.bar(["changed (sp)", "worse (CER)"], [clean.changed_spacing * 100, clean.worse_cer * 100],
                     color="tab:red")
    right.bar_label(bars, fmt="%.1f", fontsize=8)
    right.axhline(1, color="grey", linestyle="--", linewidth=0.8)
    right.set_title("clean.jsonl, % of cases")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def show_errors(sentences: Sequence[Sentence], mark_out: Sequence[str], unspaced_out: Sequence[str],
                marks: MarkScores, clean_in: Sequence[str], clean_out: Sequence[str], clean: CleanScores,
                k: int) -> None:
    """For tuning: wrong marks, changed bodies, badly spaced sentences and changed clean cases."""
    print(f"\n-- wrong final marks ({len(marks.errors)}), first {k}:")
    for i in marks.errors[:k]:
        print(f"  {sentences[i].mark} {mark_out[i]}")
    print(f"-- changed bodies ({len(marks.changed_bodies)}), first {k}:")
    for i in marks.changed_bodies[:k]:
        print(f"  {sentences[i].body}\n  → {mark_out[i]}")
    wrong = [i for i, s in enumerate(sentences) if wer_norm(unspaced_out[i]) != wer_norm(s.body)]
    print(f"-- unspaced sentences not restored ({len(wrong)}), first {k}:")
    for i in wrong[:k]:
        print(f"  {sentences[i].body}\n  → {unspaced_out[i]}")
    print(f"-- clean cases changed ({len(clean.changed_ids)}):")
    for i in clean.changed_ids:
        print(f"  {clean_in[i]}\n  → {clean_out[i]}")


# -- main -----------------------------------------------------------------------------------------------------
def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=default_data_root(),
                        help="the shared data folder (corpus/sentences.txt, dev/clean.jsonl)")
    parser.add_argument("--sample", type=int, default=1500, help="sentences drawn from the corpus (default 1500)")
    parser.add_argument("--seed", type=int, default=9, help="seed of the draw (default 9)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the Markdown and the chart go")
    parser.add_argument("--in-process", action="store_true", help="call the pipeline directly instead of over HTTP")
    parser.add_argument("--disjoint", type=int, default=3, metavar="K",
                        help="final mark also on K more samples of --sample sentences, disjoint from the main one "
                             "and from each other (default 3; 0: none)")
    parser.add_argument("--no-other", action="store_true",
                        help="skip the final mark on the other corpora (references of real/kss_text, cvf_text)")
    parser.add_argument("--no-mark-classes", action="store_true",
                        help="skip the table of ending classes over the whole corpus (in process, ~30 s)")
    parser.add_argument("--show-errors", type=int, default=0, metavar="K", help="print up to K errors of each kind")
    parser.add_argument("--no-write", action="store_true", help="print only; write nothing to --out")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    corpus = args.data / "corpus" / "sentences.txt"
    clean_path = args.data / "dev" / "clean.jsonl"
    for path in (corpus, clean_path):
        if not path.exists():
            raise SystemExit(f"no such file: {path} (point --data at the shared data folder)")
    pool = load_pool(corpus)
    positions = sample_positions(len(pool), args.sample, args.seed)
    sentences = [pool[i] for i in positions]
    extra: list[tuple[str, list[Sentence]]] = [
        (f"disjoint sample {k + 1}", [pool[i] for i in sample])
        for k, sample in enumerate(disjoint_positions(len(pool), positions, args.disjoint, args.sample, args.seed))]
    if not args.no_other:
        for name in ("kss_text", "cvf_text"):
            path = args.data / "real" / f"{name}.jsonl"
            if path.exists():
                extra.append((f"other corpus: {name} references", load_references(path)))
    clean_cases = load_cases(clean_path)
    print(f"{len(sentences)} sentences, {len(clean_cases)} clean cases; starting the service "
          f"({'in process' if args.in_process else 'HTTP'}) ...", flush=True)
    unspaced = [s.unspaced for s in sentences]
    kiwi = KiwiToolkit(num_workers=2)  # the peer's Kiwi (its `.kiwi`, default settings) and the classes' analyser
    peer = kiwi_space(kiwi.kiwi, unspaced)
    service = start_service(args.in_process)
    try:
        mark_out = correct_texts(service, [s.body for s in sentences], "mark")
        unspaced_out = correct_texts(service, unspaced, "unspaced")
        clean_out = correct_cases(service, [c.request for c in clean_cases])
        extra_out = [correct_texts(service, [s.body for s in texts], f"extra{k}") for k, (_, texts) in enumerate(extra)]
    finally:
        service.close()
    classes = None if args.no_mark_classes else mark_classes(kiwi, pool)

    marks = score_marks(sentences, mark_out)
    spacing = {row.system: row for row in (score_spacing("no correction", sentences, unspaced),
                                           score_spacing("kiwi space()", sentences, peer),
                                           score_spacing("service", sentences, unspaced_out))}
    clean = score_clean([c.reference for c in clean_cases], [c.text for c in clean_cases], clean_out)
    targets = check_targets(marks, spacing, clean)
    samples = [(f"main sample (seed {args.seed})", marks)] + [
        (name, score_marks(texts, out)) for (name, texts), out in zip(extra, extra_out)]
    confusion, header = mark_rows(marks)
    print(f"\n== final mark ({marks.n} sentences)\naccuracy {format_pct(marks.accuracy)}, question recall "
          f"{format_pct(marks.question_recall)}, precision {format_pct(marks.question_precision)}, body changed "
          f"{format_pct(marks.body_changed)}\n{text_table(confusion, header)}")
    print("\n== spacing (every space removed)\n" + text_table(
        [[r.system, f"{r.wer:.4f}", format_pct(r.exact)] for r in spacing.values()], ("system", "WER", "exact")))
    print(f"\n== clean ({clean.n} cases)\nchanged with spacing {format_pct(clean.changed_spacing)}, changed "
          f"{format_pct(clean.changed)}, worse (CER) {format_pct(clean.worse_cer)}, worse (WER) {format_pct(clean.worse_wer)}")
    if len(samples) > 1:
        print("\n== final mark on other samples and corpora\n" + text_table(*other_rows(samples)))
    if classes is not None:
        print(f"\n== ending classes over the whole corpus ({classes[1]} sentences)\n"
              + text_table(*class_table(classes[0])))
    print("\ntargets:\n" + text_table([[t.what, t.value, t.goal, met_label(t)] for t in targets],
                                      ("target", "measured", "goal", "met")))
    if args.show_errors:
        show_errors(sentences, mark_out, unspaced_out, marks, [c.text for c in clean_cases], clean_out, clean,
                    args.show_errors)
    seconds = time.perf_counter() - started
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        chart = args.out / "reader_benchmark.png"
        write_chart(marks, spacing, clean, chart)
        report = args.out / "reader_benchmark.md"
        report.write_text(markdown_report(args, marks, spacing, clean, targets, chart, seconds, samples, classes),
                          encoding="utf-8")
        print(f"\nwrote {display_path(report)} and {display_path(chart)}")
    print(f"done in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
