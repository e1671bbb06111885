"""The printed proxy configuration, run: a real nginx with TLS in front of a real collector; Caddy and systemd checked.

nginx and the collector are started by fixtures on loopback; clients connect from other loopback addresses
(127.0.0.2, 127.0.0.3), so the address the collector limits by shows whether it saw the client or the proxy.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import re
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme
from click.testing import CliRunner
from test_collector_process import await_condition, free_port, start_collector, stop
from test_staff import PASSWORD, add_account

from sitegen.build import build_project
from sitegen.cli import main
from sitegen.store import ResponseStore

MAX_BODY_KB = 4

NGINX_MAIN = """# What /etc/nginx/nginx.conf gives the printed file on a server, every path in the test's folder.
user {user};
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/sitegen.conf;
}}
"""


@dataclass(frozen=True)
class Deployed:
    """A built, deployed site, its certificate authority, and its printed configuration's ports."""

    project: Path
    ca: trustme.CA
    collector_port: int
    http_port: int
    https_port: int

    def client(self, source: str) -> httpx.Client:
        """A client through the proxy's TLS port, connecting from loopback address `source`."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        transport = httpx.HTTPTransport(verify=context, local_address=source)
        origin = f"https://127.0.0.1:{self.https_port}"
        return httpx.Client(base_url=origin, transport=transport, headers={"Origin": origin}, timeout=10)


def print_config(project: Path, kind: str) -> str:
    result = CliRunner().invoke(main, ["-C", str(project), "deploy", "--print-config", kind])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def deployed(minimal_project: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Deployed:
    """The site built and deployed; with the parameter "proxy", its intranet guarded by the proxy's own sign-in."""
    ca = trustme.CA()
    certificate = ca.issue_cert("127.0.0.1")
    certificate.cert_chain_pems[0].write_to_path(tmp_path / "cert.pem")
    certificate.private_key_pem.write_to_path(tmp_path / "key.pem")
    deployed = Deployed(minimal_project, ca, free_port(), free_port(), free_port())
    config = minimal_project / "sitegen.yaml"
    settings = f"""
store: sqlite:///data/responses.sqlite3
collector:
  trusted_proxies: [127.0.0.1]
  max_body_kb: {MAX_BODY_KB}
  rate_limit: {{per_hour: 1, burst: 1}}
deploy:
  public: {{path: {tmp_path}/srv/public}}
  intranet: {{path: {tmp_path}/srv/intranet}}
  collector: {{port: {deployed.collector_port}}}
  proxy:
    listen: 127.0.0.1
    http_port: {deployed.http_port}
    https_port: {deployed.https_port}
    certificate: {tmp_path}/cert.pem
    certificate_key: {tmp_path}/key.pem
"""
    if getattr(request, "param", "collector") == "proxy":
        settings += f"    users_file: {tmp_path}/users\n  intranet_auth: proxy\n"
    text = config.read_text(encoding="utf-8").replace("https://saulite.example", "https://127.0.0.1")
    config.write_text(text + settings, encoding="utf-8")
    build_project(minimal_project)
    assert CliRunner().invoke(main, ["-C", str(minimal_project), "deploy"]).exit_code == 0
    return deployed


