"""Command line: `python -m cli correct INPUT [-o OUTPUT] [--hotwords-file F] [--lexicon-file F]`."""
