"""The report's conventions: one number format, the conclusion rule, seed wording, the run identity."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from _report_kinds import noisy_records

from netal.report import build_report, summary_from_results, write_summary
from netal.report.conclusions import (
    MIN_PAIRED_SEEDS,
    describe_seeds,
    seeds_note,
    verdict,
)
from netal.report.identity import (
    command_line,
    cpu_description,
    kernels_description,
    run_identity,
)
from netal.report.numbers import format_number, format_p_value, markdown_table


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (17720.4, "17,720"),
        (8560, "8,560"),
        (8560.0, "8,560"),
        (333.14, "333.1"),
        (1.7724, "1.772"),
        (20.0, "20"),
        (0.5, "0.5"),
        (0.012345, "0.0123"),
        (-0.05, "-0.05"),
        (999.96, "1,000"),
        (1e-9, "~0"),
        (math.nan, "n/a"),
        (None, "n/a"),
        (np.float32(2.5), "2.5"),
    ],
)
def test_one_number_format_without_scientific_notation(value: object, text: str) -> None:
    assert format_number(value) == text


def test_p_values_and_tables_use_the_format() -> None:
    assert format_p_value(0.0004) == "< 0.001" and format_p_value(0.0456) == "0.046"
    frame = pd.DataFrame({"arm": ["a"], "cost": [17720.0], "rmse": [8560.2], "t_pvalue": [1e-9]})
    table = markdown_table(frame, {"cost": "cost (agent s)"})
    assert "| a | 17,720 | 8,560 | < 0.001 |" in table and "cost (agent s)" in table
    assert not re.search(r"\de[+-]\d", table)


def test_seed_wording() -> None:
    assert describe_seeds([0]) == "1 seed: 0"
    assert describe_seeds([1, 0]) == "2 seeds: 0, 1"
    assert describe_seeds(range(10)) == "10 seeds: 0–9"
    assert describe_seeds([0, 2, 5]) == "3 seeds: 0, 2, 5"


def test_the_conclusion_rule() -> None:
    assert verdict(MIN_PAIRED_SEEDS - 1, -2.0, -1.0, "random").startswith("not enough seeds")
    assert verdict(MIN_PAIRED_SEEDS, -2.0, 0.5, "random").startswith("no conclusion")
    assert verdict(MIN_PAIRED_SEEDS, math.nan, math.nan, "random").startswith("no conclusion")
    assert verdict(10, -2.0, -1.0, "random") == "lower mean log RMSE than random"
    assert verdict(10, 1.0, 2.0, "random") == "higher mean log RMSE than random"
    assert seeds_note(2, [], "random").startswith("2 seeds: not enough for a conclusion")
    assert seeds_note(1, [], None).startswith("1 seed: not enough for a conclusion")


def test_summary_records_units_conclusions_identity_and_writes_markdown(tmp_path) -> None:
    records = noisy_records(np.random.default_rng(3), ("random", "uncertainty"), 6)
    summary = summary_from_results(
        records, experiment="e", dataset="twin", protocol="p", units={"rmse": "Mbit/s"}
    )
    arms = summary["conclusions"]["arms"]
    assert [a["arm"] for a in arms] == ["uncertainty"] and arms[0]["n_pairs"] == 6
    assert arms[0]["verdict"] == "lower mean log RMSE than random"
    reach = summary["tables"]["Labels to reach random's final RMSE (seeds that reached it)"]
    assert "| random |" not in reach and "| uncertainty |" in reach
    assert "final RMSE (Mbit/s)" in summary["tables"]["Scores (mean over seeds ± standard error)"]
    write_summary(tmp_path, summary)
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert stored["units"] == {"rmse": "Mbit/s"} and stored["run"]["netal"]
    markdown = (tmp_path / "summary.md").read_text()
    assert "- seeds: 6 seeds: 0–5" in markdown and "## Run identity" in markdown
    assert "## Labels to reach random's final RMSE" in markdown


def test_a_summary_without_identity_is_reported_with_the_builders(tmp_path) -> None:
    records = noisy_records(np.random.default_rng(4), ("random", "uncertainty"), 2)
    summary = summary_from_results(records, experiment="e", dataset="twin", protocol="p")
    for key in ("run", "units", "conclusions"):
        summary.pop(key, None)  # as written before netal recorded them
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    page = build_report(tmp_path).read_text()
    assert "not recorded by the run; of the process that built this report" in page
    assert "2 seeds: not enough for a conclusion" in page


def test_run_identity_has_every_key() -> None:
    identity = run_identity(["/usr/bin/netal", "casestudy", "--seeds", "1", "--out", "a b"])
    assert identity["command"] == "netal casestudy --seeds 1 --out 'a b'"
    assert {"netal", "git_commit", "date", "platform", "python", "libraries"} <= set(identity)
    assert identity["libraries"]["numpy"] == np.__version__
    assert command_line([]) == "(none)"
    assert {"cpu", "kernels", "threads"} <= set(identity)


CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Gold 6338
flags\t\t: fpu sse2 avx avx2 fma avx512f

processor\t: 1
vendor_id\t: AuthenticAMD
"""


def test_identity_names_the_cpu_its_vector_flags_and_the_opt_in() -> None:
    assert cpu_description(CPUINFO) == "GenuineIntel, Intel(R) Xeon(R) Gold 6338, avx2 fma avx512f"
    assert cpu_description("vendor_id: AuthenticAMD\nflags: sse2\n").endswith(
        "no vector flags listed"
    )
    assert "NETAL_REPRODUCIBLE=1" in kernels_description({"NETAL_REPRODUCIBLE": "yes"})
    assert "not set" in kernels_description({})
    assert "MKL_CBWR=AVX2" in kernels_description({"MKL_CBWR": "AVX2"})
