"""``netal federated``: federated active learning on Flower, selection arms x seeds, resumable."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, given_flags, grid_progress, split_names


def federated(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with a \\[federated] table whose keys are the settings below (flags win).",
    ),
    source: str = typer.Option(
        None,
        "--source",
        help="Clients: 'twin' (one per micro base station), 'twin-dirichlet' (control), 'ucc5g' (mobility x app), 'umn-mmwave' (walking campaigns), 'barcelona-lte' (LTE cells, next-step load). Default: twin.",
    ),
    arms: str = typer.Option(
        None,
        "--arms",
        help="Comma-separated arms: random, local, global, logo, central, central-random; '+int8' (8-bit updates), '+q8' (8-bit both ways), '+q8z' (8-bit both ways, deflated), '+topk' (top-k 8-bit updates, 8-bit downlink) or '+fedprox' after a federated arm. Default: random,local,global,logo,central.",
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    rounds: int = typer.Option(None, "--rounds", min=1, help="Labeling rounds. Default: 10."),
    batch: int = typer.Option(
        None, "--batch", min=1, help="Labels per client per round. Default: 5."
    ),
    pool_size: int = typer.Option(
        None, "--pool-size", min=1, help="Pool rows per client. Default: 400."
    ),
    n_initial: int = typer.Option(
        None, "--n-initial", min=1, help="Initial labels per client. Default: 10."
    ),
    local_epochs: int = typer.Option(
        None, "--local-epochs", min=1, help="Local epochs per round. Default: 10."
    ),
    workers: int = typer.Option(
        None, "--workers", min=1, help="Client apps running at once (Ray actors). Default: 1."
    ),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("federated-out"), "--out", "-o", help="Output directory."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Federated active learning on Flower: random, local, global and LoGo selection vs centralized AL.

    Each client keeps its pool and label budget and sends only parameter arrays and scalar metrics; bytes are measured from the serialized Flower messages. Writes OUT/results.parquet, OUT/summary.json and OUT/report.html; rerun the same command to resume.
    """
    # imported when the command runs, to keep `netal --help` fast (lower layers, Flower, Ray)
    from netal.experiments.federated import FederatedStudy, load_federated
    from netal.harness import make_executor, run_study

    with fail_cleanly(debug):
        flags = given_flags(
            source=source,
            arms=split_names(arms),
            seeds=seeds,
            first_seed=first_seed,
            rounds=rounds,
            batch=batch,
            pool_size=pool_size,
            n_initial=n_initial,
            local_epochs=local_epochs,
            workers=workers,
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        spec, cfg, settings = load_federated(config, flags)
        study = FederatedStudy(spec, cfg, settings.arms, settings.workers)
        seed_list = settings.seed_list()
        with (
            make_executor("serial") as executor,
            grid_progress(len(seed_list), f"federated on {spec.source}", out) as tick,
        ):
            summary = run_study(study, seed_list, out, executor, on_cell=tick, on_skipped=tick)
        typer.echo(summary["tables"]["Final round per arm (mean over seeds)"])
        typer.echo(f"wrote {out / 'summary.md'} and {out / 'report.html'}")


def register(app: typer.Typer) -> None:
    """Attach ``netal federated`` to the main app."""
    app.command("federated")(federated)
