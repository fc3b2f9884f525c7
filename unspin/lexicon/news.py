"""The shipped ``news`` lexicon: mined from the seed pair, and the rule that could extend it.

:func:`build_news_lexicon` learns it (:mod:`unspin.lexicon.learn`) from the seed pair. The extension
rule adds thesaurus swaps that behave like the mined ones.

The mined swaps show how a news spinner works: it replaces a *frequent* content word
("said", "war", "told") by a thesaurus synonym of the same part of speech that is
*less frequent* than it ("mentioned", "warfare", "informed"). The rule takes exactly
those thesaurus pairs for the most frequent English content words, keeps a few per word,
re-inflects them, and gives them a weight below any mined count.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lemminflect import getAllLemmas
from wordfreq import top_n_list, zipf_frequency

from unspin.lexicon.format import LexiconEntry, lexicon_dir
from unspin.lexicon.learn import inflected_pairs, learn_entries, learn_lexicon, read_text_pairs
from unspin.lexicon.relatedness import Relatedness, default_relatedness

TOP_ORIGINALS = 1000      # originals: the most frequent English words ...
FUNCTION_WORDS = 100      # ... less the very most frequent (function words)
MIN_GAP = 0.5             # the substitute is at least this much rarer (Zipf scale) ...
MIN_ZIPF = 3.5            # ... yet still a common word
PER_ORIGINAL = 1          # the most frequent substitutes that qualify, per original
WEIGHT = 0.25             # count-weight of an extension entry (mined counts are >= 1)
_CONTENT = {"NOUN", "VERB", "ADJ", "ADV"}

EXTENSION_RULE = (
    f"thesaurus pairs (original -> substitute) where the original is one of the {TOP_ORIGINALS} most "
    f"frequent English words (wordfreq) but not of the top {FUNCTION_WORDS}, a lemma of a content part of "
    f"speech; the substitute is a single word sharing that part of speech, with Zipf frequency >= {MIN_ZIPF} "
    f"and at least {MIN_GAP} below the original's; the {PER_ORIGINAL} most frequent such substitute(s) per "
    f"original, with their inflections; weight {WEIGHT} (below every mined count)"
)


def _content_pos(word: str) -> set[str]:
    """Content parts of speech for which ``word`` is its own lemma."""
    return {upos for upos, lemmas in getAllLemmas(word).items() if upos in _CONTENT and word in lemmas}


def _substitutes(original: str, relatedness: Relatedness) -> list[str]:
    pos = _content_pos(original)
    ceiling = zipf_frequency(original, "en") - MIN_GAP
    found = []
    for word in relatedness.neighbours(original):
        if not word.isalpha() or not pos & set(getAllLemmas(word)):
            continue
        zipf = zipf_frequency(word, "en")
        if MIN_ZIPF <= zipf <= ceiling:
            found.append((-zipf, word))
    return [word for _, word in sorted(found)[:PER_ORIGINAL]]


def thesaurus_extension(mined: Sequence[LexiconEntry], relatedness: Relatedness) -> list[LexiconEntry]:
    """Extension entries (spun substitute -> original) by :data:`EXTENSION_RULE`, none already mined."""
    known = {(e.spun, e.original) for e in mined}
    frequent = top_n_list("en", TOP_ORIGINALS)[FUNCTION_WORDS:]
    originals = [w for w in frequent if w.isalpha() and _content_pos(w)]
    entries: dict[tuple[str, str], LexiconEntry] = {}
    for original in originals:
        for spun in _substitutes(original, relatedness):
            for s, o in [(spun, original), *inflected_pairs(spun, original)]:
                if (s, o) not in known:
                    entries.setdefault((s, o), LexiconEntry(s, o, WEIGHT, "thesaurus extension"))
    return list(entries.values())


def build_news_lexicon(spun: Path, orig: Path, output: Path, thesaurus: Path | None = None,
                       extend: bool = False, sources: Path | None = None) -> Path:
    """Mine the shipped ``news`` lexicon from aligned pairs, optionally extended with thesaurus swaps.

    ``spun`` and ``orig`` are two files (the seed pair) or two folders of same-named files (the seed
    pair and pairs collected from public web pages, kept outside the repository: their text belongs
    to the publishers). ``sources`` (TSV: name, spun address, original address, outlet and date)
    puts every pair's addresses into the lexicon's header.

    Relatedness comes from ``thesaurus`` (default ``lexicons/thesaurus.tsv.xz`` if present),
    else Moby; the extension rule is in :func:`thesaurus_extension`.
    The shipped file is built without the extension: its swaps (e.g. "trump" -> "means") did
    not behave like the spinner, and the thesaurus lexicon already proposes them with
    diffuse weights, which is what they deserve.
    """
    if thesaurus is None:
        thesaurus = lexicon_dir() / "thesaurus.tsv.xz"
    relatedness = default_relatedness(thesaurus)
    pairs = read_text_pairs(Path(spun), Path(orig))
    mined = learn_entries(pairs, relatedness)
    extension = thesaurus_extension(mined, relatedness) if extend and relatedness is not None else []
    if Path(spun).is_file():
        source = (f"mined by unspin.lexicon.learn from {Path(spun).name} (spun) vs {Path(orig).name} (edited copy of "
                  f"the same story); {len(extension)} entries added by the extension rule")
    else:
        source = (f"mined by unspin.lexicon.learn from {len(pairs)} spun/original pairs (the seed pair and public "
                  f"web pages, addresses below); {len(extension)} entries added by the extension rule")
    header = {"extension": EXTENSION_RULE if extend else "none"}
    header.update(_pair_sources(sources) if sources else {})
    return learn_lexicon(pairs, Path(output), "news", source, relatedness, extra_entries=extension,
                         extra_header=header)


def _pair_sources(path: Path) -> dict[str, str]:
    """Header lines ``pair NAME: spun <address> original <address> (outlet, date)`` from a sources TSV."""
    found = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) >= 3 and not line.startswith("#"):
            where = f" ({cells[3]})" if len(cells) > 3 else ""
            found[f"pair {cells[0]}"] = f"spun {cells[1]} original {cells[2]}{where}"
    return found
