"""Lexicons: sources (thesauri, tortured-phrase lists, spun/original pairs) in -> lexicon files out.

- :mod:`.format`: the lexicon file (TSV with a provenance header) and :class:`~.format.Lexicon`,
  spun phrase -> candidate originals with P(spun | original); where the shipped files live.
- :mod:`.build`: building each shipped lexicon (``unspin lexicon build``) from
  :mod:`.thesaurus` (WordNet + Moby, inverted; Moby read by :mod:`.moby`), :mod:`.tortured`
  (the Problematic Paper Screener's list) and :mod:`.news` (the seed pair).
- :mod:`.learn`: a spinner's lexicon learned from aligned (spun, original) pairs (``unspin learn``),
  judged by :mod:`.relatedness` (is a swap a plausible thesaurus swap?).
- :mod:`.unpaired`: a spinner's lexicon induced from its spun texts alone (``unspin learn --unpaired``),
  by expectation-maximisation with the restorer.
"""
