"""``generec serve`` and the demo login helper."""

from __future__ import annotations

from generec.cli import main
from generec.service import create_demo_login


def test_serve_refuses_an_empty_home(tmp_path, capsys) -> None:
    code = main(["serve", "--home", str(tmp_path / "empty"), "--port", "0"])
    assert code != 0 and "generec demo" in capsys.readouterr().err


def test_serve_help_names_its_options(capsys) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--home" in out and "--port" in out and "--host" in out


def test_demo_login_signs_in(system, client) -> None:
    login = create_demo_login(system.store, "http://127.0.0.1:9999")
    assert login.url == f"http://127.0.0.1:9999/#token={login.token}"
    again = create_demo_login(system.store)  # the demo user is reused, with a fresh token
    assert again.user_id == login.user_id and again.token != login.token
    r = client.post("/api/auth/login", json={"token": login.token})
    assert r.status_code == 200 and r.json()["role"] == "uploader"
    assert client.get("/api/me").json()["id"] == "demo"  # the cookie now signs requests in
    client.post("/api/auth/logout")
    client.cookies.clear()
    assert client.get("/api/me").status_code == 401