def is_listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def nginx_command(deployed: Deployed, root: Path) -> list[str]:
    """nginx with the printed configuration, checked with `nginx -t`, everything it writes under `root`."""
    root.mkdir()
    (root / "sitegen.conf").write_text(print_config(deployed.project, "nginx"), encoding="utf-8")
    (root / "nginx.conf").write_text(NGINX_MAIN.format(user=getpass.getuser(), root=root), encoding="utf-8")
    command = ["nginx", "-p", str(root), "-e", str(root / "error.log"), "-c", str(root / "nginx.conf")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    return command


@pytest.fixture
def nginx(deployed: Deployed, tmp_path: Path) -> Iterator[Deployed]:
    """nginx running the printed configuration (daemon off, its own pid file and logs), and the collector."""
    root = tmp_path / "nginx"
    command = nginx_command(deployed, root)
    collector = start_collector(deployed.project, deployed.collector_port)
    try:
        server = subprocess.Popen([*command, "-g", "daemon off;"])
        try:
            started = await_condition(lambda: server.poll() is not None or is_listening(deployed.https_port), 10)
            assert started and server.poll() is None, (root / "error.log").read_text(encoding="utf-8")
            yield deployed
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        stop(collector)


def test_nginx_serves_the_survey_and_passes_the_answer_with_the_clients_own_address(nginx: Deployed) -> None:
    with nginx.client("127.0.0.2") as respondent, nginx.client("127.0.0.3") as neighbour:
        page = respondent.get("/en/surveys/after-visit/")
        assert page.status_code == 200 and 'action="/s/after-visit"' in page.text
        assert "access_log" not in page.headers and page.headers["strict-transport-security"]
        first = respondent.post("/s/after-visit", json={"rid": "through-nginx-1", "answers": {"recommend": 9}})
        assert first.status_code in (200, 201), first.text
        # The limit (one an hour) is the respondent's own: their second answer waits, another address's does not,
        # even when it claims the respondent's address: the proxy sends what it saw, not what the client wrote.
        second = respondent.post("/s/after-visit", json={"rid": "through-nginx-2", "answers": {"recommend": 8}})
        assert second.status_code == 429
        other = neighbour.post(
            "/s/after-visit",
            json={"rid": "through-nginx-3", "answers": {"recommend": 7}},
            headers={"X-Forwarded-For": "127.0.0.2"},
        )
        assert other.status_code in (200, 201), other.text
    store = ResponseStore.open("sqlite:///data/responses.sqlite3", nginx.project)
    try:
        assert sorted(response.id for response in store.responses("after-visit")) == [
            "through-nginx-1",
            "through-nginx-3",
        ]
    finally:
        store.close()


def test_nginx_refuses_a_body_above_the_collectors_limit_itself(nginx: Deployed) -> None:
    with nginx.client("127.0.0.4") as client:
        refused = client.post("/s/after-visit", content=b"x" * (MAX_BODY_KB * 1024 + 1))
    assert refused.status_code == 413 and "<center>nginx</center>" in refused.text  # nginx's page: not the collector's


def test_the_intranet_through_nginx_asks_for_the_staff_sign_in_then_serves_the_deployed_release(
    nginx: Deployed,
) -> None:
    add_account("sqlite:///data/responses.sqlite3", nginx.project, "anna@saulite.example", "owner")
    built = nginx.project / "output/intranet/en/index.html"
    deployed = nginx.project.parent / "srv/intranet/current/en/index.html"
    built.write_text("built since the last deploy", encoding="utf-8")  # the collector serves what was deployed
    with nginx.client("127.0.0.5") as client:
        anonymous = client.get("/intranet/en/")
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/staff/login?next=/intranet/en/"
        form = client.get("/staff/login")
        assert "Secure" in form.headers["set-cookie"]  # the collector believed X-Forwarded-Proto: https
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        signed_in = client.post(
            "/staff/login", data={"csrf": token.group(1), "email": "anna@saulite.example", "password": PASSWORD}
        )
        assert signed_in.status_code == 303, signed_in.text
        page = client.get("/intranet/en/")
    assert page.status_code == 200 and page.text == deployed.read_text(encoding="utf-8")
    plain = httpx.get(f"http://127.0.0.1:{nginx.http_port}/en/", timeout=10)
    assert plain.status_code == 301 and plain.headers["location"] == f"https://127.0.0.1:{nginx.https_port}/en/"


def test_three_hosts_get_a_server_each_with_only_their_own_locations(deployed: Deployed, tmp_path: Path) -> None:
    config = deployed.project / "sitegen.yaml"
    urls = "intranet_url: https://intranet.test\ncollector_url: https://forms.test\n"
    config.write_text(config.read_text(encoding="utf-8") + urls, encoding="utf-8")
    nginx_command(deployed, tmp_path / "nginx")  # nginx -t accepts it
    servers = (tmp_path / "nginx/sitegen.conf").read_text(encoding="utf-8").split("\nserver {")[2:]
    locations = {
        re.findall(r"server_name (\S+);", server)[0]: re.findall(r"location (\S+) \{", server) for server in servers
    }
    assert locations == {
        "127.0.0.1": ["/"],
        "intranet.test": ["/staff/", "/intranet/"],
        "forms.test": ["/s/", "/healthz", "/i/", "/u/"],
    }


def nginx_user(name: str, password: str) -> str:
    """An htpasswd line in nginx's salted SHA-1 scheme (`{SSHA}`): base64 of the digest and then the salt."""
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt, usedforsecurity=False).digest()
    return f"{name}:{{SSHA}}{base64.b64encode(digest + salt).decode()}\n"


