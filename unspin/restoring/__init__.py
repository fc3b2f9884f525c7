"""Restoring: spun text in -> :class:`~unspin.restoring.edits.Restoration` out (restored text and edits).

The stages, in the order data flows (stage 1, tokens, is :mod:`unspin.text.tokens`):

2. :mod:`.lattice`: tokens -> slots, each with the candidate originals that the lexicons (and,
   where enabled, the model) propose.
3. :mod:`.scoring`: readings of a unit -> language-model log-scores (causal or masked LM).
4. :mod:`.decoder`: scored hypotheses + channel (lexicon weights, the document's spin rates) ->
   chosen edits with posterior confidences.
5. :mod:`.edits` and :mod:`.output`: edits as offsets into the input -> text, JSON or diff.

:mod:`.pipeline` composes them (:class:`~unspin.restoring.pipeline.Restorer`).
"""
