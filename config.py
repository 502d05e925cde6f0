"""The one place settings come from: `ec_config.json` in the model directory, then `EC_*` environment variables.

An environment variable named `EC_<KEY>` overrides the key of the same name (numbers and booleans parsed,
objects as JSON); `EC_MODEL_DIR` chooses the model directory itself.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_MODEL_DIR = PROJECT_ROOT / "models" / "kobart_ec"


@dataclass(frozen=True)
class ScoreWeights:
    lm: float = 1.0
    nbest_rank: float = 1.0
    confidence: float = 4.0
    sure: float = 16.0
    sure_confidence: float = 0.75
    pronounced_discount: float = 0.25
    nbest_trust: float = 0.75
    hotword_trust: float = 0.6
    lexicon_trust: float = 0.3
    hotword: float = 6.0
    lexicon: float = 3.0
    sound: float = 1.5
    seq2seq: float = 1.0
    mlm: float = 1.0


@dataclass(frozen=True)
class GenerationSettings:
    num_beams: int = 4
    no_repeat_ngram_size: int = 3
    repetition_penalty: float = 1.2
    max_new_tokens_ratio: float = 1.5
    max_new_tokens_extra: int = 8
    max_input_tokens: int = 256
    banned_strings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    VERSION: str = "0.1.0"
    MODEL_DIR: str = str(DEFAULT_MODEL_DIR)
    MLM_DIR: str = ""
    GUARD_CER: float = 0.5
    REFINE_GUARD_CER: float = 0.15
    SPACING_MARGIN: float = 2.0
    GAIN_MARGIN: float = 3.0
    NO_SPEECH_THRESHOLD: float = 0.8
    MAX_SEGMENTS: int = 256
    MAX_TEXT_CHARS: int = 1000
    MAX_HOTWORDS: int = 500
    MAX_LEXICON: int = 5000
    MAX_NBEST: int = 16
    MAX_BODY_BYTES: int = 2_000_000
    KIWI_WORKERS: int = 2
    KIWI_CACHE_MB: float = 64  # memory per process for Kiwi's cached analyses and typo readings
    PROCESSES: int = 2  # 2: batches of PARALLEL_MIN_SEGMENTS or more are shared with a helper process
    PARALLEL_MIN_SEGMENTS: int = 8
    TYPO_COST_THRESHOLD: float = 2.5
    HOTWORD_MAX_DISTANCE: float = 0.34
    LEXICON_MAX_DISTANCE: float = 0.25
    LOW_CONFIDENCE: float = 0.7
    TERM_CONFIDENCE: float = 0.95
    SPAN_PASSES: int = 2
    SPELLING_READINGS: int = 2
    TORCH_THREADS: int = 2
    # Production (issue 5): access control, CORS, the bounded worker pool, the per-request budget, logs.
    API_KEYS: tuple[str, ...] = ()  # empty: no key required; EC_API_KEYS="k1,k2"
    CORS_ORIGINS: tuple[str, ...] = ()  # none by default: browsers on other origins are refused
    WORKERS: int = 2  # pipeline threads per process (scale out with uvicorn --workers)
    QUEUE_SIZE: int = 64  # requests waiting for a worker beyond WORKERS; more get 503 + Retry-After
    EXPRESS_MAX_CHARS: int = 500  # requests this small (texts + n-best) may also use a reserved thread; 0: none
    RETRY_AFTER_S: int = 1
    GIL_SWITCH_INTERVAL_S: float = 0.001  # Python's default is 0.005; shorter keeps /healthz fast when busy
    REQUEST_BUDGET_S: float = 10.0  # segments not reached by then come back unchanged, status "timeout"
    BUDGET_CHUNK_SEGMENTS: int = 16  # segments per pipeline call between deadline checks
    MAX_JSON_DEPTH: int = 32
    JSON_LOGS: bool = False
    LOG_LEVEL: str = "INFO"
    WEIGHTS: ScoreWeights = field(default_factory=ScoreWeights)
    GENERATION: GenerationSettings = field(default_factory=GenerationSettings)


_NESTED = {"WEIGHTS": ScoreWeights, "GENERATION": GenerationSettings}


def _coerce(value: Any, like: Any) -> Any:
    """Turn a JSON or environment value into the type of the default it replaces."""
    if isinstance(like, bool):
        return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")
    if isinstance(like, int):
        return int(value)
    if isinstance(like, float):
        return float(value)
    if isinstance(like, tuple):
        if isinstance(value, str):
            value = json.loads(value) if value.strip().startswith("[") else [v for v in value.split(",") if v]
        return tuple(value)
    return str(value)


def _build(cls: type, values: Mapping[str, Any]) -> Any:
    defaults = cls()
    kwargs = {}
    for f in fields(cls):
        if f.name not in values:
            continue
        raw = values[f.name]
        if f.name in _NESTED:
            if isinstance(raw, str):
                raw = json.loads(raw)
            current = getattr(defaults, f.name)
            merged = {g.name: getattr(current, g.name) for g in fields(current)} | dict(raw)
            kwargs[f.name] = _build(_NESTED[f.name], merged)
        else:
            kwargs[f.name] = _coerce(raw, getattr(defaults, f.name))
    return cls(**kwargs)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read `ec_config.json` from the model directory, then apply `EC_*` environment overrides."""
    environ = os.environ if environ is None else environ
    model_dir = Path(environ.get("EC_MODEL_DIR", str(DEFAULT_MODEL_DIR)))
    values: dict[str, Any] = {}
    config_file = Path(environ.get("EC_CONFIG_FILE", str(model_dir / "ec_config.json")))
    if not config_file.exists():
        config_file = DEFAULT_MODEL_DIR / "ec_config.json"
    try:
        values.update(json.loads(config_file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        logger.warning("could not read %s (%s); using built-in defaults", config_file, exc)
    values["MODEL_DIR"] = str(model_dir)
    for f in fields(Settings):
        env_value = environ.get(f"EC_{f.name}")
        if env_value is not None and f.name != "MODEL_DIR":
            values[f.name] = env_value
    known = {f.name for f in fields(Settings)}
    return _build(Settings, {k: v for k, v in values.items() if k in known})
