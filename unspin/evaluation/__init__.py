"""Evaluation: (spun, original[, system output]) texts in -> metrics out.

- :mod:`.reference`: gold originals, with ``{a|b}`` where the original is uncertain.
- :mod:`.metrics`: span precision, recall, F0.5, exact restoration, over-correction and token
  error reduction (ERRANT conventions), beside the identity baseline (``unspin eval``).
- :mod:`.spin`: a reference dictionary spinner that makes synthetic pairs with gold edits
  (``unspin spin``).
"""
