"""``netal anomaly``: anomaly detection on sutd5g with an analyst in the loop (issue 16)."""

from __future__ import annotations

from pathlib import Path

import typer

from netal.cli._common import fail_cleanly, given_flags, grid_progress, open_executor, split_names


def anomaly(
    config: Path = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML file with an \\[anomaly] table whose keys are the settings (flags win).",
    ),
    dataset: str = typer.Option(
        None,
        "--dataset",
        "-d",
        help="sutd5g (scenario splits) or twin (induced body blockage and crowds as anomalies). Default: sutd5g.",
    ),
    label: str = typer.Option(
        None,
        "--label",
        help="sutd5g label that marks an anomaly: lab_anom (any), lab_bs (black spot), lab_inf (interference). Default: lab_anom.",
    ),
    arms: str = typer.Option(
        None,
        "--arms",
        help="Comma-separated arms: random, detector, aad and classification strategies (entropy, margin, bald_cls, badge, coreset). Default: random,detector,aad,entropy,bald_cls.",
    ),
    test_scenarios: str = typer.Option(
        None,
        "--test-scenarios",
        help="Comma-separated sutd5g scenarios to test on, one split each (the others are the pool). Default: all four.",
    ),
    budget: int = typer.Option(
        None, "--budget", "-b", help="Labels per arm, cold start included. Default: 400."
    ),
    batch_size: int = typer.Option(None, "--batch-size", help="Labels per round. Default: 20."),
    n_initial: int = typer.Option(
        None, "--n-initial", help="Cold-start labels (top of the detectors). Default: 20."
    ),
    anomaly_rate: float = typer.Option(
        None,
        "--anomaly-rate",
        help="Share of anomalies kept in pool and test (sutd5g labels 36-59 % of rows anomalous). Default: 0.05.",
    ),
    learner: str = typer.Option(
        None,
        "--learner",
        help="Classifier of every arm (bagged_trees, mc_dropout_classifier, ...).",
    ),
    seeds: int = typer.Option(None, "--seeds", "-s", min=1, help="Replication seeds. Default: 3."),
    first_seed: int = typer.Option(None, "--first-seed", min=0, help="First seed. Default: 0."),
    data_dir: Path = typer.Option(
        None, "--data-dir", help="Directory of real datasets (default $NETAL_DATA_DIR)."
    ),
    out: Path = typer.Option(Path("anomaly-out"), "--out", "-o", help="Output directory."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes running cells."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    """Find anomalies in sutd5g (or the twin) with PyOD detectors, active anomaly discovery and netal's strategies.

    Writes OUT/summary.md, OUT/summary.json, OUT/anomaly_curves.png (anomalies found, test F1 and PR-AUC against labels, with 95 % bands) and OUT/results.parquet. Rerun the same command to resume.
    """
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layers)
    from netal.experiments.anomaly import run_anomaly_experiment
    from netal.experiments.anomaly.data import check_splits, load_frame
    from netal.experiments.anomaly.settings import load_anomaly

    with fail_cleanly(debug):
        flags = given_flags(
            dataset=dataset,
            label=label,
            arms=split_names(arms),
            test_scenarios=split_names(test_scenarios),
            budget=budget,
            batch_size=batch_size,
            n_initial=n_initial,
            anomaly_rate=anomaly_rate,
            learner=learner,
            seeds=seeds,
            first_seed=first_seed,
            data_dir=str(data_dir.resolve()) if data_dir else None,
        )
        settings = load_anomaly(config, flags)
        if settings.dataset == "sutd5g":  # the files and the label, before any work
            check_splits(
                load_frame(settings.data_dir, settings.label, "--label"),
                settings.label,
                settings.test_scenarios,
                "--test-scenarios",
            )
        splits = 1 if settings.dataset == "twin" else len(settings.test_scenarios)
        n_cells = len(settings.arms) * splits * settings.seeds
        with (
            open_executor(jobs) as pool,
            grid_progress(n_cells, f"anomaly on {settings.dataset}", out) as tick,
        ):
            outcome = run_anomaly_experiment(
                out, **settings.study_kwargs(), executor=pool, on_cell=tick
            )
        typer.echo(f"wrote {outcome.out_dir / 'summary.md'}")
        typer.echo(f"wrote {outcome.out_dir / 'anomaly_curves.png'}")


def register(app: typer.Typer) -> None:
    """Attach ``netal anomaly`` to the main app."""
    app.command("anomaly")(anomaly)
