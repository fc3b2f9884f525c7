"""Bounded working memory: a block's units are decoded a few thousand characters at a time."""

import unspin.restoring.pipeline
from unspin import Restorer
from unspin.restoring.edits import apply_edits

PARAGRAPH = ("The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr. "
             "Related Press reporters were informed of the prolonged vary assault plan.\n")


def test_units_are_decoded_in_bounded_groups_with_the_same_result(unigram_scorer, tiny_lexicon, monkeypatch):
    text = PARAGRAPH * 120  # some 20,000 characters: one block
    restorer = Restorer(scorer=unigram_scorer, lexicons=[tiny_lexicon], threshold=0.0)
    monkeypatch.setattr(unspin.restoring.pipeline, "DECODE_CHARACTERS", 10**9)
    whole = restorer.restore(text)
    sizes = []
    decode_units = unspin.restoring.pipeline.decode_units

    def recording(scorer, jobs, *args):
        sizes.append(sum(job.end - job.start for job in jobs))
        return decode_units(scorer, jobs, *args)

    monkeypatch.setattr(unspin.restoring.pipeline, "decode_units", recording)
    monkeypatch.setattr(unspin.restoring.pipeline, "DECODE_CHARACTERS", 2_000)
    grouped = restorer.restore(text)
    assert len(sizes) > 2 * len(text) // 2_000 - 2 and max(sizes) <= 2_000  # both passes, in groups
    assert grouped.edits == whole.edits and apply_edits(text, grouped.edits) == grouped.text
