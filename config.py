"""The one place settings come from: one typed class, `Settings`, with every default written here once.

Sources, strongest first: `EC_<NAME>` environment variables, then the JSON config file, then the defaults
below. The config file is `EC_CONFIG_FILE` when set (it must exist), else `ec_config.json` in the model
directory (`EC_MODEL_DIR`, default models/kobart_ec/) when there is one; it holds only what a deployment
changes. Nested groups take JSON (`EC_WEIGHTS='{"hotword": 8}'`, merged with the file's values) or one key at a
time (`EC_WEIGHTS__hotword=8`); lists take JSON or commas (`EC_API_KEYS=k1,k2`).

A value that is out of range or of the wrong type stops start-up with one line naming the variable (or the
file's key), the value and what is allowed (`ConfigError`). `python -m config` prints the settings in force.

Adding a setting is one line in the class it belongs to: `NAME: type = Field(default, ge=..., le=...)`.
"""
from __future__ import annotations

import difflib
import json
import os
import tomllib
import typing
from contextvars import ContextVar
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (BaseSettings, EnvSettingsSource, JsonConfigSettingsSource, NoDecode,
                               PydanticBaseSettingsSource, SettingsConfigDict, SettingsError)

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_MODEL_DIR = PROJECT_ROOT / "models" / "kobart_ec"
CONFIG_FILE_NAME = "ec_config.json"
ENV_PREFIX = "EC_"
DISTRIBUTION = "korean-subtitle-correction"


def _project_version() -> str:
    """pyproject.toml's version in a checkout (the truth even before a reinstall), else the installed one."""
    try:
        with open(PROJECT_ROOT / "pyproject.toml", "rb") as handle:
            return tomllib.load(handle)["project"]["version"]
    except OSError:
        return metadata.version(DISTRIBUTION)


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Texts = Annotated[tuple[str, ...], NoDecode]  # parsed by _split_texts: environment values may be "a,b"


def _split_texts(value: Any) -> Any:
    """`"k1,k2"` or `'["k1", "k2"]'` from the environment; lists from JSON pass through."""
    if isinstance(value, str):
        if value.strip().startswith("["):
            return json.loads(value)
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScoreWeights(_Group):
    """The reranker's weights, one per named fact of an edit (service/rerank.py: `edit_features` and
    `language_features` say what each one prices), in the language model's units: score = Σ weight · fact.
    Fitted on whole benchmark files by `benchmarks/fit_weights.py` (a logistic regression of whether an edit
    is right); a positive weight speaks for an edit, a negative one against it."""

    lm: float = Field(1.0, gt=0)
    term_own: float = 0.1378
    creates_unknown: float = -0.1378
    spacing_only: float = -0.75
    source_nbest: float = -0.8132
    source_spelling: float = 2.3251
    source_hotword: float = 10.7
    source_lexicon: float = -9.5979
    letters: float = 0.0
    length_change: float = 7.5937
    letters_confidence: float = -4.3811
    letters_sure: float = 0.0
    votes_for: float = 13.7708
    votes_against: float = -10.0279
    votes_believed_for: float = 1.5034
    votes_believed_against: float = 0.0
    sound_distance: float = 0.0
    pronounced: float = 3.93
    nonword: float = 0.0
    unknown: float = -0.9989
    typo_cost: float = 0.0
    rule_repair: float = 12.0
    particle_said_alike: float = 1.0
    term_closeness: float = 21.6764
    term_common: float = -5.9157
    term_distance: float = -5.3142
    seq2seq: float = Field(1.0, ge=0)
    mlm: float = Field(1.0, ge=0)


