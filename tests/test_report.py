"""The HTML report (restore --format html) and the spin summary of the JSON output."""

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unspin import Restorer
from unspin.cli import app
from unspin.restoring.edits import count_words, mean_rates
from unspin.restoring.report import band, render_html

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED = next(iter(sorted(SEEDS.glob("001_*.txt"))), None) if SEEDS.is_dir() else None
SPUN = "The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr.\n"
VOID = {"meta", "br", "input", "link", "img", "hr", "wbr"}


class Page(HTMLParser):
    """Checks that tags balance, and collects each edit and the text of the marked-up document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.edits, self.tags = [], [], [], []
        self.source, self.restored = [], []  # the .text div read without <ins>, and without <del>
        self._text_depth = None  # stack depth of the .text div while inside it
        self._skip = None  # inside: "ins", "del" or "tip"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag in VOID:
            return
        self.stack.append((tag, attrs))
        classes = (attrs.get("class") or "").split()
        if attrs.get("id") == "marked-text":
            self._text_depth = len(self.stack)
        if "edit" in classes:
            self.edits.append({**attrs, "band": classes[1], "del": "", "ins": "", "tip": ""})
        if self.edits and self._text_depth and tag in ("del", "ins"):
            self._skip = tag
        if "tip" in classes:
            self._skip = "tip"

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1][0] if self.stack else 'nothing'}")
            return
        _, attrs = self.stack.pop()
        if tag in ("del", "ins") or "tip" in (attrs.get("class") or "").split():
            self._skip = None
        if self._text_depth and len(self.stack) < self._text_depth:
            self._text_depth = None

    def handle_data(self, data):
        if self._skip and self.edits:
            self.edits[-1][self._skip] += data
        if self._text_depth and self._skip != "tip":
            if self._skip != "ins":
                self.source.append(data)
            if self._skip != "del":
                self.restored.append(data)


def parse(html: str) -> Page:
    parser = Page()
    parser.feed(html)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack, f"unclosed: {[t for t, _ in parser.stack]}"
    return parser


@pytest.fixture
def restorer(tiny_lexicon, unigram_scorer):
    return Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer, threshold=0.0)


@pytest.mark.skipif(SEED is None, reason="the seed story (../shared/seeds/001_*.txt) is not present")
def test_seed_report_is_valid_html_with_every_edit_and_its_confidence(restorer):
    text = SEED.read_text(encoding="utf-8")
    restoration = restorer.restore(text)
    data = json.loads(json.dumps(restoration.to_dict()))  # what --format json prints
    assert len(data["edits"]) >= 10
    html = render_html(restoration)
    assert html.startswith("<!DOCTYPE html>")
    page = parse(html)
    assert page.tags.count("html") == page.tags.count("head") == page.tags.count("body") == 1
    assert "script" not in page.tags and "link" not in page.tags and "src=" not in html  # nothing external
    assert 'name="viewport"' in html and "@media print" in html and "pre-wrap" in html
    assert len(page.edits) == len(data["edits"])
    for shown, edit in zip(page.edits, data["edits"]):
        assert (int(shown["data-start"]), int(shown["data-end"])) == (edit["start"], edit["end"])
        assert (shown["del"], shown["ins"]) == (edit["original"], edit["replacement"])
        assert float(shown["data-confidence"]) == edit["confidence"]
        assert shown["band"] == band(edit["confidence"])
        assert shown["tabindex"] == "0" and shown["aria-describedby"] == shown["id"] + "-tip"
        assert edit["lexicon"] in shown["tip"] and shown["data-percent"] in shown["tip"]
    # The marked-up text is the input (read with the struck words) and the output (with the restored
    # ones), every space and line break kept.
    assert "".join(page.source) == text
    assert "".join(page.restored) == data["text"]
    spin = data["spin"]
    assert spin["words"] == count_words(text) > 1000 and spin["words_restored"] >= len(data["edits"])
    assert f"of {spin['words']})" in html and spin["edits_by_lexicon"] == {"tiny": len(data["edits"])}
    assert 0 < spin["rates"]["tiny"] <= 1 and f"{spin['rates']['tiny']:.0%}" in html
    assert "unigram-fake" in html


def test_user_text_is_escaped(restorer):
    text = 'A <script>alert("x")</script> & <b>warfare</b> in "quotes"\r\n\n\tyr.'
    restoration = restorer.restore(text)
    html = render_html(restoration, title="<i>report</i>")
    page = parse(html)
    assert "script" not in page.tags and "b" not in page.tags and "i" not in page.tags
    assert "".join(page.source) == text and "".join(page.restored) == restoration.text
    assert [(e["del"], e["ins"]) for e in page.edits] == [("warfare", "war"), ("yr", "year")]


def test_unspun_text_says_so(restorer):
    text = "Putin has made clear that providing Ukraine with Tomahawks would cross a red line."
    page = parse(html := render_html(restorer.restore(text)))
    assert page.edits == [] and "No edits" in html and "".join(page.source) == text


def test_spin_summary_ranks_spun_above_clean_text(restorer):
    clean = "Trump told reporters that the Associated Press and Reuters confirmed the call.\n" * 3
    spun, plain = restorer.restore_many([SPUN * 3, clean])
    assert spun.spin_rates["tiny"] > plain.spin_rates.get("tiny", 0.0)
    summary = spun.to_dict()["spin"]
    assert summary["words"] == 3 * 16 and summary["words_restored"] == 3 * 4
    assert summary["share_restored"] == pytest.approx(0.25)
    assert plain.to_dict()["spin"]["words_restored"] == 0


def test_rates_of_blocks_are_averaged_by_size():
    assert mean_rates([(100, {"a": 0.5, "b": 0.2}), (300, {"a": 0.1})]) == {"a": pytest.approx(0.2), "b": 0.2}
    assert mean_rates([]) == {}


def test_cli_html_and_json_agree_also_when_streamed(tmp_path, tiny_causal, tiny_lexicon, monkeypatch):
    import unspin.files
    import unspin.restoring.pipeline

    story = tmp_path / "story.txt"
    story.write_text(SPUN * 40, encoding="utf-8")
    common = ["--model", str(tiny_causal), "--lexicon", str(tiny_lexicon), "--threshold", "0", "--no-progress",
              "--no-propose"]  # a random model's own proposals are noise
    runner = CliRunner()
    outputs = {}
    for streamed in (False, True):
        if streamed:  # several blocks, restored one at a time: the page and the summary still cover it all
            monkeypatch.setattr(unspin.files, "BATCH_CHARACTERS", 100)
            monkeypatch.setattr(unspin.restoring.pipeline, "BLOCK_CHARACTERS", 500)
        for fmt in ("json", "html"):
            out = tmp_path / f"out-{streamed}.{fmt}"
            result = runner.invoke(app, ["restore", str(story), "--format", fmt, "-o", str(out), *common])
            assert result.exit_code == 0, result.output
            outputs[streamed, fmt] = out.read_text(encoding="utf-8")
    for streamed in (False, True):
        data = json.loads(outputs[streamed, "json"])
        page = parse(outputs[streamed, "html"])
        assert [(int(e["data-start"]), e["ins"]) for e in page.edits] == [
            (e["start"], e["replacement"]) for e in data["edits"]]
        assert "".join(page.restored) == data["text"] and "".join(page.source) == SPUN * 40
        assert data["spin"]["words"] == 40 * 16 and set(data["spin"]["rates"]) == {"tiny"}
    batch, stream = json.loads(outputs[False, "json"])["spin"], json.loads(outputs[True, "json"])["spin"]
    assert batch["words"] == stream["words"]


def test_several_inputs_get_html_files(tmp_path, tiny_causal, tiny_lexicon):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(SPUN, encoding="utf-8")
    result = CliRunner().invoke(app, ["restore", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "-f", "html",
                                      "-o", str(tmp_path / "out"), "--model", str(tiny_causal),
                                      "--lexicon", str(tiny_lexicon)])
    assert result.exit_code == 0, result.output
    for name in ("a.txt.html", "b.txt.html"):
        assert "".join(parse((tmp_path / "out" / name).read_text(encoding="utf-8")).source) == SPUN
