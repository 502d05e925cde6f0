"""Train a LoRA adapter for the KoBART refiner on (source, target) pairs and write it where the service loads it.

    python -m training.finetune --base DIR --train PAIRS.jsonl --out DIR [--max-steps N] [--lora-r R]

`--base` is a Hugging Face seq2seq directory (KoBART: config.json, tokenizer files, model.safetensors).
The adapter (adapter_config.json + adapter_model.safetensors) goes to `--out`:
  * `--out` = `--base`: the adapter sits beside the model, the layout `models/kobart_ec/` is served from;
  * another directory: an adapter-only directory naming its base (relative path) with a copy of the tokenizer;
    serve it with `EC_MODEL_DIR=<out>`.
A held-out slice of the pairs measures the character error rate (CER) of the model's output against the
targets before and after training; both are logged, with the loss as training goes.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("training.finetune")

# Every linear layer of BART's attention and feed-forward blocks: small ranks on all of them learn faster
# than a larger rank on q/v only, for the same number of trainable parameters.
DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2")


@dataclass(frozen=True)
class FinetuneConfig:
    base: Path
    train: Path
    out: Path
    max_steps: int = 500
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    learning_rate: float = 5e-4
    batch_size: int = 16
    val_fraction: float = 0.1
    max_tokens: int = 128
    seed: int = 13
    target_modules: tuple[str, ...] = DEFAULT_TARGETS


@dataclass
class FinetuneReport:
    steps: int
    train_pairs: int
    val_pairs: int
    losses: list[float] = field(default_factory=list)
    cer_before: float | None = None
    cer_after: float | None = None
    adapter_dir: str = ""


def read_pairs(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            pairs.append((str(record["source"]), str(record["target"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a {{\"source\", \"target\"}} JSON line ({exc})") from exc
    if not pairs:
        raise ValueError(f"{path} holds no pairs")
    return pairs


def split_pairs(pairs: list[tuple[str, str]], fraction: float, seed: int):
    """(train, held-out): a seeded shuffle, at least one pair held out when there are two or more."""
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    held = 0 if fraction <= 0 or len(shuffled) < 2 else max(1, round(fraction * len(shuffled)))
    return shuffled[held:], shuffled[:held]


def validation_cer(generator, pairs: list[tuple[str, str]]) -> float | None:
    """CER of the model's output against the targets (spaces kept: spacing is part of the job)."""
    import jiwer

    if not pairs:
        return None
    model = generator.model
    was_training = model.training
    model.eval()
    outputs = [p.text or "" for p in generator.generate([s for s, _ in pairs])]
    model.train(was_training)
    return float(jiwer.cer([t for _, t in pairs], outputs))


def _batches(pairs, batch_size: int, rng: random.Random):
    while True:
        order = list(pairs)
        rng.shuffle(order)
        for i in range(0, len(order), batch_size):
            yield order[i:i + batch_size]