class GenerationSettings(_Group):
    """KoBART decoding (service/neural/refiner.py)."""

    num_beams: int = Field(4, ge=1, le=64)
    no_repeat_ngram_size: int = Field(3, ge=0)
    repetition_penalty: float = Field(1.2, gt=0)
    max_new_tokens_ratio: float = Field(1.5, ge=0)
    max_new_tokens_extra: int = Field(8, ge=0)
    max_input_tokens: int = Field(256, ge=3)  # <s>, at least one token, </s>
    banned_strings: Texts = ()

    _split = field_validator("banned_strings", mode="before")(_split_texts)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter="__", frozen=True,
                                      extra="forbid", validate_default=True)

    VERSION: str = Field(default_factory=_project_version)
    MODEL_DIR: str = str(DEFAULT_MODEL_DIR)
    MLM_DIR: str = ""  # a Hugging Face masked LM directory; empty: none
    # Guard and rerank thresholds (the SPEC's "thresholds", overridable like everything else).
    GUARD_CER: Fraction = 0.5
    REFINE_GUARD_CER: Fraction = 0.15
    GAIN_MARGIN: float = Field(10.0, ge=0)  # the score an edited sentence must beat the original's by
    STEP_MARGIN: float = Field(10.0, ge=0)  # ... and each further edit the sentence before it
    NO_SPEECH_THRESHOLD: Fraction = 0.8
    # Request limits: over one, the request gets 413 naming the field and the bound.
    MAX_SEGMENTS: int = Field(256, ge=1)
    MAX_TEXT_CHARS: int = Field(1000, ge=1)
    MAX_HOTWORDS: int = Field(500, ge=0)
    MAX_LEXICON: int = Field(5000, ge=0)
    MAX_NBEST: int = Field(16, ge=1)
    MAX_BODY_BYTES: int = Field(2_000_000, ge=1)
    MAX_JSON_DEPTH: int = Field(32, ge=1)
    # The embedded tier.
    KIWI_WORKERS: int = Field(2, ge=-1, le=256)  # Kiwi's threads (-1: one per core; 0: none besides the caller)
    KIWI_CACHE_MB: float = Field(64, ge=0)  # memory per process for Kiwi's cached analyses and typo readings
    TERM_INDEXES: int = Field(4, ge=0)  # term lists whose index each process keeps (about 5 MB at MAX_LEXICON)
    PROCESSES: int = Field(2, ge=1)  # 2: batches of PARALLEL_MIN_SEGMENTS or more are shared with a helper process
    PARALLEL_MIN_SEGMENTS: int = Field(8, ge=1)
    TYPO_COST_THRESHOLD: float = Field(2.5, ge=0)
    HOTWORD_MAX_DISTANCE: Fraction = 0.5  # how far (jamo edits per jamo of the term) a stretch may sound from it
    LEXICON_MAX_DISTANCE: Fraction = 0.34
    LOW_CONFIDENCE: Fraction = 0.7
    SPELLING_READINGS: int = Field(2, ge=1)
    RERANK_ROUNDS: int = Field(6, ge=0, le=16)  # edits the reranker may add one after another
    MAX_PROPOSALS: int = Field(48, ge=1, le=512)  # span edits per segment the reranker weighs
    FUSION_CENTRALITY: float = Field(10.0, ge=0)  # how much agreement with the others weighs a hypothesis
    RESPELL_DOUBT: Fraction = 0.3  # eojeols at least this doubtful (or no word) are respelled by their sound
    # The neural tier: where it runs and how much it does per call.
    DEVICE: Literal["auto", "cpu", "cuda"] = "auto"  # auto: CUDA when torch sees a GPU (fp16 there), else CPU
    NEURAL_BATCH_SIZE: int = Field(32, ge=1, le=4096)  # segments per generate call, rows per scoring pass
    TORCH_THREADS: int = Field(2, ge=0)  # CPU threads for torch (0: torch's own choice)
    # Production: access control, CORS, the bounded worker pool, the per-request budget, logs.
    API_KEYS: Texts = ()  # empty: no key required
    CORS_ORIGINS: Texts = ()  # none: browsers on other origins are refused
    WORKERS: int = Field(2, ge=1)  # pipeline threads per process (scale out with uvicorn --workers)
    QUEUE_SIZE: int = Field(64, ge=0)  # requests waiting for a worker beyond WORKERS; more get 503 + Retry-After
    EXPRESS_MAX_CHARS: int = Field(500, ge=0)  # requests this small (texts + n-best) may also use a reserved thread
    RETRY_AFTER_S: int = Field(1, ge=0)
    GIL_SWITCH_INTERVAL_S: float = Field(0.001, gt=0, le=1)  # Python's is 0.005; shorter keeps /healthz fast when busy
    REQUEST_BUDGET_S: float = Field(10.0, ge=0)  # segments not reached by then come back unchanged, "timeout"
    BUDGET_CHUNK_SEGMENTS: int = Field(16, ge=1)  # segments per pipeline call between deadline checks
    JSON_LOGS: bool = False
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    WEIGHTS: ScoreWeights = ScoreWeights()
    GENERATION: GenerationSettings = GenerationSettings()

    _split = field_validator("API_KEYS", "CORS_ORIGINS", mode="before")(_split_texts)

    @field_validator("LOG_LEVEL", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        environ, config_file = _INPUTS.get() or (os.environ, config_file_for(os.environ))
        return (init_settings, _MappingEnvSource(settings_cls, environ),
                JsonConfigSettingsSource(settings_cls, json_file=config_file))


class _MappingEnvSource(EnvSettingsSource):
    """The environment source reading a given mapping (load_settings' argument) instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}


# What one `load_settings` call reads (its environment and config file), seen by settings_customise_sources.
_INPUTS: ContextVar[tuple[Mapping[str, str], Path | None] | None] = ContextVar("settings_inputs", default=None)


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line naming it, its value and what is allowed."""


def config_file_for(environ: Mapping[str, str]) -> Path | None:
    """`EC_CONFIG_FILE` (which must exist), else `ec_config.json` in the model directory when there is one."""
    named = environ.get(f"{ENV_PREFIX}CONFIG_FILE")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"{ENV_PREFIX}CONFIG_FILE={named!r}: no such file; allowed: the path of a JSON "
                              f"file of settings, or unset to read {CONFIG_FILE_NAME} in the model directory")
        return path
    beside_model = Path(environ.get(f"{ENV_PREFIX}MODEL_DIR") or DEFAULT_MODEL_DIR) / CONFIG_FILE_NAME
    return beside_model if beside_model.is_file() else None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from `environ` (default: the process environment) and the config file it names.

    Raises ConfigError (one line) for a missing EC_CONFIG_FILE, an unreadable file or any value not allowed.
    """
    environ = os.environ if environ is None else environ
    config_file = config_file_for(environ)
    if config_file is not None:
        _check_json(config_file, environ)
    token = _INPUTS.set((environ, config_file))
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(_explain(exc, environ, config_file)) from None
    except SettingsError as exc:  # a nested group's environment value that is not JSON
        raise ConfigError(_explain_undecodable(exc, environ)) from None
    finally:
        _INPUTS.reset(token)


def with_overrides(settings: Settings, **changes: Any) -> Settings:
    """A copy of `settings` with some values changed (by attribute name), validated like any other source."""
    try:
        return Settings.model_validate({**settings.model_dump(), **changes})
    except ValidationError as exc:
        raise ConfigError(_explain(exc, {}, None)) from None


# -- one-line explanations ---------------------------------------------------------------------------------

def _check_json(path: Path, environ: Mapping[str, str]) -> None:
    where = f"{ENV_PREFIX}CONFIG_FILE={str(path)!r}" if environ.get(f"{ENV_PREFIX}CONFIG_FILE") else str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror}); allowed: a readable JSON file") from None
    except ValueError as exc:
        raise ConfigError(f"{where}: not valid JSON ({exc}); allowed: a JSON object of settings") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: holds a JSON {type(data).__name__}; allowed: a JSON object of settings")


def _group(annotation: Any) -> type[BaseModel] | None:
    """The settings group (WEIGHTS, GENERATION) a field's type is, or None for a plain value."""
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _field_of(loc: tuple[Any, ...]) -> tuple[str, Any | None]:
    """The dotted name of an error location and the FieldInfo it refers to (None for an unknown name)."""
    model: type[BaseModel] | None = Settings
    info = None
    names = [str(part) for part in loc if not isinstance(part, int)]
    for name in names:
        info = model.model_fields.get(name) if model is not None else None
        if info is None:
            break
        model = _group(info.annotation)
    return ".".join(names), info


