"""Settings: one typed class, sources in order (environment over the JSON file over the defaults), range checks,
and a bad value stopping start-up with one line that names the variable, the value and what is allowed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from config import (DEFAULT_MODEL_DIR, PROJECT_ROOT, ConfigError, GenerationSettings, ScoreWeights, Settings,
                    load_settings, with_overrides)


def test_the_shipped_config_file_holds_only_overrides():
    shipped = json.loads((DEFAULT_MODEL_DIR / "ec_config.json").read_text(encoding="utf-8"))
    defaults = Settings.model_construct()  # the class defaults, no source read
    for key, value in shipped.items():
        default = getattr(defaults, key)
        if isinstance(value, dict):
            assert all(getattr(default, k) != v for k, v in value.items()), f"{key} repeats a default"
        else:
            assert value != default, f"{key} in ec_config.json repeats its default"


def test_version_is_the_project_version():
    with open(PROJECT_ROOT / "pyproject.toml", "rb") as handle:
        assert load_settings({}).VERSION == tomllib.load(handle)["project"]["version"]


def test_environment_overrides_the_file_which_overrides_the_defaults(tmp_path):
    (tmp_path / "ec_config.json").write_text(json.dumps({
        "GUARD_CER": 0.3, "GAIN_MARGIN": 5, "WEIGHTS": {"lm": 2.0}, "GENERATION": {"num_beams": 2}}))
    settings = load_settings({"EC_MODEL_DIR": str(tmp_path), "EC_GAIN_MARGIN": "4",
                              "EC_WEIGHTS": '{"source_hotword": 8}', "EC_WEIGHTS__sound_distance": "-2.5"})
    assert settings.MODEL_DIR == str(tmp_path)
    assert settings.GUARD_CER == 0.3  # from the file
    assert settings.GAIN_MARGIN == 4.0  # the environment wins over the file
    # Groups merge key by key across the sources; the rest keep their defaults.
    assert (settings.WEIGHTS.lm, settings.WEIGHTS.source_hotword, settings.WEIGHTS.sound_distance) == (2.0, 8.0, -2.5)
    assert settings.WEIGHTS.source_lexicon == ScoreWeights().source_lexicon
    assert settings.GENERATION.num_beams == 2 and settings.GENERATION.num_beams != GenerationSettings().num_beams
    assert settings.REFINE_GUARD_CER == Settings.model_fields["REFINE_GUARD_CER"].default


def test_a_config_file_named_in_the_environment_is_read(tmp_path):
    named = tmp_path / "deployment.json"
    named.write_text(json.dumps({"MAX_SEGMENTS": 32}))
    assert load_settings({"EC_CONFIG_FILE": str(named)}).MAX_SEGMENTS == 32


def test_lists_take_commas_or_json_and_levels_any_case():
    settings = load_settings({"EC_API_KEYS": "key-one, key-two", "EC_CORS_ORIGINS": '["https://a.example"]',
                              "EC_LOG_LEVEL": "debug", "EC_JSON_LOGS": "yes",
                              "EC_GENERATION__banned_strings": "욕설,비속어"})
    assert settings.API_KEYS == ("key-one", "key-two")
    assert settings.CORS_ORIGINS == ("https://a.example",)
    assert settings.LOG_LEVEL == "DEBUG" and settings.JSON_LOGS is True
    assert settings.GENERATION.banned_strings == ("욕설", "비속어")


def test_settings_are_frozen_and_overrides_are_validated():
    settings = load_settings({})
    with pytest.raises(Exception):
        settings.GUARD_CER = 0.9  # type: ignore[misc]
    assert with_overrides(settings, WORKERS=1).WORKERS == 1
    with pytest.raises(ConfigError, match="WORKERS"):
        with_overrides(settings, WORKERS=0)


@pytest.mark.parametrize("variable, value, allowed", [
    ("EC_GUARD_CER", "1.5", "a number from 0 to 1"),
    ("EC_GUARD_CER", "half", "a number from 0 to 1"),
    ("EC_MAX_SEGMENTS", "0", "an integer ≥ 1"),
    ("EC_DEVICE", "tpu", "one of auto, cpu, cuda"),
    ("EC_JSON_LOGS", "maybe", "true or false"),
    ("EC_LOG_LEVEL", "loud", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("EC_WEIGHTS", '{"mlm": -1}', "a number ≥ 0"),
    ("EC_WEIGHTS", "{not json", "a JSON object with some of the keys lm, "),
    ("EC_WEIGHTS__lm", "0", "a number > 0"),
    ("EC_GENERATION__num_beams", "0", "an integer from 1 to 64"),
])
def test_a_bad_value_is_one_line_naming_variable_value_and_what_is_allowed(variable, value, allowed):
    with pytest.raises(ConfigError) as caught:
        load_settings({variable: value})
    message = str(caught.value)
    assert "\n" not in message
    assert f"{variable}={value!r}" in message
    assert f"allowed: {allowed}" in message


def test_a_missing_config_file_is_an_error_not_the_defaults(tmp_path):
    missing = tmp_path / "typo.json"
    with pytest.raises(ConfigError) as caught:
        load_settings({"EC_CONFIG_FILE": str(missing)})
    message = str(caught.value)
    assert f"EC_CONFIG_FILE={str(missing)!r}" in message and "no such file" in message and "allowed:" in message


def test_a_bad_config_file_names_the_file_and_the_key(tmp_path):
    config = tmp_path / "ec_config.json"
    config.write_text('{"GAURD_CER": 0.3}')
    with pytest.raises(ConfigError, match=r"GAURD_CER in .*ec_config.json is not a setting \(did you mean GUARD_CER\?\)"):
        load_settings({"EC_MODEL_DIR": str(tmp_path)})
    config.write_text('{"WEIGHTS": {"mlm": "lots"}}')
    with pytest.raises(ConfigError, match=r"WEIGHTS.mlm='lots' in .*ec_config.json: .*allowed: a number ≥ 0"):
        load_settings({"EC_MODEL_DIR": str(tmp_path)})
    config.write_text('{"GUARD_CER": 0.3,}')
    with pytest.raises(ConfigError, match=r"ec_config.json: not valid JSON"):
        load_settings({"EC_MODEL_DIR": str(tmp_path)})


@pytest.mark.parametrize("variable, value, named", [
    ("EC_GUARD_CER", "2", "EC_GUARD_CER='2'"),
    ("EC_CONFIG_FILE", "/nonexistent/ec.json", "EC_CONFIG_FILE='/nonexistent/ec.json'"),
])
def test_the_service_does_not_start_with_a_bad_setting(variable, value, named):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EC_")} | {variable: value}
    done = subprocess.run([sys.executable, "-m", "uvicorn", "--app-dir", str(PROJECT_ROOT), "app:app",
                           "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "allowed:" in lines[0], lines
