"""``netal synth``: membership query synthesis with a density guard vs pool sampling on the twin."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, given_flags, jobs_option, seed_runner
from netal.cli.acquire import _print_outcome, _ticker


def synth(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with a \\[synth] table whose keys are the settings below (flags win); see examples/synth.toml.",
    ),
    generator: str = typer.Option(None, "--generator", "-g", help="'gmm' or 'cvae'. Default: gmm."),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    rows: int = typer.Option(
        None, "--rows", min=50, help="Real twin rows (pool and generator data). Default: 3000."
    ),
    iterations: int = typer.Option(None, "--iterations", min=1, help="Query rounds. Default: 8."),
    batch_size: int = typer.Option(
        None, "--batch-size", min=1, help="Labels per round. Default: 8."
    ),
    n_initial: int = typer.Option(
        None, "--n-initial", min=1, help="Initial random labels. Default: 16."
    ),
    candidates: int = typer.Option(
        None, "--candidates", min=1, help="Synthetic candidates per round. Default: 1000."
    ),
    guard_quantile: float = typer.Option(
        None,
        "--guard-quantile",
        help="Density-guard rejection quantile of real data. Default: 0.01.",
    ),
    max_components: int = typer.Option(
        None,
        "--max-components",
        min=1,
        help="Most GMM components (guard, and the gmm generator). Default: 8.",
    ),
    epochs: int = typer.Option(None, "--epochs", min=1, help="cVAE training epochs. Default: 150."),
    n_test: int = typer.Option(
        None, "--n-test", min=6, help="Ordinary test rows (+ rare ones). Default: 600."
    ),
    out: Path = typer.Option(Path("synth-out"), "--out", "-o", help="Output directory."),
    jobs: int = jobs_option(),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Synthesize measurement queries (generator + density guard) and compare with pool sampling.

    Writes OUT/summary.json (with the guard's rejection rate and rare-condition coverage), OUT/queries.parquet and OUT/report.html. Settings come from --config (a \\[synth] table) and the flags (which win).
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.network import run_synthesis_experiment
    from netal.experiments.settings import load_synth

    with fail_cleanly(debug):
        flags = given_flags(
            generator=generator,
            seeds=seeds,
            first_seed=first_seed,
            rows=rows,
            iterations=iterations,
            batch_size=batch_size,
            n_initial=n_initial,
            candidates=candidates,
            guard_quantile=guard_quantile,
            max_components=max_components,
            epochs=epochs,
            n_test=n_test,
        )
        settings = load_synth(config, flags)
        seed_list = settings.seed_list()
        with seed_runner(
            jobs,
            len(seed_list),
            3 * len(seed_list),
            f"query synthesis ({settings.generator})",
            out,
        ) as (pool, tick):
            outcome = run_synthesis_experiment(
                out, **settings.study_kwargs(), on_result=_ticker(tick), executor=pool
            )
        _print_outcome(outcome)
        rates = outcome.summary["synthesis"]["rejection_rate"]
        typer.echo(f"density-guard rejection rate per seed: {', '.join(f'{r:.3f}' for r in rates)}")


def register(app: typer.Typer) -> None:
    """Attach ``netal synth`` to the main app."""
    app.command("synth")(synth)
