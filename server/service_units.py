"""systemd units for a site: the floor server, the station agent and Litestream beside the
server. `bondfloor service unit KIND` prints one; deploy/ holds them rendered with the
documented default paths (a test keeps the two the same).

Why the options are what they are:
- `Restart=on-failure`: granian already starts a dead worker again (server/cli.py); if the
  worker keeps dying, granian exits non-zero and systemd starts the whole server again.
- `KillMode=mixed`: SIGTERM goes to the main process only, which stops its worker
  gracefully (in-flight requests finish, the database closes); whatever is left after
  `TimeoutStopSec` is killed.
- Hardening that keeps device access: no `PrivateDevices` (serial and USB printers,
  scanners), `DevicePolicy` left open, and `SupplementaryGroups` for the device nodes:
  `dialout` owns /dev/ttyUSB*/ttyACM* (serial scanners and printers), `input` owns
  /dev/input/event* (HID scanners); a USB printer's /dev/bus/usb node needs a udev rule
  that gives it to `dialout` (docs/service.md).
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("server", "station", "litestream")


@dataclass(frozen=True)
class UnitPaths:
    """Where a site keeps things; the defaults are the documented layout."""

    bin_dir: str = "/opt/bondfloor/.venv/bin"  # bondfloor (and litestream) installed here
    user: str = "bondfloor"
    config: str = "/etc/bondfloor/bondfloor.toml"
    env_file: str = "/etc/bondfloor/bondfloor.env"  # secrets: BONDFLOOR_OMS_TOKEN, ...
    data_dir: str = "/var/lib/bondfloor"  # working directory; the database under it
    station_env_file: str = "/etc/bondfloor/station.env"  # BONDFLOOR_STATION_TOKEN
    station_dir: str = "/var/lib/bondfloor-station"  # the station agent's spool
    litestream_config: str = "/etc/bondfloor/litestream.yml"
    replica_dir: str = "/mnt/nas/bondfloor"  # a folder replica, if not S3


HARDENING = """\
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
# AF_NETLINK: mDNS lists the interfaces, libusb watches for printers coming and going.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
UMask=0027
"""


def render_unit(kind: str, paths: UnitPaths | None = None) -> str:
    p = paths or UnitPaths()
    if kind == "server":
        return _server(p)
    if kind == "station":
        return _station(p)
    if kind == "litestream":
        return _litestream(p)
    raise ValueError(f"unknown unit {kind!r}; one of {', '.join(KINDS)}")


def unit_file_name(kind: str) -> str:
    return {
        "server": "bondfloor.service",
        "station": "bondfloor-station.service",
        "litestream": "bondfloor-litestream.service",
    }[kind]


def _server(p: UnitPaths) -> str:
    bondfloor = f"{p.bin_dir}/bondfloor --config {p.config}"
    return f"""\
# bondfloor floor server. Install: docs/service.md.
[Unit]
Description=bondfloor floor server
Documentation=file:///opt/bondfloor/docs/service.md
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={p.user}
Group={p.user}
# Serial or USB printers driven by the server itself (printers without via_station).
SupplementaryGroups=dialout
WorkingDirectory={p.data_dir}
# Secrets (BONDFLOOR_OMS_TOKEN, BONDFLOOR_OMS_HMAC_SECRET, ...): root-owned, mode 0640.
EnvironmentFile={p.env_file}
ExecStartPre={bondfloor} check-config
ExecStart={bondfloor} serve
Restart=on-failure
RestartSec=2
KillMode=mixed
TimeoutStopSec=45
LimitNOFILE=65536
ReadWritePaths={p.data_dir}
{HARDENING}
[Install]
WantedBy=multi-user.target
"""


def _station(p: UnitPaths) -> str:
    return f"""\
# bondfloor station agent: this PC's scanners and printers. docs/service.md.
[Unit]
Description=bondfloor station agent
Documentation=file:///opt/bondfloor/docs/service.md
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User={p.user}
Group={p.user}
# dialout: serial/USB-CDC scanners and printers (/dev/ttyUSB*, /dev/ttyACM*, and USB
# printers given to dialout by a udev rule); input: HID scanners (/dev/input/event*).
SupplementaryGroups=dialout input
WorkingDirectory={p.station_dir}
# BONDFLOOR_STATION_TOKEN=... (bondfloor token add NAME --kind station), and optionally
# BONDFLOOR_STATION_OPTIONS="--server https://floor.example:8080" (else found by mDNS).
EnvironmentFile={p.station_env_file}
ExecStart={p.bin_dir}/bondfloor station --spool {p.station_dir}/spool.db $BONDFLOOR_STATION_OPTIONS
Restart=on-failure
RestartSec=2
TimeoutStopSec=20
ReadWritePaths={p.station_dir}
{HARDENING}
[Install]
WantedBy=multi-user.target
"""


def _litestream(p: UnitPaths) -> str:
    return f"""\
# Litestream: continuous copy of the site database's WAL to a NAS folder or S3.
# The config comes from `bondfloor backup litestream-config`. docs/backups.md.
[Unit]
Description=bondfloor database replication (Litestream)
Documentation=file:///opt/bondfloor/docs/backups.md
Wants=network-online.target
After=network-online.target bondfloor.service

[Service]
Type=simple
User={p.user}
Group={p.user}
WorkingDirectory={p.data_dir}
# S3 credentials, if the replica is S3: LITESTREAM_ACCESS_KEY_ID, LITESTREAM_SECRET_ACCESS_KEY.
EnvironmentFile=-{p.env_file}
ExecStart={p.bin_dir}/litestream replicate -config {p.litestream_config}
Restart=always
RestartSec=5
# Litestream writes beside the database; a folder replica (a NAS mount) is written too
# ("-": no error while it is not mounted; Litestream retries).
ReadWritePaths={p.data_dir} -{p.replica_dir}
{HARDENING}
[Install]
WantedBy=multi-user.target
"""
