"""Latency of the neural tier: a randomly initialised model of KoBART-base shape, on the CPU or a GPU.

    python -m benchmarks.neural_latency [--segments 16] [--batches 8,16] [--device auto|cpu|cuda]
                                        [--model-dir DIR] [--out benchmarks/results/neural_latency.json]

KoBART-base shape (gogamza/kobart-base-v2): 6 encoder + 6 decoder layers, d_model 768, 16 heads, FFN 3072,
vocabulary 30000. Decoding uses the service's own generator and loader (float16 on a GPU) and the GENERATION
settings (4 beams, no-repeat 3-grams, max_new_tokens = 1.5 × input + 8). A random model never writes </s>, so
every segment runs to its max_new_tokens: the figures are an upper bound for segments of this length.

Reports the p50/p90 latency of one segment at a time, and segments per second one at a time (1 / p50) and in
each batch size of `--batches` (one `generate` call per batch; on a GPU try `--batches 8,32,128`); the modes
are measured in interleaved rounds and the medians reported. `--device` defaults to EC_DEVICE; `--model-dir`
measures a real model directory instead.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SENTENCES = [
    "지금부터 회의를 시작하겠습니다",
    "다음 주 스프린트 계획을 공유해 주세요",
    "회의록은 제가 정리해서 오후에 보내 드리겠습니다",
    "오늘 안건은 세 가지입니다",
    "킥오프 미팅은 금요일 오전 열 시에 합니다",
    "발표 자료를 먼저 보고 질문을 받겠습니다",
    "프로젝트 일정이 조금 늦어졌습니다",
    "방법을 같이 찾아봅시다",
]


@dataclass
class LatencyReport:
    device: str
    torch_threads: int
    model: str
    dtype: str
    segments: int
    mean_input_tokens: float
    max_new_tokens_rule: str
    num_beams: int
    p50_one_at_a_time_s: float
    p90_one_at_a_time_s: float
    throughput_one_at_a_time_seg_s: float
    throughput_batched_seg_s: dict[str, float]  # batch size → segments per second
    largest_batch_speedup: float


def kobart_base_shaped(directory: Path) -> None:
    """A random BART of KoBART-base shape with a small BPE tokenizer, saved as a Hugging Face directory."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import BartConfig, BartForConditionalGeneration, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    # A small vocabulary splits words into pieces: about 12 tokens per segment, as KoBART's tokenizer gives
    # for subtitle-length Korean sentences.
    tok.train_from_iterator(SENTENCES, trainers.BpeTrainer(vocab_size=150, show_progress=False,
                                                           special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"]))
    PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", pad_token="<pad>", eos_token="</s>",
                            unk_token="<unk>", mask_token="<mask>").save_pretrained(str(directory))
    config = BartConfig(vocab_size=30000, d_model=768, encoder_layers=6, decoder_layers=6,
                        encoder_attention_heads=16, decoder_attention_heads=16, encoder_ffn_dim=3072,
                        decoder_ffn_dim=3072, max_position_embeddings=1026, pad_token_id=1, bos_token_id=0,
                        eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2)
    torch.manual_seed(0)
    BartForConditionalGeneration(config).save_pretrained(str(directory))


def _timed(generator, texts: list[str]) -> float:
    start = time.perf_counter()
    generator.generate(texts)
    return time.perf_counter() - start


def _measure(generator, texts: list[str], rounds: int, singles_per_round: int,
             batches: list[int]) -> tuple[list[float], dict[int, list[float]]]:
    """Interleaved rounds: a few segments one at a time, then one call of each batch size.

    Interleaving and medians, not one block per mode and totals: on a shared machine another process can stall
    the CPU for seconds, and it should stall every mode alike rather than decide one mode's figure.
    Returns (per-segment latencies one at a time, segments-per-second rates by batch size).
    """
    singles: list[float] = []
    rates: dict[int, list[float]] = {size: [] for size in batches}
    cursor = 0

    def take(n: int) -> list[str]:
        nonlocal cursor
        chunk = [texts[(cursor + i) % len(texts)] for i in range(n)]
        cursor += n
        return chunk

    for _ in range(rounds):
        singles.extend(_timed(generator, take(1)) for _ in range(singles_per_round))
        for size in batches:
            rates[size].append(size / _timed(generator, take(size)))
    return singles, rates


def run(segments: int, model_dir: Path | None, rounds: int = 4, batches: tuple[int, ...] = (8, 16),
        device_name: str | None = None) -> LatencyReport:
    import platform

    import torch

    from config import load_settings
    from service.neural.loader import load_seq2seq, resolve_device
    from service.neural.refiner import KoBartGenerator

    settings = load_settings()
    torch.set_num_threads(settings.TORCH_THREADS)
    device = resolve_device(device_name or settings.DEVICE)
    with tempfile.TemporaryDirectory() as tmp:
        directory = model_dir or Path(tmp)
        if model_dir is None:
            kobart_base_shaped(directory)
        loaded = load_seq2seq(directory, device=device)
    largest = max(batches)
    generator = KoBartGenerator(loaded.model, loaded.tokenizer, settings.GENERATION, batch_size=largest)
    texts = [SENTENCES[i % len(SENTENCES)] for i in range(max(segments, largest))]
    lengths = [len(loaded.tokenizer(t, add_special_tokens=False)["input_ids"]) + 2 for t in texts]

    generator.generate(texts[:2])  # warm-up: first-call allocations are not part of serving
    generator.generate(texts[:largest])
    latencies, rates = _measure(generator, texts, rounds, max(1, segments // rounds), sorted(batches))
    one = 1.0 / statistics.median(latencies)
    batched = {str(size): round(statistics.median(values), 3) for size, values in rates.items()}
    g = settings.GENERATION
    where = (torch.cuda.get_device_name(device) if device.type == "cuda"
             else f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads")
    return LatencyReport(
        device=where,
        torch_threads=torch.get_num_threads(),
        model=str(model_dir) if model_dir else "random BART, KoBART-base shape (6+6 layers, d768, vocab 30000)",
        dtype=str(loaded.model.dtype),
        segments=len(latencies), mean_input_tokens=round(statistics.mean(lengths), 1),
        max_new_tokens_rule=f"{g.max_new_tokens_ratio} x input + {g.max_new_tokens_extra}", num_beams=g.num_beams,
        p50_one_at_a_time_s=round(statistics.median(latencies), 3),
        p90_one_at_a_time_s=round(statistics.quantiles(latencies, n=10)[-1], 3),
        throughput_one_at_a_time_seg_s=round(one, 3), throughput_batched_seg_s=batched,
        largest_batch_speedup=round(batched[str(largest)] / one, 2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.neural_latency", description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (medians are reported)")
    parser.add_argument("--batches", default="8,16", help="batch sizes to measure, comma-separated")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None, help="default: EC_DEVICE")
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "neural_latency.json")
    args = parser.parse_args(argv)
    batches = tuple(int(size) for size in args.batches.split(",") if size.strip())
    report = run(args.segments, args.model_dir, args.rounds, batches, args.device)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(asdict(report), indent=2, ensure_ascii=False))
    return 0 if report.largest_batch_speedup >= 3.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
