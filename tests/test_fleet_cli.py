"""The fleet's command line refuses unsafe or incomplete settings with a clear message (no process started)."""

from __future__ import annotations

import pytest

from app.cli import main
from app.fleet import launch

parse_config_args = pytest.importorskip("flwr.common.config").parse_config_args


def test_serve_needs_tls_or_an_explicit_insecure(tmp_path, capsys):
    code = main(["--lang", "en", "fleet", "serve", "--out", str(tmp_path / "f"), "--labels", "a,b"])
    assert code == 2 and "--certificates" in capsys.readouterr().err
    assert not (tmp_path / "f").exists()


def test_node_authentication_needs_tls(tmp_path, capsys):
    args = [
        "fleet",
        "serve",
        "--out",
        str(tmp_path / "f"),
        "--labels",
        "a,b",
        "--insecure",
        "--allow-key",
        "k.pub",
    ]
    assert main(["--lang", "ja", *args]) == 2
    assert "TLS" in capsys.readouterr().err


def test_join_needs_tls_or_an_explicit_insecure(tmp_path, capsys):
    args = ["fleet", "join", "--superlink", "10.0.0.5:9091", "--name", "line 1", "--data", "x.csv"]
    assert main(["--lang", "en", *args, "--folder", str(tmp_path)]) == 2
    assert "--root-certificate" in capsys.readouterr().err


def test_join_command_keeps_names_and_paths_with_spaces_and_uses_flowers_tls_and_auth_flags(tmp_path):
    cmd = launch.join_command(
        "plant-server:9091",
        'line "A" 1',
        tmp_path / "my data.csv",
        tmp_path / "fleet folder",
        root_certificate=tmp_path / "ca.crt",
        private_key=tmp_path / "pc.key",
    )
    parsed = parse_config_args([cmd[cmd.index("--node-config") + 1]])  # as flower-supernode reads it
    assert parsed["name"] == 'line "A" 1' and parsed["data"] == str(tmp_path / "my data.csv")
    assert parsed["folder"] == str(tmp_path / "fleet folder") and parsed["threads"] == 1
    windows = parse_config_args([launch.node_config("PC's name", "C:\\data\\x.csv", "C:\\f")])
    assert windows == {"name": "PC's name", "data": "C:\\data\\x.csv", "folder": "C:\\f"}
    assert "--insecure" not in cmd
    assert cmd[cmd.index("--root-certificates") + 1] == str(tmp_path / "ca.crt")
    assert cmd[cmd.index("--auth-supernode-private-key") + 1] == str(tmp_path / "pc.key")
    link = launch.superlink_command(9091, tls=launch.Tls.from_folder(tmp_path), node_auth=True)
    assert "--enable-supernode-auth" in link and "--insecure" not in link
    assert link[link.index("--ssl-certfile") + 1] == str(tmp_path / "server.pem")
