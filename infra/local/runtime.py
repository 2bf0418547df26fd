"""The whole platform: what ``encaisse up`` (``make run``) starts.

moto on 127.0.0.1 with our patches → every resource of template.yaml → the saved
state (or the demo seed on a fresh folder) → SQS pollers and schedules feeding the
real handlers, each function in its own worker process (:mod:`infra.local.worker`;
``--in-process-functions`` keeps them in this one) → the Chalice API and the portal (in
a process of their own, :mod:`infra.local.api_process`; the outbox and schedules pages
they forward stay here) and SFTP →
``endpoints.json``. Ctrl-C (SIGINT) or SIGTERM saves the state and stops everything,
workers and API included.

One platform per process: moto's state is process-wide.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from infra.local import heap
from infra.local.api_process import ApiProcess, ApiProcessError, ApiProcesses
from infra.local.emulator import Emulator, reset_backends
from infra.local.invoke import INVOKER
from infra.local.journal import Journal, replay
from infra.local.journal import activate as activate_journal
from infra.local.launcher import ENDPOINTS_FILE
from infra.local.resources import Resources, create_resources
from infra.local.runner import EventSources
from infra.local.servers import ServerThread, api_server, portal_server
from infra.local.sftp import SftpService, SftpUsers
from infra.local.state import Snapshotter, StateStore, _write_atomic

LOG = logging.getLogger("encaisse.local")

DEMO_FILE = "demo.json"
# How long a stop waits for handlers in the middle of a batch.
STOP_GRACE_SECONDS = 3.0
# The local CPU priority of the documents function's worker (nice); AWS runs it apart.
BACKGROUND_NICENESS = 10
# Invocations at once per function (logical id; 1 if absent, never above the template's
# reserved concurrency), each in a worker process of its own (``--concurrency``). Match
# stays at one by default: two did not book the month faster on the 2-core machine (the
# emulator's one process serves both; docs/benchmarks.md) and cost a second lease index.
FUNCTION_CONCURRENCY = {"MatchFunction": 1}
# Functions on the money path whose workers start with the platform (their imports done
# before the first statement arrives) instead of on their first event.
PRESTARTED = ("IngestFunction", "MatchFunction")
# Processes serving the API and the portal on the same sockets (``--api-processes``): two
# on the 2-core machine, as Lambda runs concurrent requests in instances of their own
# rather than 20 clients' requests on one interpreter lock.
API_PROCESSES = 2


class Platform:
    """The local platform; ports 0 mean "any free port"."""

    def __init__(
        self,
        state_dir: Path,
        *,
        seed: bool = True,
        time_factor: float = 1.0,
        api_port: int = 8700,
        portal_port: int = 8701,
        aws_port: int = 8702,
        sftp_port: int = 8722,
        host: str = "127.0.0.1",
        snapshot_interval: float = 30.0,
        schedules: bool = True,
        function_processes: bool = True,
        concurrency: dict[str, int] | None = None,
        api_processes: int = API_PROCESSES,
    ) -> None:
        if time_factor <= 0:
            raise ValueError("time_factor must be positive")
        self.state_dir = state_dir.resolve()
        self.seed = seed
        self.time_factor = time_factor
        self.host = host
        self.ports = {"api": api_port, "portal": portal_port, "aws": aws_port, "sftp": sftp_port}
        self.snapshot_interval = snapshot_interval
        self.function_processes = function_processes
        self.concurrency = FUNCTION_CONCURRENCY if concurrency is None else concurrency
        self.api_processes = api_processes
        self.schedules_enabled = schedules
        self.emulator = Emulator(aws_port, host=host, time_factor=time_factor)
        self.store = StateStore(self.state_dir)
        self.resources: Resources | None = None
        self.event_sources: EventSources | None = None
        self.api: ApiProcess | ApiProcesses | None = None  # they serve the portal too
        self.local_pages: ServerThread | None = None  # the outbox and schedules, in this process
        self.sftp: SftpService | None = None
        self.snapshotter: Snapshotter | None = None
        self.journal: Journal | None = None
        self.demo: dict[str, Any] | None = None
        self.restored: dict[str, int] = {}
        self.endpoints: dict[str, Any] = {}
        self._started = False

    # -------------------------------------------------------------- start

    def start(self) -> dict[str, Any]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / ENDPOINTS_FILE).unlink(missing_ok=True)
        reset_backends()
        url = self.emulator.start()
        self._started = True
        try:
            return self._start_rest(url)
        except BaseException:
            self.stop(save=False)
            raise

    def _start_rest(self, aws_url: str) -> dict[str, Any]:
        # The pages that read this process's state (the outbox: moto's SES and SNS; the
        # schedules), on loopback for the portal's server to forward its /_local/* to.
        self.local_pages = portal_server("127.0.0.1", 0)
        local_url = f"http://127.0.0.1:{self.local_pages.port}"
        # The API and the portal, served by the API's process (infra.local.api_process),
        # are bound first: the portal's URL is PORTAL_BASE_URL in the functions' env.
        self.api = api_server(
            self.host,
            self.ports["api"],
            portal_port=self.ports["portal"],
            local_url=local_url,
            processes=self.api_processes,
        )
        portal_url = f"http://{self.host}:{self.api.portal_port}"
        resources = create_resources(aws_url, environment_overrides={"PORTAL_BASE_URL": portal_url})
        self.resources = resources
        # One environment for every in-process handler, set before any handler import.
        os.environ.update(resources.environment)
        os.environ.update(self.emulator.client_environment())
        INVOKER.register(resources.functions)
        if self.function_processes:
            # Rendering PDFs is background work: locally it yields the CPU to the money path.
            INVOKER.use_processes(
                niceness={"DocumentsFunction": BACKGROUND_NICENESS},
                concurrency=self.concurrency,
            )
        # The API's process imports and builds its clients while the state is restored
        # or seeded; it accepts connections once everything else is up.
        self.api.start()

        fresh = not self.store.exists()
        self.journal = Journal(self.state_dir / "journal", self.store.epoch)
        if not fresh:
            self.restored = self.store.restore(resources)
            LOG.info("state restored from %s: %s", self.store.root, self.restored)
            replayed = replay(self.journal, aws_url, resources)
            LOG.info("journal replayed: %s", replayed)
        demo_path = self.state_dir / DEMO_FILE
        if fresh and self.seed:
            self.demo = self._seed(resources)
            if self.demo is not None:
                _write_atomic(demo_path, json.dumps(self.demo, indent=2).encode())
        elif demo_path.exists():
            self.demo = json.loads(demo_path.read_text(encoding="utf-8"))

        users = SftpUsers(self.state_dir / "sftp_users.json", self._org_ids)
        if self.demo and self.demo.get("sftp_username"):
            users.add(
                self.demo["sftp_username"], self.demo["org_id"], self.demo.get("sftp_password")
            )
        users.refresh()
        self.sftp = SftpService(
            host=self.host,
            port=self.ports["sftp"],
            host_key_path=self.state_dir / "sftp_host_key",
            users=users,
            upload=self._upload_to_inbox,
        )
        self.sftp.start()

        self.event_sources = EventSources(
            resources, time_factor=self.time_factor, schedules_enabled=self.schedules_enabled
        )
        scheduler = self.event_sources.scheduler
        handler = self.local_pages.server.RequestHandlerClass
        handler.schedules = staticmethod(scheduler.describe)
        handler.trigger = staticmethod(scheduler.trigger)
        # A point-in-time snapshot of what was restored (or seeded), then every write
        # is journaled before it is acknowledged.
        self.store.save(resources, self.journal)
        self.journal.open()
        activate_journal(self.journal)
        self.local_pages.start()
        self.api.serve()
        self.event_sources.start()
        if self.function_processes:
            INVOKER.prestart(PRESTARTED)
        self.snapshotter = Snapshotter(self.store, resources, self.snapshot_interval, self.journal)
        self.snapshotter.start()
        self.endpoints = self._endpoints(aws_url, portal_url)
        _write_atomic(
            self.state_dir / ENDPOINTS_FILE, json.dumps(self.endpoints, indent=2).encode()
        )
        return self.endpoints

    @property
    def api_url(self) -> str | None:
        return f"http://{self.host}:{self.api.port}" if self.api else None

    def _seed(self, resources: Resources) -> dict[str, Any] | None:
        try:
            from infra.local.seed import seed_demo
        except ImportError as e:
            LOG.warning("no demo data: infra.local.seed does not import (%s)", e)
            return None
        LOG.info("seeding the demo landlord (fresh state folder)")
        result: dict[str, Any] = seed_demo(dict(os.environ))
        return result

    def _org_ids(self) -> list[str]:
        assert self.resources is not None
        dynamodb = self.resources.client("dynamodb")
        table = self.resources.tables["OrganisationsTable"]
        ids: list[str] = []
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table, ProjectionExpression="org_id"
        ):
            ids.extend(item["org_id"]["S"] for item in page["Items"])
        return ids

    def _upload_to_inbox(self, path: Path, key: str) -> None:
        assert self.resources is not None
        s3 = self.resources.client("s3")
        with path.open("rb") as body:
            s3.put_object(Bucket=self.resources.buckets["InboxBucket"], Key=key, Body=body)

    def _endpoints(self, aws_url: str, portal_url: str) -> dict[str, Any]:
        assert self.resources is not None and self.sftp is not None
        res = self.resources
        users = self.sftp.users.all()
        demo_user = users.get((self.demo or {}).get("sftp_username", "")) or next(
            iter(users.values()), None
        )
        return {
            "api_url": self.api_url,
            "portal_url": portal_url,
            "aws_endpoint_url": aws_url,
            "region": res.region,
            "buckets": res.by_role("buckets"),
            "tables": res.by_role("tables"),
            "secrets_prefix": res.environment.get("SECRETS_PREFIX", ""),
            # What every function reads (template Globals): the CLI builds its Settings from it.
            "environment": res.environment,
            "queues": res.by_role("queues"),
            "topics": res.by_role("topics"),
            "state_machines": res.by_role("state_machines"),
            "functions": res.by_role("functions"),
            "sftp": {
                "host": self.host,
                "port": self.sftp.port,
                "username": demo_user.username if demo_user else None,
                "password": demo_user.password if demo_user else None,
                "org_id": demo_user.org_id if demo_user else None,
            },
            "outbox_url": f"{portal_url}/_local/outbox",
            "schedules_url": f"{portal_url}/_local/schedules",
            # What the seed returned (org_id, api_key, collection_iban …); SFTP is above.
            "demo": (
                {k: v for k, v in self.demo.items() if not k.startswith("sftp_")}
                if self.demo
                else None
            ),
            "state_dir": str(self.state_dir),
            "time_factor": self.time_factor,
            "pid": os.getpid(),
        }

    # -------------------------------------------------------------- stop

    def stop(self, *, save: bool = True) -> None:
        """Stop everything; saves the state first unless ``save`` is False."""
        if not self._started:
            return
        self._started = False
        (self.state_dir / ENDPOINTS_FILE).unlink(missing_ok=True)
        steps: list[tuple[str, Any]] = [
            ("snapshotter", self.snapshotter.stop if self.snapshotter else None),
            # Bounded: `encaisse up` must stop within seconds (issue 9, item 12).
            ("event sources", self._stop_event_sources if self.event_sources else None),
            ("sftp", self.sftp.stop if self.sftp and self.sftp.port else None),
            ("api", self.api.stop if self.api else None),
            ("local pages", self.local_pages.stop if self.local_pages else None),
        ]
        for name, stop in steps:
            if stop is None:
                continue
            try:
                stop()
            except Exception:
                LOG.exception("stopping %s failed", name)
        if save and self.resources is not None and self.journal is not None:
            try:
                summary = self.store.save(self.resources, self.journal)
                LOG.info("state saved to %s (%s)", self.store.root, summary["taken_at"])
            except Exception:
                LOG.exception("saving the state failed (the journal still holds it)")
        INVOKER.clear()
        self.emulator.stop()
        activate_journal(None)
        if self.journal is not None:
            self.journal.close()

    def _stop_event_sources(self) -> None:
        assert self.event_sources is not None
        self.event_sources.stop(grace=STOP_GRACE_SECONDS)

    # -------------------------------------------------------------- console

    def describe(self) -> str:
        e = self.endpoints
        sftp = e["sftp"]
        lines = [
            "Encaisse local platform is up.",
            "",
            f"  API             {e['api_url']}",
            f"  Portal          {e['portal_url']}",
            f"  Outbox          {e['outbox_url']}",
            f"  AWS (moto)      {e['aws_endpoint_url']}  region {e['region']}",
            f"  SFTP            sftp -P {sftp['port']} {sftp['username']}@{sftp['host']}"
            f"  (password {sftp['password']})",
        ]
        if e["demo"]:
            lines.append(f"  Demo landlord   {e['demo']['org_id']}  API key {e['demo']['api_key']}")
        buckets = e["buckets"]
        lines += [
            f"  Inbox bucket    s3://{buckets['inbox']}/<org_id>/<file>  (statement files in)",
            *(
                f"  {'Portal files' if role == 'portal' else role.capitalize():<15} s3://{name}"
                for role, name in buckets.items()
                if role != "inbox"
            ),
            f"  Endpoints file  {Path(e['state_dir']) / 'endpoints.json'}",
            f"  State folder    {e['state_dir']}"
            + ("  (restored)" if self.restored else "  (fresh)"),
            f"  Time factor     {self.time_factor:g} (a {self.time_factor:g} s wait takes 1 s)",
            "",
            "Ctrl-C saves the state and stops.",
        ]
        return "\n".join(lines)

    def run_forever(self) -> None:
        """Start, print the endpoints, and stop cleanly on Ctrl-C or SIGTERM."""
        done = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            done.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            heap.settle()  # the start-up's objects out of the collector's full passes
            print(self.describe(), flush=True)
            while not done.wait(1.0):
                pass
            print("\nStopping (saving the state)…", flush=True)
        finally:
            self.stop()
            for s, handler in previous.items():
                signal.signal(s, handler)
        print("Stopped.", flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="encaisse up", description="Run the whole Encaisse platform on this machine."
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("ENCAISSE_STATE_DIR", ".encaisse")),
        help="state folder: snapshot, endpoints.json, SFTP keys (default .encaisse)",
    )
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo landlord")
    parser.add_argument(
        "--time-factor",
        type=float,
        default=1.0,
        help="workflow time runs this many times faster (3600: an hour per second)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--api-port", type=int, default=8700)
    parser.add_argument("--portal-port", type=int, default=8701)
    parser.add_argument("--aws-port", type=int, default=8702)
    parser.add_argument("--sftp-port", type=int, default=8722)
    parser.add_argument(
        "--snapshot-interval", type=float, default=30.0, help="seconds between saves (0: on stop)"
    )
    parser.add_argument("--no-schedules", action="store_true", help="run schedules only on demand")
    parser.add_argument(
        "--in-process-functions",
        action="store_true",
        help="run the functions' handlers in this process (default: one process per function)",
    )
    parser.add_argument(
        "--concurrency",
        action="append",
        type=_concurrency,
        metavar="FUNCTION=N",
        help="invocations at once of a function (logical id, e.g. MatchFunction=2; "
        "repeatable; at most its reserved concurrency)",
    )
    parser.add_argument(
        "--api-processes",
        type=int,
        default=API_PROCESSES,
        help=f"processes serving the API and the portal (default {API_PROCESSES})",
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def _concurrency(text: str) -> tuple[str, int]:
    name, _, count = text.partition("=")
    if not name or not count.isdigit() or int(count) < 1:
        raise argparse.ArgumentTypeError(f"expected FUNCTION=N (N >= 1), got {text!r}")
    return name, int(count)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    heap.limit_arenas()  # before the emulator's threads exist (infra/local/heap.py)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    platform = Platform(
        args.state_dir,
        seed=not args.no_seed,
        time_factor=args.time_factor,
        api_port=args.api_port,
        portal_port=args.portal_port,
        aws_port=args.aws_port,
        sftp_port=args.sftp_port,
        host=args.host,
        snapshot_interval=args.snapshot_interval,
        schedules=not args.no_schedules,
        function_processes=not args.in_process_functions,
        concurrency={**FUNCTION_CONCURRENCY, **dict(args.concurrency or [])},
        api_processes=args.api_processes,
    )
    try:
        platform.run_forever()
    except (OSError, ApiProcessError) as e:  # typically a port in use
        print(f"encaisse up: {e}", file=sys.stderr)
        return 1
    return 0


def exit_now(code: int) -> NoReturn:
    """Leave without waiting for the threads still running (moto's, workflows' Wait
    states, handlers mid-batch): the state is saved and the journal is durable, so
    nothing is lost, and a lingering thread would keep a core busy for a minute."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
