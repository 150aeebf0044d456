"""Starting Flower's processes for a fleet: the SuperLink (coordinator), SuperNodes (PCs) and the run.

Flower 1.42 serves its Fleet, Control and Runtime APIs on one HTTP port (``--host/--port``). TLS and node
authentication are Flower's own: ``--ssl-ca-certfile/--ssl-certfile/--ssl-keyfile`` on the SuperLink and
``--root-certificates`` on the SuperNodes; with ``--enable-supernode-auth`` only SuperNodes whose public key
was registered (``flwr supernode register``) may connect, each signing with ``--auth-supernode-private-key``.
The Flower CLI's settings go to a ``flwr-home`` folder beside the fleet's files, never to ``~/.flwr``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import app
from app.engine.errors import GenbaError

FLOWER_APP = Path(__file__).resolve().parent / "flower_app"
CONNECTION = "genba-fleet"  # the SuperLink connection's name in the Flower CLI's config.toml
DEFAULT_PORT = 9091


@dataclass(frozen=True)
class Tls:
    """Coordinator: the CA certificate, its server certificate and key (PEM)."""

    ca_cert: Path
    cert: Path
    key: Path

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> Tls:
        """``ca.crt``, ``server.pem``, ``server.key`` as Flower's examples name them."""
        folder = Path(folder)
        return cls(folder / "ca.crt", folder / "server.pem", folder / "server.key")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Return once ``host:port`` accepts connections; raise if ``proc`` (its server) ended or time ran out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{Path(proc.args[0]).name} ended with code {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def flower_bin(name: str) -> str:
    """A Flower executable from the environment this program runs in (Flower is the ``fleet`` extra)."""
    path = Path(sys.executable).parent / name
    if not path.exists() and not path.with_suffix(".exe").exists():
        raise GenbaError(
            "Fleet tuning needs Flower, which is not installed: pip install 'genba-tuner[fleet]'.",
            "共同調整には Flower が必要ですが、インストールされていません: pip install 'genba-tuner[fleet]'",
        )
    return str(path)


def process_env(flwr_home: str | os.PathLike[str]) -> dict[str, str]:
    """Flower's processes import this program's ``app`` (via PYTHONPATH), keep their settings in
    ``flwr_home`` and send no telemetry (nothing leaves the plant but what the fleet sends)."""
    env = dict(os.environ)
    root = str(Path(app.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    # Flower starts its helpers (flower-superexec, flwr-clientapp) by name: this environment's first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["FLWR_HOME"] = str(flwr_home)
    env["FLWR_TELEMETRY_ENABLED"] = "0"
    return env


def superlink_command(
    port: int,
    host: str = "0.0.0.0",
    tls: Tls | None = None,
    node_auth: bool = False,
    database: str | os.PathLike[str] | None = None,
) -> list[str]:
    """``database``: where the SuperLink keeps the PCs it knows, so a restarted coordinator is found again
    by the SuperNodes (with Flower's in-memory state they are strangers to it and retry forever)."""
    cmd = [flower_bin("flower-superlink"), "--host", host, "--port", str(port)]
    cmd += ["--database", str(database) if database else ":flwr-in-memory:"]
    cmd.append("--disable-runtime-dependency-installation")
    if tls is None:
        cmd.append("--insecure")
    else:
        cmd += ["--ssl-ca-certfile", str(tls.ca_cert), "--ssl-certfile", str(tls.cert)]
        cmd += ["--ssl-keyfile", str(tls.key)]
    if node_auth:
        cmd.append("--enable-supernode-auth")
    return cmd


def node_config(name: str, data: str | os.PathLike[str], folder: str | os.PathLike[str], **more) -> str:
    """``--node-config`` text: TOML values, so paths and names may hold spaces."""
    values = {"name": name, "data": str(data), "folder": str(folder), **more}
    return " ".join(f"{k}={_toml(v)}" for k, v in values.items())


def _toml(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    text = str(v)
    # Flower's --node-config parser takes '...' or "..." with no escaped quotes inside: a literal string
    # (no escapes, so Windows paths keep their backslashes), else a basic string.
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return '"' + text.replace("\\", "\\\\") + '"'
    raise GenbaError(
        f"A name or path may not contain both ' and \": {text}",
        f"名前やパスに ' と \" の両方を含めることはできません: {text}",
    )


def supernode_command(
    superlink: str,
    config: str,
    runtime_port: int,
    root_certificate: str | os.PathLike[str] | None = None,
    private_key: str | os.PathLike[str] | None = None,
) -> list[str]:
    cmd = [flower_bin("flower-supernode"), "--superlink", superlink, "--port", str(runtime_port)]
    cmd += ["--node-config", config]
    cmd += ["--insecure"] if root_certificate is None else ["--root-certificates", str(root_certificate)]
    if private_key is not None:
        cmd += ["--auth-supernode-private-key", str(private_key)]
    return cmd


def write_connection(flwr_home: str | os.PathLike[str], address: str, root_certificate=None) -> Path:
    """The Flower CLI's SuperLink connection for this fleet (its config.toml under ``flwr_home``)."""
    home = Path(flwr_home)
    home.mkdir(parents=True, exist_ok=True)
    lines = [
        "[superlink]",
        f'default = "{CONNECTION}"',
        "",
        f"[superlink.{CONNECTION}]",
        f'address = "{address}"',
    ]
    lines.append(
        "insecure = true" if root_certificate is None else f"root-certificates = {_toml(root_certificate)}"
    )
    path = home / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_command(folder: str | os.PathLike[str], min_pcs: int, round_timeout: float) -> list[str]:
    """``flwr run`` of the fleet's Flower App on the connection, streaming the ServerApp's log until the end."""
    overrides = f"folder={_toml(str(Path(folder).resolve()))} min-pcs={min_pcs} round-timeout={float(round_timeout)!r}"
    return [flower_bin("flwr"), "run", str(FLOWER_APP), CONNECTION, "--run-config", overrides, "--stream"]


def register_command(public_key: str | os.PathLike[str]) -> list[str]:
    """Allow one SuperNode's public key (with ``--enable-supernode-auth``)."""
    return [flower_bin("flwr"), "supernode", "register", str(public_key), CONNECTION]


def start(cmd: list[str], env: dict[str, str], log: str | os.PathLike[str] | None = None) -> subprocess.Popen:
    """A Flower process in its own process group, so stopping it stops the processes it started."""
    out = open(log, "ab") if log is not None else None  # noqa: SIM115 -- handed to the child, closed with it
    try:
        return subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT if out else None, start_new_session=True
        )
    finally:
        if out is not None:
            out.close()


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """Stop a process started by ``start`` and everything in its group (SuperExec, ClientApps)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        except ProcessLookupError:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):  # children left in the group
        os.killpg(proc.pid, 9)


def serve_fleet(
    folder: str | os.PathLike[str],
    *,
    port: int = DEFAULT_PORT,
    host: str = "0.0.0.0",
    tls: Tls | None = None,
    allowed_keys: list[str] | None = None,
    min_pcs: int = 1,
    round_timeout: float = 120.0,
) -> int:
    """Coordinate a fleet whose spec is in ``folder``: start the SuperLink, allow the PCs' keys, run the
    ServerApp until the last step (its log on this terminal), stop the SuperLink. Returns flwr run's code."""
    folder = Path(folder).resolve()
    env = process_env(folder / "flwr-home")
    write_connection(folder / "flwr-home", f"127.0.0.1:{port}", tls.ca_cert if tls else None)
    link = start(
        superlink_command(port, host, tls, node_auth=bool(allowed_keys)), env, folder / "superlink.log"
    )
    try:
        wait_for_port("127.0.0.1", port, link)
        for key in allowed_keys or []:
            subprocess.run(register_command(key), env=env, check=True)
        return subprocess.run(run_command(folder, min_pcs, round_timeout), env=env).returncode
    finally:
        stop(link)


def join_command(
    superlink: str,
    name: str,
    data: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    root_certificate: str | os.PathLike[str] | None = None,
    private_key: str | os.PathLike[str] | None = None,
    text_column: str | None = None,
    label_column: str | None = None,
    threads: int = 1,
    runtime_port: int | None = None,
) -> list[str]:
    """The SuperNode of this PC: its name, its examples and its fleet folder stay on it (``--node-config``)."""
    more = {"threads": threads}
    if text_column:
        more["text-column"] = text_column
    if label_column:
        more["label-column"] = label_column
    config = node_config(name, Path(data).resolve(), Path(folder).resolve(), **more)
    return supernode_command(superlink, config, runtime_port or free_port(), root_certificate, private_key)
