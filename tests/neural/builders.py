"""Tiny Hugging Face models built at test time: no weights are downloaded or committed.

The tokenizer mimics KoBART's (BPE over a Metaspace pre-tokenizer, <s>/</s> *not* added by the tokenizer),
so the service's own wrapping of sources and targets is what the tests exercise.
"""
from __future__ import annotations

from pathlib import Path

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # BART's order: bos 0, pad 1, eos 2

CORPUS = [
    "지금부터 회의를 시작하겠습니다",
    "다음 주 스프린트 계획을 공유해 주세요",
    "방법을 같이 찾아봅시다",
    "회의록은 제가 정리하겠습니다",
    "오늘 안건은 세 가지입니다",
    "킥오프 미팅은 금요일에 합니다",
    "발표 자료를 먼저 보겠습니다",
    "프로젝트 일정이 조금 늦어졌습니다",
]


def build_tokenizer(directory: Path, sentences: list[str], vocab_size: int = 400):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS, show_progress=False)
    tokenizer.train_from_iterator(sentences, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", pad_token="<pad>",
                                   eos_token="</s>", unk_token="<unk>", mask_token="<mask>")
    directory.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(directory))
    return fast


def build_bart(directory: Path, sentences: list[str] | None = None, d_model: int = 64, layers: int = 1,
               seed: int = 0):
    """A randomly initialised tiny BART with its tokenizer, saved as a Hugging Face directory."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    tokenizer = build_tokenizer(directory, sentences or CORPUS)
    config = BartConfig(
        vocab_size=len(tokenizer), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=2 * d_model,
        decoder_ffn_dim=2 * d_model, max_position_embeddings=128, pad_token_id=1, bos_token_id=0,
        eos_token_id=2, decoder_start_token_id=2, forced_eos_token_id=2,
    )
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(config)
    model.save_pretrained(str(directory))
    return model, tokenizer


def build_bert_mlm(directory: Path, sentences: list[str] | None = None, hidden: int = 32, seed: int = 0):
    """A tiny random BERT masked LM with a WordPiece tokenizer, saved as a Hugging Face directory."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, PreTrainedTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(sentences or CORPUS, trainers.WordPieceTrainer(vocab_size=300, special_tokens=specials,
                                                                           show_progress=False))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    directory.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(directory))
    config = BertConfig(vocab_size=len(fast), hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=2 * hidden, max_position_embeddings=128, pad_token_id=0)
    torch.manual_seed(seed)
    BertForMaskedLM(config).save_pretrained(str(directory))
    return fast


def train_copier(directory: Path, sentences: list[str], steps: int = 100, lr: float = 1e-2, seed: int = 0) -> float:
    """Full-parameter training of the tiny BART in `directory` to copy `sentences`, saved in place.

    A real KoBART arrives already able to reproduce Korean text; a random tiny model is not, and LoRA alone
    cannot teach it that in a few dozen steps. This gives the tests a base with the same starting point.
    Returns the last loss.
    """
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from service.neural.encoding import encode_sources, pad_batch, token_ids, wrap_target

    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(directory))
    model = AutoModelForSeq2SeqLM.from_pretrained(str(directory))
    model.config.dropout = model.config.attention_dropout = 0.0
    sources = encode_sources(tokenizer, sentences, 64)
    labels, _ = pad_batch([wrap_target(tokenizer, token_ids(tokenizer, s), 64) for s in sentences], 0, fill=-100)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    loss = torch.tensor(0.0)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = model(input_ids=sources.input_ids, attention_mask=sources.attention_mask, labels=labels).loss
        loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(str(directory))
    return loss.item()
