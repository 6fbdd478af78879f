"""What a report says, whatever it is written in: its facts, its seeds note, and ``summary.md``.

The HTML page (:mod:`netal.report.html`) and the Markdown summary
(:func:`summary_markdown`) show the same header facts (:func:`facts`), the
same note on whether the seeds allow a conclusion (:func:`note`) and the same
run identity, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netal.report.conclusions import describe_seeds, seeds_note, verdict_rows
from netal.report.identity import identity_rows
from netal.report.inputs import Summary

QUANTITY_NAMES = {"rmse": "RMSE", "cost": "cost"}


def units_text(units: dict[str, str]) -> str:
    """``"RMSE in Mbit/s; cost in agent s"``, or a plain statement that none is known."""
    parts = [f"{QUANTITY_NAMES.get(k, k)} in {v}" for k, v in units.items()]
    return "; ".join(parts) if parts else "not recorded (RMSE is in the target's unit)"


def all_seeds(summaries: Sequence[Summary]) -> list[int]:
    """The seeds of every summary, sorted, each once."""
    return sorted({s for summary in summaries for s in summary.seeds})


def facts(summaries: Sequence[Summary]) -> dict[str, str]:
    """The header of a report: experiment, dataset(s), protocol, seeds (how many and which), arms, units."""
    first = summaries[0]
    units: dict[str, str] = {}
    for summary in summaries:
        units.update(summary.units)
    return {
        "experiment": first.experiment,
        "dataset": ", ".join(s.dataset for s in summaries),
        "protocol": first.protocol,
        "seeds": describe_seeds(all_seeds(summaries)),
        "arms": ", ".join(dict.fromkeys(a for s in summaries for a in s.arms)),
        "units": units_text(units),
    }


def verdicts_of(summaries: Sequence[Summary]) -> tuple[list[dict[str, Any]], str | None]:
    """Every arm's verdict (named by dataset when there are several) and the baseline."""
    verdicts: list[dict[str, Any]] = []
    baseline = None
    for summary in summaries:
        if summary.conclusions is None:
            continue
        baseline = summary.conclusions.get("baseline", baseline)
        prefix = f"{summary.dataset}: " if len(summaries) > 1 else ""
        for arm in summary.conclusions["arms"]:
            verdicts.append({**arm, "arm": prefix + str(arm["arm"])})
    return verdicts, baseline


def note(summaries: Sequence[Summary]) -> str:
    """Whether the seeds allow a conclusion (:func:`netal.report.conclusions.seeds_note`)."""
    verdicts, baseline = verdicts_of(summaries)
    return seeds_note(len(all_seeds(summaries)), verdicts, baseline)


def identity_of(summaries: Sequence[Summary], built_by: dict[str, Any]) -> tuple[str, dict]:
    """The identity to show and its heading: the run's own, else the process building the report."""
    recorded = next((s.run for s in summaries if s.run), None)
    if recorded is not None:
        return "Run identity", recorded
    return "Run identity (not recorded by the run; of the process that built this report)", built_by


def summary_markdown(summary: Summary) -> str:
    """``summary.md``: facts, seeds note, run identity, conclusions and every table."""
    lines = [f"# netal report: {summary.experiment}", ""]
    lines += [f"- {key}: {value}" for key, value in facts([summary]).items()]
    lines += ["", f"**{note([summary])}**", ""]
    if summary.run:
        lines += ["## Run identity", ""]
        lines += [f"- {label}: {text}" for label, text in identity_rows(summary.run)]
        lines.append("")
    verdicts, _ = verdicts_of([summary])
    if verdicts:
        lines += ["## Conclusions", ""]
        lines += [f"- {arm}: {text}" for arm, text in verdict_rows(verdicts)]
        lines.append("")
    for title, table in summary.tables.items():
        lines += [f"## {title}", "", table.strip(), ""]
    return "\n".join(lines)