def finetune(config: FinetuneConfig) -> FinetuneReport:
    import torch
    from peft import LoraConfig, TaskType, get_peft_model
    from tqdm.auto import tqdm

    from config import load_settings
    from service.neural.encoding import encode_sources, pad_batch, token_ids, wrap_target
    from service.neural.loader import load_seq2seq
    from service.neural.refiner import KoBartGenerator

    torch.manual_seed(config.seed)
    pairs = read_pairs(config.train)
    train, held_out = split_pairs(pairs, config.val_fraction, config.seed)
    if not train:
        raise ValueError("no training pairs left after the held-out slice")
    loaded = load_seq2seq(config.base, apply_adapter=False)
    tokenizer = loaded.tokenizer
    generation = load_settings().GENERATION.model_copy(update={"max_input_tokens": config.max_tokens})

    model = loaded.model
    report = FinetuneReport(steps=config.max_steps, train_pairs=len(train), val_pairs=len(held_out))
    report.cer_before = validation_cer(KoBartGenerator(model, tokenizer, generation), held_out)
    logger.info("%d training pairs, %d held out; validation CER before training: %s", len(train), len(held_out),
                "n/a" if report.cer_before is None else f"{report.cer_before:.4f}")

    lora = LoraConfig(task_type=TaskType.SEQ_2_SEQ_LM, r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout, target_modules=list(config.target_modules))
    model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    logger.info("LoRA r=%d on %s: %d trainable parameters", config.lora_r, ",".join(config.target_modules), trainable)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    warmup = max(1, config.max_steps // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, 1 - step / max(1, config.max_steps)) ** 0.5)

    rng = random.Random(config.seed)
    batches = _batches(train, config.batch_size, rng)
    log_every = max(1, config.max_steps // 20)
    model.train()
    progress = tqdm(range(config.max_steps), desc="fine-tuning", unit="step", file=sys.stderr)
    for step in progress:
        batch = next(batches)
        sources = encode_sources(tokenizer, [s for s, _ in batch], config.max_tokens)
        labels, _ = pad_batch([wrap_target(tokenizer, token_ids(tokenizer, t), config.max_tokens) for _, t in batch],
                              0, fill=-100)
        loss = model(input_ids=sources.input_ids, attention_mask=sources.attention_mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        value = float(loss.detach())
        report.losses.append(value)
        progress.set_postfix(loss=f"{value:.4f}")
        if (step + 1) % log_every == 0 or step == 0 or step + 1 == config.max_steps:
            logger.info("step %d/%d loss %.4f", step + 1, config.max_steps, value)
    if not all(math.isfinite(v) for v in report.losses[-1:]):
        raise RuntimeError("training diverged (non-finite loss); lower --lr")

    model.eval()
    report.cer_after = validation_cer(KoBartGenerator(model, tokenizer, generation), held_out)
    logger.info("validation CER after training: %s (before: %s)",
                "n/a" if report.cer_after is None else f"{report.cer_after:.4f}",
                "n/a" if report.cer_before is None else f"{report.cer_before:.4f}")
    _save(model, tokenizer, config)
    report.adapter_dir = str(config.out)
    return report


def _save(model, tokenizer, config: FinetuneConfig) -> None:
    out, base = config.out.resolve(), config.base.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if (out / "adapter_config.json").exists():
        logger.warning("replacing the adapter already in %s", out)
    model.save_pretrained(str(out))
    # The base as a path relative to the adapter, so a clone or a copied models/ tree still finds it.
    adapter_config_path = out / "adapter_config.json"
    adapter_config = json.loads(adapter_config_path.read_text(encoding="utf-8"))
    adapter_config["base_model_name_or_path"] = os.path.relpath(base, out)
    adapter_config_path.write_text(json.dumps(adapter_config, indent=2, ensure_ascii=False), encoding="utf-8")
    if out != base:
        tokenizer.save_pretrained(str(out))
    logger.info("LoRA adapter written to %s (serve with EC_MODEL_DIR=%s)", out, out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.finetune", description=__doc__.split("\n")[0])
    parser.add_argument("--base", required=True, type=Path, help="Hugging Face seq2seq model directory")
    parser.add_argument("--train", required=True, type=Path, help="JSONL pairs from training.make_pairs")
    parser.add_argument("--out", required=True, type=Path, help="where the adapter is written")
    parser.add_argument("--max-steps", type=int, default=FinetuneConfig.max_steps)
    parser.add_argument("--lora-r", type=int, default=FinetuneConfig.lora_r)
    parser.add_argument("--lora-alpha", type=int, default=None, help="default: 2 × r")
    parser.add_argument("--lora-dropout", type=float, default=FinetuneConfig.lora_dropout)
    parser.add_argument("--lr", type=float, default=FinetuneConfig.learning_rate)
    parser.add_argument("--batch-size", type=int, default=FinetuneConfig.batch_size)
    parser.add_argument("--val-fraction", type=float, default=FinetuneConfig.val_fraction)
    parser.add_argument("--max-tokens", type=int, default=FinetuneConfig.max_tokens)
    parser.add_argument("--target-modules", default=",".join(DEFAULT_TARGETS))
    parser.add_argument("--seed", type=int, default=FinetuneConfig.seed)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = FinetuneConfig(
        base=args.base, train=args.train, out=args.out, max_steps=args.max_steps, lora_r=args.lora_r,
        lora_alpha=args.lora_alpha or 2 * args.lora_r, lora_dropout=args.lora_dropout, learning_rate=args.lr,
        batch_size=args.batch_size, val_fraction=args.val_fraction, max_tokens=args.max_tokens, seed=args.seed,
        target_modules=tuple(m for m in args.target_modules.split(",") if m))
    try:
        report = finetune(config)
    except Exception as exc:  # the message is what a user at the command line needs
        logger.error("fine-tuning failed: %s: %s", type(exc).__name__, exc)
        return 1
    print(json.dumps({"steps": report.steps, "train_pairs": report.train_pairs, "val_pairs": report.val_pairs,
                      "first_loss": report.losses[0], "last_loss": report.losses[-1],
                      "cer_before": report.cer_before, "cer_after": report.cer_after,
                      "adapter_dir": report.adapter_dir}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
