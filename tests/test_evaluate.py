"""Evaluation metrics (unspin.evaluation.metrics) and the eval command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unspin.cli import app
from unspin.evaluation.metrics import METRIC_KEYS, TextPair, evaluate, evaluate_pair

SPUN_2, GOLD_2 = "He mentioned the war ended.", "He {said|stated} the war ended."
SPUN = "He mentioned the warfare was long and the yr ended."
ORIG = "He said the war was long and the year ended."

CASES = [
    # system output, expected metrics (2 right, 1 spurious, 1 missed; 11 tokens, 3 in gold edits)
    ("He said the war was lengthy and the yr ended.",
     {"precision": 0.6667, "recall": 0.6667, "f05": 0.6667, "exact_restoration": 0.6667,
      "overcorrection": 0.125, "errors_before": 3, "errors_after": 2, "error_reduction": 0.3333}),
    (ORIG, {"precision": 1.0, "recall": 1.0, "f05": 1.0, "exact_restoration": 1.0, "overcorrection": 0.0,
            "errors_before": 3, "errors_after": 0, "error_reduction": 1.0}),
    (SPUN, {"precision": 1.0, "recall": 0.0, "f05": 0.0, "exact_restoration": 0.0, "overcorrection": 0.0,
            "errors_before": 3, "errors_after": 3, "error_reduction": 0.0}),
]


@pytest.mark.parametrize(("output", "expected"), CASES)
def test_hand_made_pair(output: str, expected: dict[str, float]) -> None:
    result = evaluate_pair(TextPair("t", SPUN, ORIG, output))
    assert result.counts.metrics() == expected


def test_identity_beside_system() -> None:
    report = evaluate([TextPair("t", SPUN, ORIG, ORIG)])
    assert report.system.metrics()["f05"] == 1.0
    assert report.identity.metrics() == CASES[2][1]
    assert set(report.to_dict()["system"]) >= set(METRIC_KEYS)


@pytest.mark.parametrize(
    ("spun", "gold", "output", "tp", "fp", "required", "errors_after"),
    [
        (SPUN_2, GOLD_2, "He stated the war ended.", 1, 0, 1, 0),
        (SPUN_2, GOLD_2, "He said the war ended.", 1, 0, 1, 0),
        (SPUN_2, GOLD_2, "He told the war ended.", 0, 1, 1, 1),
        # the spun word is itself an option: leaving it is fine, the other option is right too
        ("He said the war ended.", GOLD_2, "He said the war ended.", 0, 0, 0, 0),
        ("He said the war ended.", GOLD_2, "He stated the war ended.", 1, 0, 0, 0),
    ],
)
def test_uncertain_gold_groups(spun: str, gold: str, output: str, tp: int, fp: int, required: int,
                               errors_after: int) -> None:
    counts = evaluate_pair(TextPair("t", spun, gold, output)).counts
    assert (counts.tp, counts.fp, counts.required, counts.errors_after) == (tp, fp, required, errors_after)


def test_only_aligned_sentences_are_evaluated() -> None:
    spun = "He mentioned the war was long. Completely unrelated filler words are here now."
    orig = "He said the war was long."
    counts = evaluate_pair(TextPair("t", spun, orig)).counts
    assert (counts.tokens_evaluated, counts.tokens_total, counts.required) == (7, 15, 1)


def test_details_list_each_gold_edit() -> None:
    report = evaluate([TextPair("t", SPUN, ORIG, CASES[0][0])])
    verdicts = sorted((j.spun, j.verdict) for j in report.judgements)
    assert verdicts == [("long", "spurious"), ("mentioned", "right"), ("warfare", "right"), ("yr", "missed")]
    assert "right" in report.format_text(details=True)


def test_cli_json_keys(tmp_path: Path) -> None:
    for name, text in (("spun", SPUN), ("orig", ORIG), ("sys", CASES[0][0])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "a.txt").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "--spun", str(tmp_path / "spun"), "--orig",
                                      str(tmp_path / "orig"), "--system", str(tmp_path / "sys"),
                                      "--format", "json", "--details"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(METRIC_KEYS) <= set(data["system"]) and set(METRIC_KEYS) <= set(data["identity"])
    assert data["system"]["f05"] == 0.6667 and len(data["details"]) == 4


def test_cli_missing_file_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--spun", str(tmp_path / "no"), "--orig", str(tmp_path / "no"),
                                      "--system", str(tmp_path / "no")])
    assert result.exit_code == 2
