"""Text with character offsets, the ground every other part stands on.

- :mod:`.tokens`: text in -> paragraphs, sentences and tokens out, each a span with its offsets
  into the input (stage 1 of restoring; lexicons and evaluation tokenise the same way).
- :mod:`.align`: two texts in -> aligned sentence groups and token differences out (learning
  lexicons from pairs and evaluating restorations both align spun text to its original).
"""