def allowed(info: Any) -> str:
    """What a field accepts, in words, from its type and its range."""
    annotation = info.annotation
    if (group := _group(annotation)) is not None:
        return f"a JSON object with some of the keys {', '.join(group.model_fields)}"
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(v) for v in typing.get_args(annotation))
    if annotation is bool:
        return "true or false (also 1/0, yes/no, on/off)"
    if typing.get_origin(annotation) is tuple:
        return "a comma-separated list or a JSON list of texts"
    low = high = None
    low_open = high_open = False
    for rule in info.metadata:
        if isinstance(rule, annotated_types.Ge):
            low = rule.ge
        elif isinstance(rule, annotated_types.Gt):
            low, low_open = rule.gt, True
        elif isinstance(rule, annotated_types.Le):
            high = rule.le
        elif isinstance(rule, annotated_types.Lt):
            high, high_open = rule.lt, True
    kind = {int: "an integer", float: "a number"}.get(annotation, "text")
    if low is not None and high is not None:
        ends = " (ends excluded)" if low_open and high_open else " (end excluded)" if low_open or high_open else ""
        return f"{kind} from {low:g} to {high:g}{ends}"
    if low is not None:
        return f"{kind} {'>' if low_open else '≥'} {low:g}"
    if high is not None:
        return f"{kind} {'<' if high_open else '≤'} {high:g}"
    return kind


