"""`thtui serve`: the same TUI in a web browser (textual-serve), meant for an SSH tunnel.

It binds 127.0.0.1 by default: the page gives whoever opens it the whole app (install, run, delete), with
no login, so a non-local bind needs --allow-remote as well and prints a warning. textual-serve is imported
only when the command runs, so `thtui --help` stays light.

Every browser tab starts its own app process: `python -m thtui.cli.serve_cmd`, with the settings passed
through the THTUI_* environment (textual-serve launches it through a shell; the command line is built
here with shlex from our own interpreter path and module name, never from user text).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import shlex
import socket
import sys

from thtui.cli.flags import subcommand

DEFAULT_PORT = 8765
LOCAL_HOSTS = ("localhost",)


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(sub, "serve", "serve the TUI to a web browser (textual-serve; for an SSH tunnel)")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="needed to bind a non-local address: anyone who reaches the port controls thtui",
    )
    p.set_defaults(func=cmd_serve)


def is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tunnel_hint(port: int) -> str:
    user_host = f"{os.environ.get('USER', 'you')}@{socket.gethostname()}"
    return f"ssh -N -L {port}:127.0.0.1:{port} {user_host}   then open http://localhost:{port}"


def app_command() -> str:
    return shlex.join([sys.executable, "-m", "thtui.cli.serve_cmd"])


def cmd_serve(args: argparse.Namespace) -> int:
    from thtui.cli.common import CliError, settings_from
    from thtui.core.config import ENV_VARS

    if not is_local(args.host) and not args.allow_remote:
        raise CliError(
            f"--host {args.host} is reachable from other machines and the page has no login: "
            "add --allow-remote if that is what you want, or keep the default and use an SSH tunnel"
        )
    if not 0 < args.port < 65536:
        raise CliError(f"--port {args.port}: a port is 1..65535")
    try:
        from textual_serve.server import Server
    except ImportError:
        raise CliError(
            "thtui serve needs textual-serve: pip install 'thtui[serve]' (or pip install textual-serve)"
        ) from None
    settings = settings_from(args)
    # The app processes read their settings from the environment (flags given here included).
    for key, env_name in ENV_VARS.items():
        value = getattr(settings, key, None)
        if value is not None:
            os.environ[env_name] = str(value)
    with socket.socket() as probe:  # a taken port: one line now, not an aiohttp traceback later
        try:
            probe.bind((args.host, args.port))
        except OSError as exc:
            raise CliError(f"cannot bind {args.host}:{args.port}: {exc.strerror or exc}") from None
    if not is_local(args.host):
        print(
            f"thtui: WARNING: serving on {args.host}:{args.port} with no login — anyone who can reach "
            "this port can install, run and delete here",
            file=sys.stderr,
        )
    url = f"http://{'127.0.0.1' if is_local(args.host) else args.host}:{args.port}"
    print(f"thtui serve: open {url}", flush=True)
    print(f"from another machine: {tunnel_hint(args.port)}", flush=True)
    print("ctrl+c stops the server (and the apps it started)", flush=True)
    server = Server(app_command(), host=args.host, port=args.port, title="thtui", public_url=url)
    server.serve()
    return 0


def serve_app() -> int:
    """One browser tab's app (started by textual-serve with TEXTUAL_DRIVER set to its web driver)."""
    from thtui.tui.app import run_app

    return run_app(None)


if __name__ == "__main__":
    sys.exit(serve_app())
