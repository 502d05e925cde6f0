"""The neural tier with tiny models built here: loading, refinement through the API, guard, scorers, training.

Nothing is downloaded: a BPE tokenizer is trained on a few sentences and a 1-layer BART (d_model 64) is saved
into a temporary Hugging Face directory; a copy of it learns to copy Korean sentences (what a real KoBART can
do already) and `training.finetune` teaches it one correction with a LoRA adapter.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from app import create_app
from config import GenerationSettings
from schema.correct import SPEC_EXAMPLE
from service.guard import change_rate
from tests.neural.builders import CORPUS, build_bart, build_bert_mlm, build_tokenizer, train_copier

# The learned correction: a misheard numeral (네 → 세), one syllable in eleven — small enough for the refine
# guard, and nothing the embedded tier can know (both spellings are ordinary Korean words).
NOISY = "오늘 안건은 네 가지입니다"
FIXED = "오늘 안건은 세 가지입니다"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture(scope="session")
def neural_dirs(tmp_path_factory) -> dict[str, Path]:
    """random/ (untrained), copier/ (copies Korean), lora/ (adapter-only dir from training.finetune)."""
    from training.finetune import FinetuneConfig, finetune

    root = tmp_path_factory.mktemp("neural")
    random_dir = root / "random"
    build_bart(random_dir, CORPUS + [NOISY])
    copier = _copy(random_dir, root / "copier")
    train_copier(copier, CORPUS + [NOISY])
    pairs = [(s, s) for s in CORPUS] + [(NOISY, FIXED)] * 4
    pairs_file = root / "pairs.jsonl"
    pairs_file.write_text("".join(json.dumps({"source": s, "target": t}, ensure_ascii=False) + "\n"
                                  for s, t in pairs), encoding="utf-8")
    report = finetune(FinetuneConfig(base=copier, train=pairs_file, out=root / "lora", max_steps=40,
                                     learning_rate=1e-2, batch_size=8, val_fraction=0.2))
    return {"root": root, "random": random_dir, "copier": copier, "lora": root / "lora", "report": report}


@pytest.fixture
def serve(monkeypatch) -> Iterator:
    """serve(model_dir, mlm_dir=None) → a started TestClient on those directories."""
    clients = []

    def start(model_dir: Path, mlm_dir: Path | None = None, **env: str) -> TestClient:
        monkeypatch.setenv("EC_MODEL_DIR", str(model_dir))
        if mlm_dir is None:
            monkeypatch.delenv("EC_MLM_DIR", raising=False)
        else:
            monkeypatch.setenv("EC_MLM_DIR", str(mlm_dir))
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        client = TestClient(create_app())
        client.__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def _correct(client: TestClient, body: dict) -> list[dict]:
    response = client.post("/ec/correct", json=body)
    assert response.status_code == 200, response.text
    return response.json()["segments"]


def _one(text: str) -> dict:
    return {"segments": [{"id": "s1", "text": text}]}


@pytest.fixture(scope="session")
def embedded_results(tmp_path_factory) -> dict[str, list[dict]]:
    """What the service answers without any neural model (an empty model directory)."""
    empty = tmp_path_factory.mktemp("empty_model_dir")
    import os
    old = os.environ.get("EC_MODEL_DIR")
    os.environ["EC_MODEL_DIR"] = str(empty)
    try:
        with TestClient(create_app()) as client:
            assert client.get("/healthz").json()["tiers"]["kobart"] == "absent"
            return {"spec": _correct(client, SPEC_EXAMPLE), "noisy": _correct(client, _one(NOISY))}
    finally:
        if old is None:
            os.environ.pop("EC_MODEL_DIR", None)
        else:
            os.environ["EC_MODEL_DIR"] = old


# -- loading, health, guard ---------------------------------------------------------------------------

def test_random_model_loads_and_its_nonsense_is_refused(neural_dirs, serve, embedded_results):
    client = serve(neural_dirs["random"])
    for path in ("/healthz", "/v2/health"):
        health = client.get(path).json()
        assert health["tiers"] == {"kiwi": "loaded", "kobart": "loaded", "mlm": "absent"}
        assert health["problems"] == {}
    resources = client.app.state.resources
    assert resources.refiner.name == "kobart"
    assert [s.weight_key for s in resources.scorers] == ["seq2seq"]
    # The random model really writes nonsense for the SPEC sentence …
    picked = embedded_results["spec"][0]["picked_candidate"]
    proposal = resources.refiner.generator.generate([picked])[0]
    assert proposal.text is None or change_rate(picked, proposal.text) > client.app.state.settings.REFINE_GUARD_CER
    # … which the guard refuses: the SPEC example comes back as the embedded tier corrects it.
    segments = _correct(client, SPEC_EXAMPLE)
    assert segments[0]["corrected"] == embedded_results["spec"][0]["corrected"]
    assert "회의를" in segments[0]["corrected"]


def test_finetuned_adapter_makes_its_correction_through_the_api(neural_dirs, serve, embedded_results):
    # Without the model the embedded tier leaves the numeral alone …
    assert "네 가지" in embedded_results["noisy"][0]["corrected"]
    client = serve(neural_dirs["lora"])  # adapter-only directory naming its base (peft's layout)
    assert client.get("/healthz").json()["tiers"]["kobart"] == "loaded"
    segment = _correct(client, _one(NOISY))[0]
    # … the fine-tuned KoBART path makes the learned respelling.
    assert segment["corrected"] == FIXED + "."
    assert any(e["before"] == "네" and e["after"] == "세" for e in segment["edits"]), segment["edits"]
    # A sentence it was taught to keep comes back unchanged but for the final mark.
    assert _correct(client, _one(CORPUS[1]))[0]["corrected"] == CORPUS[1] + "."


def test_adapter_beside_the_model_loads_and_merges(neural_dirs, serve, tmp_path):
    layout = _copy(neural_dirs["copier"], tmp_path / "kobart_ec")
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(neural_dirs["lora"] / name, layout / name)
    client = serve(layout)
    assert client.get("/v2/health").json()["tiers"]["kobart"] == "loaded"
    assert _correct(client, _one(NOISY))[0]["corrected"] == FIXED + "."


def test_base_without_adapter_does_not_make_the_correction(neural_dirs, serve):
    client = serve(neural_dirs["copier"])
    assert _correct(client, _one(NOISY))[0]["corrected"] == NOISY + "."


def _broken_config(d: Path) -> None:
    (d / "config.json").write_text("{ not json", encoding="utf-8")


def _missing_weights(d: Path) -> None:
    (d / "model.safetensors").unlink()


def _tokenizer_mismatch(d: Path) -> None:
    # A tokenizer with a larger vocabulary than the model's embedding (the wrong tokenizer for these weights).
    build_tokenizer(d, CORPUS + [NOISY] + ["가나다라 마바사 아자차카 타파하"] * 3, vocab_size=600)
    from transformers import AutoConfig
    config = AutoConfig.from_pretrained(str(d))
    assert json.loads((d / "tokenizer.json").read_text())["model"]["vocab"].__len__() > config.vocab_size


def _adapter_with_remote_base(d: Path) -> None:
    for name in ("config.json", "model.safetensors"):
        (d / name).unlink()
    (d / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA",
                                                       "base_model_name_or_path": "gogamza/kobart-base-v2"}))


@pytest.mark.parametrize("breakage, hint", [
    (_broken_config, "config"),
    (_missing_weights, "seq2seq model"),
    (_tokenizer_mismatch, "tokenizer mismatch"),
    (_adapter_with_remote_base, "not a local model directory"),
])
def test_broken_model_directory_leaves_the_embedded_tier_serving(neural_dirs, serve, tmp_path, breakage, hint,
                                                                 embedded_results):
    broken = _copy(neural_dirs["random"], tmp_path / "broken")
    breakage(broken)
    client = serve(broken)
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["tiers"]["kobart"] == "absent"
    assert hint in health["problems"]["kobart"]
    assert client.app.state.resources.refiner.name == "kiwi"
    assert _correct(client, SPEC_EXAMPLE)[0]["corrected"] == embedded_results["spec"][0]["corrected"]


def test_masked_lm_loads_as_a_scorer_and_a_broken_one_is_reported(neural_dirs, serve, tmp_path, embedded_results):
    mlm = tmp_path / "mlm"
    build_bert_mlm(mlm)
    client = serve(tmp_path / "no_kobart", mlm_dir=mlm)
    health = client.get("/healthz").json()
    assert health["tiers"] == {"kiwi": "loaded", "kobart": "absent", "mlm": "loaded"}
    assert [s.weight_key for s in client.app.state.resources.scorers] == ["mlm"]
    assert _correct(client, SPEC_EXAMPLE)[0]["corrected"] == embedded_results["spec"][0]["corrected"]

    (mlm / "model.safetensors").unlink()
    client = serve(tmp_path / "no_kobart", mlm_dir=mlm)
    health = client.get("/healthz").json()
    assert health["tiers"]["mlm"] == "absent" and "masked LM" in health["problems"]["mlm"]
    assert "does not exist" in health["problems"]["kobart"]  # the mistyped EC_MODEL_DIR is reported too


# -- generation and scoring in detail -----------------------------------------------------------------

@pytest.fixture(scope="session")
def lora_model(neural_dirs):
    from service.neural.loader import load_seq2seq
    return load_seq2seq(neural_dirs["lora"])


def test_batched_generation_equals_one_at_a_time(lora_model):
    from service.neural.refiner import KoBartGenerator

    generator = KoBartGenerator(lora_model.model, lora_model.tokenizer, GenerationSettings())
    texts = [NOISY, CORPUS[1], CORPUS[2], "회의"]  # different lengths: padding and attention masks matter
    batched = [p.text for p in generator.generate(texts)]
    assert batched == [generator.generate([t])[0].text for t in texts]
    assert batched[0] == FIXED and batched[1] == CORPUS[1]


def test_generation_settings_are_honoured(lora_model):
    from service.neural.refiner import KoBartGenerator

    banned = KoBartGenerator(lora_model.model, lora_model.tokenizer, GenerationSettings(banned_strings=("세",)))
    proposal = banned.generate([NOISY])[0]
    assert proposal.text is None or "세" not in proposal.text
    short = KoBartGenerator(lora_model.model, lora_model.tokenizer, GenerationSettings(max_input_tokens=3))
    assert short.generate([CORPUS[1]])[0].text is None  # truncated input: no proposal rather than a cut one
    capped = KoBartGenerator(lora_model.model, lora_model.tokenizer,
                             GenerationSettings(max_new_tokens_ratio=0.0, max_new_tokens_extra=2))
    text = capped.generate([CORPUS[1]])[0].text
    assert text is not None and len(lora_model.tokenizer(text, add_special_tokens=False)["input_ids"]) <= 2


def test_seq2seq_scorer_prefers_the_learned_target_and_is_batch_invariant(lora_model):
    from service.neural.scorers import Seq2SeqScorer

    scorer = Seq2SeqScorer(lora_model.model, lora_model.tokenizer, 64)
    originals = [NOISY, NOISY, CORPUS[1]]
    candidates = [FIXED, NOISY, CORPUS[1] + " 회의"]
    batched = scorer.score(originals, candidates)
    single = [scorer.score([o], [c])[0] for o, c in zip(originals, candidates)]
    assert batched == pytest.approx(single, abs=1e-4)
    assert batched[0] > batched[1]
    assert all(s <= 0 for s in batched)


def test_mlm_scorer_is_a_mean_pseudo_log_likelihood(tmp_path):
    import torch
    from service.neural.loader import load_mlm
    from service.neural.scorers import MaskedLmScorer

    build_bert_mlm(tmp_path / "mlm")
    loaded = load_mlm(tmp_path / "mlm")
    scorer = MaskedLmScorer(loaded.model, loaded.tokenizer, 64)
    text = CORPUS[0]
    score = scorer.score(["x"], [text])[0]
    # Recompute by hand: mask each non-special token once, average its log-probability.
    ids = loaded.tokenizer(text)["input_ids"]
    values = []
    for pos in range(1, len(ids) - 1):
        masked = torch.tensor([ids[:pos] + [loaded.tokenizer.mask_token_id] + ids[pos + 1:]])
        with torch.no_grad():
            logits = loaded.model(input_ids=masked).logits[0, pos]
        values.append(torch.log_softmax(logits, -1)[ids[pos]].item())
    assert score == pytest.approx(sum(values) / len(values), abs=1e-4)
    assert scorer.score(["a", "b"], [text, CORPUS[1]]) == pytest.approx([score, scorer.score(["b"], [CORPUS[1]])[0]],
                                                                         abs=1e-4)


# -- training -------------------------------------------------------------------------------------------

def test_finetune_writes_an_adapter_and_reports_validation_cer(neural_dirs):
    report = neural_dirs["report"]
    lora = neural_dirs["lora"]
    assert (lora / "adapter_config.json").is_file() and (lora / "adapter_model.safetensors").is_file()
    assert (lora / "tokenizer.json").is_file()
    config = json.loads((lora / "adapter_config.json").read_text())
    assert (lora / config["base_model_name_or_path"]).resolve() == neural_dirs["copier"].resolve()
    assert report.val_pairs >= 1 and report.cer_before is not None and report.cer_after is not None
    assert report.cer_after <= report.cer_before
    assert report.losses[-1] < report.losses[0]


def test_finetune_cli_fails_clearly_on_bad_pairs(neural_dirs, tmp_path, caplog):
    from training.finetune import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"source": "only a source"}\n', encoding="utf-8")
    assert main(["--base", str(neural_dirs["copier"]), "--train", str(bad), "--out", str(tmp_path / "o")]) == 1
    assert "bad.jsonl:1" in caplog.text


def test_make_pairs_adds_asr_like_noise(tmp_path):
    from service.phonology import pronounce
    from training.make_pairs import main, make_pairs, pronunciation_spelling

    import random
    assert pronunciation_spelling("방법을", random.Random(0)) == pronounce("방법을") == "방버블"
    pairs = make_pairs(CORPUS, per_sentence=2, keep_ratio=0.0, seed=1)
    assert pairs == make_pairs(CORPUS, per_sentence=2, keep_ratio=0.0, seed=1)  # seeded, reproducible
    assert len(pairs) >= len(CORPUS)
    assert all(p.source != p.target and p.target in CORPUS and p.noise for p in pairs)
    kinds = {kind for p in pairs for kind in p.noise}
    assert {"pronunciation", "spacing"} <= kinds and kinds & {"merged_vowel", "misheard"}
    sentences = tmp_path / "s.txt"
    sentences.write_text("\n".join(CORPUS), encoding="utf-8")
    out = tmp_path / "pairs.jsonl"
    assert main(["--sentences", str(sentences), "--out", str(out), "--keep-ratio", "1"]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {"source", "target", "noise"} <= set(records[0])
    assert any(r["source"] == r["target"] for r in records)  # clean pairs teach leaving right text alone


def test_adapter_beside_the_model_is_applied_once(neural_dirs, lora_model, tmp_path):
    import torch
    from service.neural.loader import load_seq2seq

    layout = _copy(neural_dirs["copier"], tmp_path / "kobart_ec")
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(neural_dirs["lora"] / name, layout / name)
    beside = load_seq2seq(layout).model.state_dict()
    alone = lora_model.model.state_dict()
    assert beside.keys() == alone.keys()  # merged: no LoRA modules left
    assert all(torch.allclose(beside[k], alone[k], atol=1e-6) for k in alone)


# -- where the model runs: EC_DEVICE, half precision off the CPU, NEURAL_BATCH_SIZE ----------------------------

def test_auto_device_is_cuda_only_when_torch_sees_a_gpu():
    import torch
    from service.neural.loader import resolve_device

    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu").type == "cpu"


def test_half_precision_off_the_cpu_and_float32_on_it(neural_dirs):
    import torch
    from service.neural.loader import load_seq2seq, place

    on_cpu = load_seq2seq(neural_dirs["random"], device=torch.device("cpu"))
    assert on_cpu.model.dtype == torch.float32 and on_cpu.model.device.type == "cpu"
    # The meta device stands in for a GPU here: whatever is not the CPU gets float16.
    moved = place(on_cpu.model, torch.device("meta"))
    assert moved.dtype == torch.float16 and moved.device.type == "meta"


def test_cuda_asked_for_without_a_gpu_is_reported_and_the_embedded_tier_serves(neural_dirs, serve,
                                                                                embedded_results):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: EC_DEVICE=cuda is satisfiable here")
    client = serve(neural_dirs["random"], EC_DEVICE="cuda")
    health = client.get("/healthz").json()
    assert health["tiers"]["kobart"] == "absent" and "EC_DEVICE='cuda'" in health["problems"]["kobart"]
    assert _correct(client, SPEC_EXAMPLE)[0]["corrected"] == embedded_results["spec"][0]["corrected"]


def test_batch_size_setting_chunks_generation_without_changing_it(neural_dirs, lora_model, serve):
    from service.neural.refiner import KoBartGenerator

    calls: list[int] = []
    generate = lora_model.model.generate

    def counting(**kwargs):
        calls.append(len(kwargs["input_ids"]))
        return generate(**kwargs)

    texts = [NOISY, CORPUS[1], CORPUS[2], "회의", CORPUS[3]]
    whole = KoBartGenerator(lora_model.model, lora_model.tokenizer, GenerationSettings())
    expected = [p.text for p in whole.generate(texts)]
    lora_model.model.generate = counting
    try:
        in_twos = KoBartGenerator(lora_model.model, lora_model.tokenizer, GenerationSettings(), batch_size=2)
        assert [p.text for p in in_twos.generate(texts)] == expected
    finally:
        del lora_model.model.generate  # the instance attribute; the class's method again
    assert calls == [2, 2, 1]
    # The service builds its generator and scorer with EC_NEURAL_BATCH_SIZE.
    client = serve(neural_dirs["lora"], EC_NEURAL_BATCH_SIZE="3")
    resources = client.app.state.resources
    assert resources.refiner.generator.batch_size == 3 and resources.scorers[0].batch_size == 3
