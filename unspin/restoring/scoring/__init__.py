"""Stage 3, scoring: readings of a unit of text in -> language-model log-scores out.

A unit (a paragraph, or a piece of a long one) is a list of pieces ``[gap, slot, gap,
slot, ..., gap]``; a slot piece carries its leading white space, so that word-initial
sub-word tokens stay as the model saw them in training. The decoder asks for the
log-probability of the text from one slot to another with given readings (plus a short
window of the following text, which is what tells "finish the war more" from "finish the
warfare extra").

- :mod:`.protocol`: the :class:`~.protocol.Scorer` protocol every backend follows.
- :mod:`.models`: which model (hub id, local folder, or the offline default converted once).
- :mod:`.loading`: build the scorer the model's config calls for.
- :mod:`.causal`: a causal LM (each unit run once, its KV cache reused; only what differs is run again),
  with its parts: :mod:`.head` (the vocabulary normaliser), :mod:`.packing` (readings packed into one
  sequence as a prefix tree, and its attention mask), :mod:`.model_patches` (unit-by-unit attention, erf GELU).
- :mod:`.masked`: a masked LM (pseudo log-likelihood of the slot's tokens, masked).

torch and transformers are imported only when a scorer is built.
"""
