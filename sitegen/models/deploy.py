"""`deploy:` in sitegen.yaml: where the two built trees are served from, and how the proxy in front is set up."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from sitegen.models.common import StrictModel

AbsoluteFolder = Annotated[str, StringConstraints(pattern=r"^/\S*$")]
RemoteFolder = Annotated[str, StringConstraints(pattern=r"^[^\s:/]+:/\S*$")]
"""`[user@]host:/absolute/folder`, as rsync and ssh write a remote folder."""
Port = Annotated[int, Field(ge=1, le=65_535)]
CURRENT = "current"
"""The symlink in a target folder that names the release being served."""


class Target(StrictModel):
    """Where one built tree goes: a folder on this machine (`path`), or one on a server (`rsync`, over SSH).

    Either way the folder holds `releases/<UTC stamp>/` and a `current` symlink the web server's root points into.
    """

    path: AbsoluteFolder | None = None
    rsync: RemoteFolder | None = None

    @property
    def served_folder(self) -> str:
        """Where the web server reads this tree, on the machine that serves it: the target's `current` link."""
        folder = self.path if self.path is not None else (self.rsync or "").partition(":")[2]
        return f"{folder.rstrip('/')}/{CURRENT}"

    @model_validator(mode="after")
    def _one_place(self) -> Target:
        if (self.path is None) == (self.rsync is None):
            raise PydanticCustomError("target", "give either path: /folder or rsync: host:/folder, not both or neither")
        return self


class CollectorService(StrictModel):
    """How the service manager runs `sitegen collect`, and where the proxy finds it."""

    host: str = "127.0.0.1"
    port: Port = 8001
    user: str = "sitegen"  # the system account the service runs as
    # The environment file holding SITEGEN_SECRET (mode 0600); `-` in the unit: a site without incentives needs none.
    environment_file: AbsoluteFolder = "/etc/sitegen/secret"


class Proxy(StrictModel):
    """The web server in front: its ports, TLS certificates, and (with `intranet_auth: proxy`) its users file.

    `{host}` in a certificate path is replaced by each server name, as certbot lays them out.
    """

    listen: str | None = None  # an address to listen on, e.g. 127.0.0.1; all addresses when not given
    http_port: Port = 80
    https_port: Port = 443
    certificate: str = "/etc/letsencrypt/live/{host}/fullchain.pem"
    certificate_key: str = "/etc/letsencrypt/live/{host}/privkey.pem"
    # nginx: an htpasswd file; Caddy: a file of `user bcrypt-hash` lines (`caddy hash-password`), imported.
    users_file: AbsoluteFolder | None = None


class Deploy(StrictModel):
    """`sitegen deploy`: the public and intranet targets, how many releases to keep, and the proxy's settings."""

    public: Target
    intranet: Target
    keep: int = Field(default=5, ge=2, le=100)  # releases kept per target, so `--rollback` has one to go back to
    ssh: str = "ssh"  # the remote shell for rsync targets (rsync's -e) and for switching their `current`
    # collector: /intranet/ goes to the collector, which asks for the staff sign-in; proxy: the proxy's basic auth.
    intranet_auth: Literal["collector", "proxy"] = "collector"
    collector: CollectorService = CollectorService()
    proxy: Proxy = Proxy()

    @model_validator(mode="after")
    def _users_for_proxy_auth(self) -> Deploy:
        if self.intranet_auth == "proxy" and self.proxy.users_file is None:
            raise PydanticCustomError("intranet_auth", "intranet_auth: proxy needs proxy: {users_file: /path}")
        return self