@pytest.mark.parametrize("deployed", ["proxy"], indirect=True)
def test_with_proxy_auth_nginx_serves_the_deployed_intranet_to_its_users_only(nginx: Deployed, tmp_path: Path) -> None:
    (tmp_path / "users").write_text(nginx_user("anna", "correct horse battery"), encoding="utf-8")
    with nginx.client("127.0.0.6") as client:
        anonymous = client.get("/intranet/en/")
        wrong = client.get("/intranet/en/", auth=("anna", "wrong"))
        signed_in = client.get("/intranet/en/", auth=("anna", "correct horse battery"))
        staff = client.get("/staff/login")
    assert anonymous.status_code == wrong.status_code == 401
    assert signed_in.status_code == 200 and signed_in.headers["cache-control"] == "no-store"
    assert signed_in.text == (tmp_path / "srv/intranet/current/en/index.html").read_text(encoding="utf-8")
    assert staff.status_code == 200  # the staff pages are still the collector's


def test_caddy_validates_the_printed_caddyfile(deployed: Deployed, tmp_path: Path) -> None:
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(print_config(deployed.project, "caddy"), encoding="utf-8")
    result = subprocess.run(
        ["caddy", "validate", "--adapter", "caddyfile", "--config", str(caddyfile)],
        capture_output=True,
        text=True,
        check=False,
        env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert f"reverse_proxy 127.0.0.1:{deployed.collector_port}" in caddyfile.read_text(encoding="utf-8")


@pytest.mark.parametrize("deployed", ["proxy"], indirect=True)
def test_caddy_validates_the_printed_caddyfile_with_its_intranet_sign_in(deployed: Deployed, tmp_path: Path) -> None:
    hashed = subprocess.run(
        ["caddy", "hash-password", "--plaintext", "correct horse battery"], capture_output=True, text=True, check=True
    )
    (tmp_path / "users").write_text(f"anna {hashed.stdout.strip()}\n", encoding="utf-8")
    caddyfile = tmp_path / "Caddyfile"
    caddyfile.write_text(print_config(deployed.project, "caddy"), encoding="utf-8")
    result = subprocess.run(
        ["caddy", "adapt", "--validate", "--adapter", "caddyfile", "--config", str(caddyfile)],
        capture_output=True,
        text=True,
        check=False,
        env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert hashed.stdout.strip() in result.stdout and f"{tmp_path}/srv/intranet/current" in result.stdout


def test_systemd_verifies_the_printed_collector_unit(deployed: Deployed, tmp_path: Path) -> None:
    unit = tmp_path / "sitegen-collector.service"
    unit.write_text(print_config(deployed.project, "systemd"), encoding="utf-8")
    text = unit.read_text(encoding="utf-8")
    expected = f"{Path(sys.executable).with_name('sitegen')} -C {deployed.project} collect --host 127.0.0.1 --port"
    assert f"ExecStart={expected} {deployed.collector_port}\n" in text
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
