"""Ready configuration for the web server in front (nginx, Caddy) and the collector's service (systemd).

Rendered from templates beside this module with the site's own settings: the hosts of `base_url`,
`intranet_url` and `collector_url` (one server each, sharing where they are the same), the collector's address,
`collector.max_body_kb`, the deploy targets' folders and `deploy.proxy`'s ports and certificates. Which paths go
to the collector is said once, here, for every kind of configuration.
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from sitegen.deploy.publishing import deploy_config
from sitegen.models.deploy import Deploy
from sitegen.models.site import SiteConfig
from sitegen.site import Site

COLLECTOR_PATHS = ("/s/", "/healthz", "/i/", "/u/")
"""Answers, the health check and invitation links (whose address holds the token): always the collector's."""
STAFF_PATHS = ("/staff/",)
"""The staff sign-in and pages; `/intranet/` joins them unless the proxy guards the intranet itself."""
INTRANET_PATH = "/intranet/"

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("sitegen.deploy", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,  # configuration files, not HTML
)


@dataclass(frozen=True)
class ServerBlock:
    """One virtual host of the proxy and what it serves."""

    host: str
    is_public: bool
    is_staff: bool
    collector_paths: tuple[str, ...]
    certificate: str
    certificate_key: str


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def server_blocks(config: SiteConfig, deploy: Deploy) -> list[ServerBlock]:
    """The proxy's hosts: the public site's, the intranet's and the collector's, merged where they are one."""
    public = _host(config.base_url)
    staff = _host(config.intranet_url or config.base_url)
    collector = _host(config.collector_url or config.base_url)
    staff_paths = STAFF_PATHS + ((INTRANET_PATH,) if deploy.intranet_auth == "collector" else ())
    blocks = []
    for host in dict.fromkeys((public, staff, collector)):
        paths = (COLLECTOR_PATHS if host == collector else ()) + (staff_paths if host == staff else ())
        blocks.append(
            ServerBlock(
                host=host,
                is_public=host == public,
                is_staff=host == staff,
                collector_paths=paths,
                certificate=deploy.proxy.certificate.replace("{host}", host),
                certificate_key=deploy.proxy.certificate_key.replace("{host}", host),
            )
        )
    return blocks


def _listen_prefix(address: str | None) -> str:
    """What goes before the port in `listen`: nothing (every address), `127.0.0.1:` or `[::1]:`."""
    if not address:
        return ""
    return f"[{address}]:" if ":" in address else f"{address}:"


def _settings(site: Site) -> dict[str, Any]:
    config = site.config.model
    deploy = deploy_config(site)
    proxy = deploy.proxy
    return {
        "site_url": config.base_url,
        "servers": server_blocks(config, deploy),
        "upstream": f"{deploy.collector.host}:{deploy.collector.port}",
        "max_body_kb": config.collector.max_body_kb,
        "public_path": (urlsplit(config.base_url).path.rstrip("/") or "") + "/",
        "public_root": deploy.public.served_folder,
        "intranet_root": deploy.intranet.served_folder,
        "intranet_auth": deploy.intranet_auth,
        "users_file": proxy.users_file,
        "listen": _listen_prefix(proxy.listen),
        "http_port": proxy.http_port,
        "https_port": proxy.https_port,
        "https_suffix": "" if proxy.https_port == 443 else f":{proxy.https_port}",
        "service": deploy.collector,
        "project": site.files.root.resolve(),
        "executable": Path(sys.executable).with_name("sitegen"),
    }


def proxy_warnings(site: Site) -> list[str]:
    """Settings that would make the generated proxy misbehave: a collector that would not believe it."""
    deploy = deploy_config(site)
    try:
        proxy_address = ipaddress.ip_address(deploy.collector.host)
    except ValueError:
        return []  # a name: where the proxy connects from cannot be known here
    trusted = site.config.model.collector.trusted_proxies
    if proxy_address.is_loopback and not any(proxy_address in network for network in trusted):
        return [
            f"collector.trusted_proxies does not name {proxy_address}: the collector will see every answer as coming "
            "from the proxy and rate-limit them all together; add it"
        ]
    return []


@dataclass(frozen=True)
class ConfigKind:
    """One kind of printed configuration: its template and where it is meant to be saved."""

    template: str
    saved_as: str

    def render(self, site: Site) -> str:
        return _TEMPLATES.get_template(self.template).render(_settings(site))


PROXY_CONFIGS: dict[str, ConfigKind] = {
    "nginx": ConfigKind("nginx.conf.j2", "/etc/nginx/sites-enabled/sitegen.conf"),
    "caddy": ConfigKind("Caddyfile.j2", "/etc/caddy/Caddyfile"),
    "systemd": ConfigKind("sitegen-collector.service.j2", "/etc/systemd/system/sitegen-collector.service"),
}
"""`sitegen deploy --print-config NAME`: each kind by its name."""


def render_config(site: Site, kind: str) -> str:
    """The configuration of kind `kind` (a key of PROXY_CONFIGS) for `site`."""
    return PROXY_CONFIGS[kind].render(site)
