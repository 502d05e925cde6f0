"""The neural tier: KoBART refinement (optionally LoRA-adapted) and the seq2seq / masked-LM gain scorers.

Everything here works with whatever Hugging Face directory it is given; `loader.load_neural` is the entry point
`service.resources` calls. torch and transformers are imported only when a model directory is actually present,
so the embedded tier starts fast without them.
"""
