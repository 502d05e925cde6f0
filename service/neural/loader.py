"""Loading the neural tier from local Hugging Face directories; entry point `load_neural`.

Accepted layouts of the KoBART directory (`EC_MODEL_DIR`, default models/kobart_ec/):
  * a full seq2seq model: config.json, tokenizer files, model.safetensors;
  * the same plus a LoRA adapter beside it (adapter_config.json + adapter_model.safetensors), merged at load;
  * an adapter-only directory (peft's own layout) whose adapter_config.json names its base model directory
    (absolute, or relative to the adapter directory) — nothing is ever downloaded.
A directory with none of these files means "no KoBART installed". A directory that is present but broken is
reported (health JSON `problems`, start-up log) and the service carries on with the embedded tier.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from config import Settings
from service.refine import Refiner
from service.rerank import SentenceScorer

logger = logging.getLogger(__name__)

WARM_UP_TEXT = "지금부터 회의를 시작하겠습니다"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "spiece.model",
                    "sentencepiece.bpe.model")


class ModelDirError(RuntimeError):
    """A model directory that exists but cannot be served; the message says what is wrong."""


class DeviceError(RuntimeError):
    """EC_DEVICE names a device torch cannot use here; the message says what to set instead."""


@dataclass
class LoadedModel:
    model: object
    tokenizer: object
    description: str
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class NeuralTier:
    refiner: Refiner | None = None
    scorers: list[SentenceScorer] = field(default_factory=list)
    tiers: dict[str, str] = field(default_factory=lambda: {"kobart": "absent", "mlm": "absent"})
    problems: dict[str, str] = field(default_factory=dict)


def has_model(directory: Path) -> bool:
    return (directory / "config.json").is_file() or (directory / "adapter_config.json").is_file()


def _has_tokenizer(directory: Path) -> bool:
    return any((directory / name).is_file() for name in _TOKENIZER_FILES)


def resolve_adapter_base(adapter_dir: Path) -> Path:
    """The local base-model directory an adapter-only directory names in its adapter_config.json."""
    try:
        config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelDirError(f"unreadable adapter_config.json in {adapter_dir}: {exc}") from exc
    base = config.get("base_model_name_or_path")
    if not base:
        raise ModelDirError(f"{adapter_dir}/adapter_config.json names no base_model_name_or_path and the "
                            "directory has no config.json of its own")
    for candidate in (Path(base), adapter_dir / base):
        if (candidate / "config.json").is_file():
            return candidate.resolve()
    raise ModelDirError(f"the adapter in {adapter_dir} names base {base!r}, which is not a local model directory "
                        "(nothing downloads at run time: point base_model_name_or_path at the base's directory)")


def _check_tokenizer(model, tokenizer, directory: Path) -> None:
    embeddings = model.get_input_embeddings().num_embeddings
    if len(tokenizer) > embeddings:
        raise ModelDirError(f"tokenizer mismatch in {directory}: the tokenizer has {len(tokenizer)} tokens, "
                            f"the model's embedding only {embeddings}")
    for role in ("eos_token_id", "pad_token_id"):
        value = getattr(tokenizer, role)
        if value is not None and value >= embeddings:
            raise ModelDirError(f"tokenizer mismatch in {directory}: {role}={value} is outside the model's "
                                f"vocabulary of {embeddings}")


def _load_base_weights(base: Path):
    """The base model alone, even when an adapter sits beside it.

    transformers' `from_pretrained` injects an adapter it finds in the same directory, unmerged; merging ours
    with peft on top would apply the LoRA delta twice. With an adapter beside the weights, the weights are
    therefore read directly and handed to the model class with no path for it to search.
    """
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    if not (base / "adapter_config.json").is_file():
        return AutoModelForSeq2SeqLM.from_pretrained(str(base), local_files_only=True)
    from safetensors.torch import load_file

    weights = base / "model.safetensors"
    if not weights.is_file():
        raise ModelDirError(f"{base} has a LoRA adapter beside its model but no model.safetensors (weights in "
                            "another format or sharded: move the adapter to a directory of its own)")
    config = AutoConfig.from_pretrained(str(base), local_files_only=True)
    model_class = AutoModelForSeq2SeqLM._model_mapping[type(config)]
    return model_class.from_pretrained(None, config=config, state_dict=load_file(str(weights)))


def resolve_device(requested: str):
    """The torch device for `EC_DEVICE`: auto → CUDA when torch sees a GPU, else the CPU."""
    import torch

    if requested == "cpu" or (requested == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise DeviceError(f"EC_DEVICE={requested!r} but torch {torch.__version__} sees no CUDA device "
                            "(a CPU-only torch build, or no GPU visible); set EC_DEVICE=cpu or auto")
    return torch.device("cuda")


def place(model, device):
    """The model on `device`, in half precision on a GPU (half the memory and the GPU's fast float16 units;
    the scorers take their log-softmax in float32) and unchanged, in float32, on the CPU."""
    if device is None or device.type == "cpu":
        return model
    import torch
    return model.to(device=device, dtype=torch.float16)


def load_seq2seq(directory: Path, apply_adapter: bool = True, device=None) -> LoadedModel:
    """The KoBART model (LoRA adapter merged when there is one) and its tokenizer, ready for inference.

    `apply_adapter=False` loads the base alone (fine-tuning trains a fresh adapter on the base itself).
    `device` (a torch device; None: the CPU) is where it runs, see `place`.
    """
    from transformers import AutoTokenizer

    directory = Path(directory)
    adapter = directory if apply_adapter and (directory / "adapter_config.json").is_file() else None
    base = directory if (directory / "config.json").is_file() else resolve_adapter_base(directory)
    try:
        model = _load_base_weights(base)
    except ModelDirError:
        raise
    except Exception as exc:  # transformers raises many types for a bad config or missing weights
        raise ModelDirError(f"cannot load the seq2seq model in {base}: {type(exc).__name__}: {exc}") from exc
    if not getattr(model.config, "is_encoder_decoder", False):
        raise ModelDirError(f"{base} holds a {model.config.model_type} model, not an encoder-decoder (BART) one")
    tokenizer_dir = directory if _has_tokenizer(directory) else base
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir), local_files_only=True)
    except Exception as exc:
        raise ModelDirError(f"cannot load the tokenizer in {tokenizer_dir}: {type(exc).__name__}: {exc}") from exc
    _check_tokenizer(model, tokenizer, tokenizer_dir)
    description = str(base)
    if adapter is not None:
        from peft import PeftModel
        try:
            model = PeftModel.from_pretrained(model, str(adapter), is_trainable=False).merge_and_unload()
        except Exception as exc:
            raise ModelDirError(f"cannot apply the LoRA adapter in {adapter}: {type(exc).__name__}: {exc}") from exc
        description += f" + LoRA {adapter}"
    model = place(model, device)
    model.eval()
    return LoadedModel(model, tokenizer, f"{description} on {model.device}, {model.dtype}")


def load_mlm(directory: Path, device=None) -> LoadedModel:
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    directory = Path(directory)
    if not (directory / "config.json").is_file():
        raise ModelDirError(f"no config.json in the masked-LM directory {directory}")
    try:
        model = AutoModelForMaskedLM.from_pretrained(str(directory), local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    except Exception as exc:
        raise ModelDirError(f"cannot load the masked LM in {directory}: {type(exc).__name__}: {exc}") from exc
    if tokenizer.mask_token_id is None:
        raise ModelDirError(f"the tokenizer in {directory} has no mask token")
    _check_tokenizer(model, tokenizer, directory)
    model = place(model, device)
    model.eval()
    return LoadedModel(model, tokenizer, f"{directory} on {model.device}, {model.dtype}")


def load_neural(settings: Settings, fallback: Refiner) -> NeuralTier:
    """Load, check and warm up whatever neural models are installed; never raises for a broken directory."""
    tier = NeuralTier()
    model_dir = Path(settings.MODEL_DIR)
    mlm_dir = Path(settings.MLM_DIR) if settings.MLM_DIR else None
    if not model_dir.is_dir():  # a mistyped EC_MODEL_DIR should not look like "no model installed"
        tier.problems["kobart"] = f"model directory {model_dir} does not exist"
        logger.error("KoBART not loaded: %s", tier.problems["kobart"])
    if not has_model(model_dir) and mlm_dir is None:
        logger.info("no KoBART model in %s: neural tier absent", model_dir)
        return tier

    import torch
    from service.neural.refiner import KoBartGenerator, KoBartRefiner
    from service.neural.scorers import MaskedLmScorer, Seq2SeqScorer

    if settings.TORCH_THREADS > 0:
        torch.set_num_threads(settings.TORCH_THREADS)
    max_tokens = settings.GENERATION.max_input_tokens
    batch = settings.NEURAL_BATCH_SIZE
    try:
        device = resolve_device(settings.DEVICE)
    except DeviceError as exc:  # neither model can run as asked: both are reported, the embedded tier serves
        for tier_name, wanted in (("kobart", has_model(model_dir)), ("mlm", mlm_dir is not None)):
            if wanted:
                tier.problems[tier_name] = str(exc)
        logger.error("neural tier not loaded: %s", exc)
        return tier

    if has_model(model_dir):
        try:
            loaded = load_seq2seq(model_dir, device=device)
            generator = KoBartGenerator(loaded.model, loaded.tokenizer, settings.GENERATION, loaded.lock, batch)
            refiner = KoBartRefiner(generator, fallback, settings.REFINE_GUARD_CER)
            scorer = Seq2SeqScorer(loaded.model, loaded.tokenizer, max_tokens, loaded.lock, batch)
            # A real generation and a real scoring pass: errors a lazy first request would hit surface here.
            warm = generator.generate([WARM_UP_TEXT])[0]
            scorer.score([WARM_UP_TEXT], [WARM_UP_TEXT])
            tier.refiner, tier.tiers["kobart"] = refiner, "loaded"
            tier.scorers.append(scorer)
            logger.info("KoBART loaded from %s; warm-up wrote %r", loaded.description, warm.text)
        except ModelDirError as exc:
            tier.problems["kobart"] = str(exc)
        except Exception as exc:  # a failing warm-up generation is as disqualifying as a bad config
            tier.problems["kobart"] = f"KoBART in {model_dir} failed its warm-up: {type(exc).__name__}: {exc}"
        if "kobart" in tier.problems:
            logger.error("KoBART not loaded, serving the embedded tier: %s", tier.problems["kobart"])
    else:
        logger.info("no KoBART model in %s", model_dir)

    if mlm_dir is not None:
        try:
            loaded = load_mlm(mlm_dir, device=device)
            scorer = MaskedLmScorer(loaded.model, loaded.tokenizer, max_tokens, loaded.lock, 2 * batch)
            scorer.score([WARM_UP_TEXT], [WARM_UP_TEXT])
            tier.scorers.append(scorer)
            tier.tiers["mlm"] = "loaded"
            logger.info("masked LM loaded from %s", loaded.description)
        except ModelDirError as exc:
            tier.problems["mlm"] = str(exc)
        except Exception as exc:
            tier.problems["mlm"] = f"masked LM in {mlm_dir} failed its warm-up: {type(exc).__name__}: {exc}"
        if "mlm" in tier.problems:
            logger.error("masked LM not loaded: %s", tier.problems["mlm"])
    return tier