def _env_key(dotted: str) -> str:
    """The environment variable of a (dotted) setting, lower-cased: `WEIGHTS.lm` → `ec_weights__lm`."""
    return f"{ENV_PREFIX}{dotted.replace('.', '__')}".lower()


def _env_name(environ: Mapping[str, str], dotted: str) -> str | None:
    """The environment variable that set this (dotted) setting, matched as pydantic-settings matches."""
    wanted = [_env_key(dotted)]
    top = dotted.split(".")[0]
    if "." in dotted:
        wanted.append(_env_key(top))
    for candidate in wanted:
        for name in environ:
            if name.lower() == candidate:
                return name
    return None


def _setting_names() -> list[str]:
    names = []
    for name, info in Settings.model_fields.items():
        names.append(name)
        if (group := _group(info.annotation)) is not None:
            names.extend(f"{name}.{inner}" for inner in group.model_fields)
    return names


def _explain(exc: ValidationError, environ: Mapping[str, str], config_file: Path | None) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        dotted, info = _field_of(error["loc"])
        env = _env_name(environ, dotted)
        if env is not None:
            where = f"{env}={environ[env]!r}"
            if env.lower() != _env_key(dotted):  # a group set as JSON
                where += f" ({dotted}={error.get('input')!r})"
        else:
            source = f" in {config_file}" if config_file is not None else ""
            where = f"{dotted}={error.get('input')!r}{source}"
        if info is None:
            close = difflib.get_close_matches(dotted, _setting_names(), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            source = f" in {env}" if env else f" in {config_file}" if config_file else ""
            problems.append(f"{dotted}{source} is not a setting{hint}")
            continue
        problems.append(f"{where}: {error['msg'].rstrip('.').lower()}; allowed: {allowed(info)}")
    return "invalid setting: " + "; ".join(problems)


def _explain_undecodable(exc: SettingsError, environ: Mapping[str, str]) -> str:
    for name, info in Settings.model_fields.items():
        if f'"{name}"' in str(exc):
            env = _env_name(environ, name)
            value = environ.get(env) if env else None
            return f"invalid setting: {env or name}={value!r}: not JSON; allowed: {allowed(info)}"
    return f"invalid setting: {str(exc).splitlines()[0]}"


if __name__ == "__main__":
    try:
        in_force = load_settings().model_dump(mode="json")
    except ConfigError as error:
        raise SystemExit(f"error: {error}") from None
    in_force["API_KEYS"] = ["<hidden>"] * len(in_force["API_KEYS"])  # printed settings end up in logs
    print(json.dumps(in_force, indent=2, ensure_ascii=False))
