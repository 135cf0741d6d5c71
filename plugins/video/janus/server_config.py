"""The Janus configuration PeerLearn runs: one recipe for tests, the benchmark and deployments.

Janus ships with every plugin and transport switched on and demo rooms with a
well-known secret. PeerLearn needs the VideoRoom plugin, the HTTP (plus admin)
and WebSocket transports, ``token_auth`` (every request carries a token the
site added through the admin API) and a fixed RTP port range, nothing else.

    python -m plugins.video.janus.server_config OUT_DIR --admin-secret S [--http-port 8088 ...]

writes ``janus.jcfg`` and its companions into ``OUT_DIR``; ``janus -F OUT_DIR``
then starts a server with that configuration.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

LIB_DIR = "/usr/lib/x86_64-linux-gnu/janus"

#: Everything Debian's package builds that PeerLearn does not use.
UNUSED_PLUGINS = (
    "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,"
    "libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,"
    "libjanus_voicemail.so"
)
UNUSED_TRANSPORTS = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"


@dataclass(frozen=True)
class JanusServerConfig:
    """Ports, secrets and addresses of one Janus server."""

    admin_secret: str
    http_port: int = 8088
    ws_port: int = 8188
    admin_port: int = 7088
    rtp_ports: tuple[int, int] = (20000, 40000)
    interface: str = "0.0.0.0"  # where the HTTP/WS transports listen
    admin_interface: str = "127.0.0.1"  # where the admin API listens (the site's servers only)
    ice_enforce_list: str = ""  # e.g. "eth0": gather ICE candidates on these interfaces only
    nat_1_1_mapping: str = ""  # the public address behind a NAT (a cloud host)
    stun_server: str = ""  # host:port
    lib_dir: str = LIB_DIR
    debug_level: int = 3
    session_timeout: int = 60


def _q(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(config: JanusServerConfig, configs_folder: Path) -> dict[str, str]:
    """The configuration files (name -> text) for ``janus -F configs_folder``."""
    nat = ["\tnice_debug = false", "\tignore_mdns = true", '\tice_ignore_list = "vmnet"']
    if config.ice_enforce_list:
        nat.append(f"\tice_enforce_list = {_q(config.ice_enforce_list)}")
    if config.nat_1_1_mapping:
        nat.append(f"\tnat_1_1_mapping = {_q(config.nat_1_1_mapping)}")
    if config.stun_server:
        host, _, port = config.stun_server.partition(":")
        nat += [f"\tstun_server = {_q(host)}", f"\tstun_port = {int(port or 3478)}"]
    low, high = config.rtp_ports
    janus = f"""general: {{
\tconfigs_folder = {_q(str(configs_folder))}
\tplugins_folder = {_q(config.lib_dir + "/plugins")}
\ttransports_folder = {_q(config.lib_dir + "/transports")}
\tevents_folder = {_q(config.lib_dir + "/events")}
\tloggers_folder = {_q(config.lib_dir + "/loggers")}
\tdebug_level = {int(config.debug_level)}
\tadmin_secret = {_q(config.admin_secret)}
\ttoken_auth = true
\tsession_timeout = {int(config.session_timeout)}
\tserver_name = "PeerLearn"
}}
media: {{
\trtp_port_range = "{low}-{high}"
}}
nat: {{
{chr(10).join(nat)}
}}
plugins: {{
\tdisable = {_q(UNUSED_PLUGINS)}
}}
transports: {{
\tdisable = {_q(UNUSED_TRANSPORTS)}
}}
loggers: {{
\tdisable = "libjanus_jsonlog.so"
}}
events: {{
\tbroadcast = false
}}
"""
    http = f"""general: {{
\tjson = "compact"
\tbase_path = "/janus"
\thttp = true
\tport = {int(config.http_port)}
\tip = {_q(config.interface)}
\thttps = false
}}
admin: {{
\tadmin_base_path = "/admin"
\tadmin_http = true
\tadmin_port = {int(config.admin_port)}
\tadmin_ip = {_q(config.admin_interface)}
\tadmin_https = false
}}
cors: {{
}}
"""
    websockets = f"""general: {{
\tjson = "compact"
\tws = true
\tws_port = {int(config.ws_port)}
\tws_ip = {_q(config.interface)}
\twss = false
}}
admin: {{
\tadmin_ws = false
\tadmin_wss = false
}}
"""
    # No static rooms: the site creates one per session, with its own secret.
    videoroom = "general: {\n\tadmin_key = " + _q(config.admin_secret) + "\n\tlock_rtp_forward = true\n}\n"
    return {
        "janus.jcfg": janus,
        "janus.transport.http.jcfg": http,
        "janus.transport.websockets.jcfg": websockets,
        "janus.plugin.videoroom.jcfg": videoroom,
    }


def write(config: JanusServerConfig, directory: Path) -> Path:
    """Write the configuration into ``directory`` (created if missing); returns it."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in render(config, directory).items():
        (directory / name).write_text(text)
    return directory


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--admin-secret", required=True)
    parser.add_argument("--http-port", type=int, default=8088)
    parser.add_argument("--ws-port", type=int, default=8188)
    parser.add_argument("--admin-port", type=int, default=7088)
    parser.add_argument("--rtp-ports", default="20000-40000", help="LOW-HIGH, the UDP range to open")
    parser.add_argument("--interface", default="0.0.0.0", help="address of the HTTP and WebSocket transports")
    parser.add_argument("--admin-interface", default="127.0.0.1", help="address of the admin API")
    parser.add_argument("--nat-1-1", default="", help="public IP address when Janus runs behind NAT")
    parser.add_argument("--stun", default="", help="host:port of a STUN server")
    args = parser.parse_args(argv)
    low, _, high = args.rtp_ports.partition("-")
    written = write(
        JanusServerConfig(
            admin_secret=args.admin_secret,
            http_port=args.http_port,
            ws_port=args.ws_port,
            admin_port=args.admin_port,
            rtp_ports=(int(low), int(high)),
            interface=args.interface,
            admin_interface=args.admin_interface,
            nat_1_1_mapping=args.nat_1_1,
            stun_server=args.stun,
        ),
        args.directory,
    )
    print(f"wrote {written}; start with: janus -F {written}")


if __name__ == "__main__":
    main()
