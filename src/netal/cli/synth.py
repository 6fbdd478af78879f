"""``netal synth``: membership query synthesis with a density guard vs pool sampling on the twin."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, jobs_option, seed_runner
from netal.cli.acquire import _print_outcome, _ticker
from netal.errors import InvalidInputError

GENERATOR_PARAMS = {
    "gmm": lambda components, epochs: {"max_components": components},
    "cvae": lambda components, epochs: {"epochs": epochs},
}
"""Command-line knobs passed to each named generator."""


def synth(
    generator: str = typer.Option("gmm", "--generator", "-g", help="'gmm' or 'cvae'."),
    seeds: int = typer.Option(3, "--seeds", "-s", min=1, help="Replication seeds."),
    first_seed: int = typer.Option(0, "--first-seed", min=0, help="First seed."),
    rows: int = typer.Option(
        3000, "--rows", min=50, help="Real twin rows (pool and generator data)."
    ),
    iterations: int = typer.Option(8, "--iterations", min=1, help="Query rounds."),
    batch_size: int = typer.Option(8, "--batch-size", min=1, help="Labels per round."),
    n_initial: int = typer.Option(16, "--n-initial", min=1, help="Initial random labels."),
    candidates: int = typer.Option(
        1000, "--candidates", min=1, help="Synthetic candidates per round."
    ),
    guard_quantile: float = typer.Option(
        0.01, "--guard-quantile", help="Density-guard rejection quantile of real data."
    ),
    max_components: int = typer.Option(
        8, "--max-components", min=1, help="Most GMM components (guard, and the gmm generator)."
    ),
    epochs: int = typer.Option(150, "--epochs", min=1, help="cVAE training epochs."),
    n_test: int = typer.Option(600, "--n-test", min=6, help="Ordinary test rows (+ rare ones)."),
    out: Path = typer.Option(Path("synth-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Synthesize measurement queries (generator + density guard) and compare with pool sampling.

    Writes OUT/summary.json (with the guard's rejection rate and rare-condition coverage), OUT/queries.parquet and OUT/report.html.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.network import run_synthesis_experiment
    from netal.synthesis import GENERATORS

    with fail_cleanly(debug):
        GENERATORS.get(generator)
        if generator not in GENERATOR_PARAMS:
            raise InvalidInputError(
                "--generator", f"{generator!r} has no command-line parameters here"
            )
        seed_list = list(range(first_seed, first_seed + seeds))
        with seed_runner(
            jobs, len(seed_list), 3 * len(seed_list), f"query synthesis ({generator})"
        ) as (pool, tick):
            outcome = run_synthesis_experiment(
                out,
                generator=generator,
                seeds=seed_list,
                rows=rows,
                iterations=iterations,
                batch_size=batch_size,
                n_initial=n_initial,
                n_candidates=candidates,
                guard_quantile=guard_quantile,
                n_test=n_test,
                guard_components=max_components,
                generator_params=GENERATOR_PARAMS[generator](max_components, epochs),
                on_result=_ticker(tick),
                executor=pool,
            )
        _print_outcome(outcome)
        rates = outcome.summary["synthesis"]["rejection_rate"]
        typer.echo(f"density-guard rejection rate per seed: {', '.join(f'{r:.3f}' for r in rates)}")


def register(app: typer.Typer) -> None:
    """Attach ``netal synth`` to the main app."""
    app.command("synth")(synth)
