"""The team's Makefile remembers the port of the service `make serve` started (logs/serve.port), so that
`make serve PORT=3101` then `make predict-example` (or replay, contract-test) talks to it."""

import subprocess

from bakery import bake


def dry_run(repo, *args: str) -> str:
    """The commands make would run (make -n), with a fake environment so require-venv passes."""
    (repo / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
    (repo / ".venv" / "bin" / "python").touch(mode=0o755)
    done = subprocess.run(["make", "-n", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def test_the_service_commands_use_the_port_make_serve_last_used(tmp_path, cc_config):
    repo = bake(tmp_path, cc_config)
    default = "http://127.0.0.1:3000/predict"
    assert default in dry_run(repo, "predict-example")
    assert 'echo "3101" > logs/serve.port' in dry_run(repo, "serve", "PORT=3101")
    (repo / "logs").mkdir()
    (repo / "logs" / "serve.port").write_text("3101\n")
    for target in ("predict-example", "contract-test"):
        assert "http://127.0.0.1:3101" in dry_run(repo, target), target
    assert "--port 3101" in dry_run(repo, "replay", "BATCH=2")
    said = dry_run(repo, "predict-example", "PORT=3200")  # a port given wins
    assert "http://127.0.0.1:3200/predict" in said and "3101" not in said
    assert "the one make serve last used" in dry_run(repo, "predict-example")
