"""Formats people already hold — SRT/WebVTT subtitles, Whisper verbose_json, Vosk results — in and out of the
correction pipeline. Each format module turns its documents into `SegmentInput`s and writes the pipeline's
results back in the same shape; `runner.correct_texts` is the one place the pipeline is called from here.
"""
