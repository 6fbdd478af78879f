"""The same apps on Flower's deployment runtime: a SuperLink and two SuperNodes as separate processes.

The test writes a Flower App (``pyproject.toml`` + a module using
:func:`netal.federated.make_client_app` and :func:`netal.federated.serve_run`),
starts ``flower-superlink`` and two ``flower-supernode`` processes on free
localhost ports, submits the app with ``flwr run --stream`` and stops every
process group it started, whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

APP_PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "netalfedtest"
version = "1.0.0"
dependencies = []

[tool.flwr.app]
publisher = "netal"

[tool.flwr.app.components]
serverapp = "netal_fed_app:server"
clientapp = "netal_fed_app:client"

[tool.flwr.app.config]
out = "result.json"
"""

APP_MODULE = '''
"""netal's federated active learning as a Flower App (deployment-runtime test)."""

import json

import numpy as np
from flwr.app import Context
from flwr.serverapp import Grid, ServerApp

from netal.federated import ClientData, FederatedConfig, Federation, make_client_app, serve_run

CONFIG = FederatedConfig(
    arm="logo", rounds=2, batch=3, hidden=(8, 8), n_passes=4, local_epochs=2, local_model_epochs=3
)


def federation() -> Federation:
    rng = np.random.default_rng(3)
    clients = []
    for i in range(2):
        X = rng.normal(size=(40, 3)) + i
        clients.append(ClientData(f"c{i}", X, np.sin(X[:, 0]), np.arange(4)))
    X_test = rng.normal(size=(30, 3))
    return Federation("deployment", tuple(clients), X_test, np.sin(X_test[:, 0]))


client = make_client_app(federation(), [CONFIG])
server = ServerApp()


@server.main()
def main(grid: Grid, context: Context) -> None:
    result = serve_run(grid, federation(), CONFIG)
    out = {
        "records": result.records.to_dict(orient="list"),
        "replies": result.traffic.replies,
        "nodes": sorted(int(n) for n in grid.get_node_ids()),
    }
    with open(context.run_config["out"], "w") as fh:
        json.dump(out, fh)
'''


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("w") as fh:
        return subprocess.Popen(
            args, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue


@pytest.mark.slow
def test_apps_run_on_superlink_and_two_supernodes(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text(APP_PYPROJECT)
    (app / "netal_fed_app.py").write_text(APP_MODULE)
    serverappio, fleet, control, io0, io1 = _free_ports(5)
    home = tmp_path / "flwr-home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[superlink]\ndefault = "test"\n\n[superlink.test]\n'
        f'address = "127.0.0.1:{control}"\ninsecure = true\n'
    )
    bin_dir = str(Path(sys.executable).parent)  # flower-superexec is started by name
    env = {**os.environ, "FLWR_HOME": str(home), "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"}
    exe = Path(bin_dir)
    processes = [
        _start(
            [
                str(exe / "flower-superlink"), "--insecure",
                "--serverappio-api-address", f"127.0.0.1:{serverappio}",
                "--fleet-api-address", f"127.0.0.1:{fleet}",
                "--control-api-address", f"127.0.0.1:{control}",
            ],
            tmp_path / "superlink.log",
            env,
        )
    ]  # fmt: skip
    storage = [tmp_path / f"node{i}" for i in range(2)]  # each SuperNode's own storage
    try:
        for i, port in enumerate((io0, io1)):
            node_config = f'partition-id={i} num-partitions=2 storage-dir="{storage[i]}"'
            processes.append(
                _start(
                    [
                        str(exe / "flower-supernode"), "--insecure",
                        "--superlink", f"127.0.0.1:{fleet}",
                        "--clientappio-api-address", f"127.0.0.1:{port}",
                        "--node-config", node_config,
                    ],
                    tmp_path / f"supernode{i}.log",
                    env,
                )
            )  # fmt: skip
        result = tmp_path / "result.json"
        deadline = time.monotonic() + 60
        submitted = None
        while time.monotonic() < deadline:  # the SuperLink's Control API takes a moment to start
            submitted = subprocess.run(
                [str(exe / "flwr"), "run", str(app), "test", "--stream",
                 "--run-config", f'out="{result}"'],
                env=env, capture_output=True, text=True, timeout=420, cwd=tmp_path,
            )  # fmt: skip
            if "unavailable" not in submitted.stdout + submitted.stderr:
                break
            time.sleep(2)
        assert submitted is not None
        logs = "\n".join(p.read_text()[-1500:] for p in sorted(tmp_path.glob("*.log")))
        assert result.exists(), submitted.stdout[-3000:] + submitted.stderr[-2000:] + logs
        out = json.loads(result.read_text())
        assert len(out["nodes"]) == 2
        # 2 clients x 4 initial labels, then 3 more each per round
        assert out["records"]["n_labels"] == [8.0, 14.0, 20.0]
        assert all(b > 0 for b in out["records"]["bytes_up"])
        assert len(out["replies"]) == 2 * 3
        for audit in out["replies"]:  # what crossed the network: parameters and scalars only
            assert audit["configs"] == [] and not audit["error"]
            assert list(audit["arrays"]) == ["arrays"]
            assert set(audit["metrics"]["metrics"]) == {"num-examples", "n-labels", "n-queried"}
        for i, folder in enumerate(storage):  # each client's engine kept its knowledge base home
            assert [p.name for p in folder.glob("*.sqlite")] == [f"client-{i}.sqlite"]
    finally:
        _stop(processes[::-1])
    for process in processes:
        assert process.poll() is not None
