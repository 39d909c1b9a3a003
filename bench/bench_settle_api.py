"""The settle API under load: settlements per second and p50/p99 latency of
POST /api/desk/episodes/{serial}/settle — next to trial settlement (…/trial, nothing written) — with 16
concurrent hospital-system clients, served by gunicorn (several worker processes) on PostgreSQL.

    python bench/bench_settle_api.py [--admissions 2000] [--clients 16] [--workers 4] [--threads 4]
                                     [--worker-class gthread] [--unsafe-pg] [--keep]

Without DATABASE_URL it starts a throwaway PostgreSQL cluster of its own (initdb/pg_ctl as the postgres user
when run as root, in a temporary directory, on 127.0.0.1 and a free port, with the server's default durable
settings; --unsafe-pg turns fsync and synchronous commit off as CI does). With DATABASE_URL it uses that
database, which must be a throwaway one: it is migrated and the demo county is loaded into it.

Setup (not timed): migrate, load the demo, create one API token per demo desk, write N discharged admissions
with itemised charges (in bulk, rows as the desk services write them). Then: 16 client threads, each with its own
keep-alive HTTP connection, first call trial on every admission, then settle every admission (with an
Idempotency-Key, as a hospital system would). Prints a table; asserts nothing about timing (the aim,
≥ 200 settlements per second with p99 ≤ 100 ms on 2 cores, is reported, not tested).

Next to the rates, the CPU milliseconds each call cost the application (gunicorn and its workers), the
database (the throwaway cluster's processes; "—" with DATABASE_URL) and the clients: unlike the rates these
do not change when other jobs share the machine, and their sum bounds what the machine can do at best
(2 cores = 2,000 CPU ms a second). The server runs with the production settings' connection lifetime;
CONN_MAX_AGE=0 in the environment measures a new PostgreSQL connection per request instead."""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ticks(pid: int) -> tuple[int, int, int]:
    """(utime + stime, cutime + cstime, parent pid) of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]), int(fields[1])


def tree_cpu(root: int | None) -> float:
    """CPU seconds used so far by a process and everything under it (children already reaped are in the
    root's cutime/cstime; gunicorn workers and PostgreSQL backends are direct children). 0 if unknown."""
    if root is None:
        return 0.0
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                procs[int(entry.name)] = _ticks(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue  # the process ended while we read /proc: nothing to count
    if root not in procs:
        return 0.0
    total, seen, todo = procs[root][1], set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += procs[pid][0]
        todo += [child for child, (_, _, parent) in procs.items() if parent == pid]
    return total / os.sysconf("SC_CLK_TCK")


POSTMASTER: list[int] = []  # the throwaway cluster's postmaster pid, for tree_cpu


@contextmanager
def postgres_cluster(workdir: Path, unsafe: bool):
    """A throwaway PostgreSQL cluster; yields its DATABASE_URL (database "nrcms" created)."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bins:
        print("跳过：没有找到 PostgreSQL（/usr/lib/postgresql/*/bin）；请安装 postgresql 或设置 DATABASE_URL")
        raise SystemExit(0)
    pgbin = bins[-1]
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    pgdir = workdir / "pg"
    pgdir.mkdir()
    if as_postgres:
        shutil.chown(pgdir, "postgres")
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {pgdir} -c max_connections=200"
    if unsafe:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    run = lambda *args: subprocess.run([*as_postgres, *map(str, args)], check=True,  # noqa: E731
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run(pgbin / "initdb", "-D", pgdir / "data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8")
    run(pgbin / "pg_ctl", "-D", pgdir / "data", "-l", pgdir / "log", "-w", "-o", options, "start")
    POSTMASTER[:] = [int((pgdir / "data" / "postmaster.pid").read_text().split()[0])]
    try:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE nrcms")
            version = c.execute("SHOW server_version").fetchone()[0]
        yield f"postgres://postgres@127.0.0.1:{port}/nrcms", f"PostgreSQL {version}（临时集群，端口 {port}）"
    finally:
        subprocess.run([*as_postgres, str(pgbin / "pg_ctl"), "-D", str(pgdir / "data"), "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def server_env(database_url: str, workdir: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1,localhost", "DEBUG": "0",
        "NRCMS_VAR_DIR": str(workdir / "var"), "LOG_LEVEL": "WARNING",
        # production demands the audit chain's key; a throwaway one for a throwaway database
        "AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
        # the clients speak plain HTTP on the loopback, as behind the TLS proxy that production puts in front
        "SECURE_SSL_REDIRECT": "0",
    })
    # The production settings' own connection lifetime is what is measured; CONN_MAX_AGE=0 in the
    # environment shows the cost of a new PostgreSQL connection per request.
    return env


def prepare(admissions: int, seed: int) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Migrate, load the demo, write N discharged admissions with their charges (not timed). Returns the
    jobs [(facility code, serial)] and an API token per facility.

    The admissions are written in bulk, as the desk services write them (the catalogue entry of each mapped
    code copied into the line): through the services they take minutes for 2,000, and they are not what is
    measured. The settle API then reads them like any other admission."""
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connections, transaction

    from nrcms.accounts.models import User
    from nrcms.accounts.services import api_token_create
    from nrcms.claims.models import ChargeLine, Episode, EpisodeStatus
    from nrcms.demo import claims as demo
    from nrcms.demo.loader import demo_load
    from nrcms.facilities.models import CatalogueItem
    from nrcms.registry.models import Enrollment, EnrollmentStatus, PersonStatus

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    demo_load()
    desks = {u.facility.code: u for u in User.objects.filter(username__in=demo.DESK_USERNAMES)
             .select_related("facility")}
    tokens = {code: api_token_create(actor=None, user=desk, name="性能测试")[1] for code, desk in desks.items()}
    items = {i.code: i for i in CatalogueItem.objects.filter(valid_to__isnull=True)}
    names = {code: item.name for code, item in items.items()}
    enrolled = list(Enrollment.objects.filter(scheme_year=demo.YEAR, status=EnrollmentStatus.ENROLLED,
                                              person__status=PersonStatus.ACTIVE)
                    .select_related("person").order_by("person__id_number"))
    rng = random.Random(seed)
    rng.shuffle(enrolled)
    facilities = sorted(desks)
    templates = {code: [a for a in demo.ADMISSIONS
                        if demo.LEVEL_ORDER[a[7]] <= demo.LEVEL_ORDER[demo.LEVEL[code]]] or demo.ADMISSIONS[:4]
                 for code in facilities}
    first, last = dt.date(demo.YEAR, 1, 5), demo.FIRST_DAY - dt.timedelta(days=1)  # before the demo's weeks
    jobs, episodes, bills = [], [], []
    for n in range(admissions):
        code = facilities[n % len(facilities)]
        diagnosis, diagnosis_name, _who, department, (low, high), once, daily, _level = rng.choice(templates[code])
        stay = rng.randint(low, high)
        admit = first + dt.timedelta(days=rng.randrange((last - first).days - stay))
        lines = [(c, q, admit) for c, q in once]
        for d in range(stay):
            lines += [(c, q, admit + dt.timedelta(days=d)) for c, q in demo.DAILY_CARE + daily]
        e = enrolled[n % len(enrolled)]
        serial = f"BENCH{n + 1:06d}"
        episodes.append(Episode(
            facility=desks[code].facility, serial=serial, kind="inpatient", person=e.person,
            household_id=e.household_id, enrollment=e, scheme_year=demo.YEAR, admission_date=admit,
            discharge_date=admit + dt.timedelta(days=stay), diagnosis_code=diagnosis, diagnosis_name=diagnosis_name,
            department=department, status=EpisodeStatus.DISCHARGED, created_by=desks[code]))
        bills.append(demo.charge_inputs(code[-4:], demo.LEVEL[code], names, lines, 1))
        jobs.append((code, serial))
    with transaction.atomic():
        Episode.objects.bulk_create(episodes, batch_size=1000)
        rows = []
        for episode, bill in zip(episodes, bills, strict=True):
            for line in bill:
                item = items[line.facility_item_code.split("-", 1)[1]]
                rows.append(ChargeLine(
                    episode=episode, line_no=line.line_no, facility_item_code=line.facility_item_code,
                    item_name=line.item_name, charged_on=line.charged_on, quantity=line.quantity,
                    unit_price=line.unit_price, amount=line.amount, catalogue_code=item.code,
                    catalogue_class=item.catalogue_class, first_self_pay_share=item.first_self_pay_share,
                    price_limit=item.price_limit))
        ChargeLine.objects.bulk_create(rows, batch_size=5000)
    connections.close_all()
    print(f"准备：迁移、演示数据和 {admissions} 次已出院住院（{len(rows)} 行费用明细）用时 "
          f"{time.perf_counter() - started:.1f} 秒", flush=True)
    return jobs, tokens


@contextmanager
def gunicorn(env: dict, port: int, workers: int, worker_class: str, threads: int, workdir: Path):
    log = workdir / "gunicorn.log"
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--worker-class", worker_class, "--timeout", "120",
           "--error-logfile", str(log), "--log-level", "warning",
           "--no-control-socket"]  # gunicorn's control socket has one fixed path: off, as other servers may run
    if worker_class == "gthread":
        cmd += ["--threads", str(threads), "--keep-alive", "30"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Client:
    """One hospital system: a keep-alive connection, reopened if the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.conn = None

    def post(self, path: str, headers: dict) -> tuple[int, bytes]:
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                self.conn.request("POST", path, body=b"", headers={"Content-Length": "0", **headers})
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, body
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def wait_ready(port: int, token: str, proc, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn 启动失败，见 gunicorn.log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/desk/episodes?limit=1", headers={"Authorization": f"Bearer {token}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass  # not listening yet: try again until the deadline
        time.sleep(0.2)
    raise SystemExit("gunicorn 未在规定时间内就绪")


def drive(port: int, jobs: list[tuple[str, str]], tokens: dict[str, str], clients: int, action: str
          ) -> tuple[float, list[float], list[tuple[int, bytes]]]:
    """Every job once, spread over `clients` threads. Returns wall seconds, latencies (s), errors.
    Latency is measured by the clients: it includes waiting for a CPU when the machine is busy."""
    counter = itertools.count()
    latencies: list[float] = []
    errors: list[tuple[int, bytes]] = []
    lock = threading.Lock()
    expected = 201 if action == "settle" else 200

    def worker():
        client, mine, bad = Client(port), [], []
        while (i := next(counter)) < len(jobs):
            code, serial = jobs[i]
            headers = {"Authorization": f"Bearer {tokens[code]}"}
            if action == "settle":
                headers["Idempotency-Key"] = f"bench-{code}-{serial}"
            t = time.perf_counter()
            status, body = client.post(f"/api/desk/episodes/{serial}/{action}", headers)
            mine.append(time.perf_counter() - t)
            if status != expected:
                bad.append((status, body[:300]))
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, errors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admissions", type=int, default=2000, help="结算次数（默认 2000）")
    parser.add_argument("--clients", type=int, default=16, help="并发客户端线程数（默认 16）")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn 工作进程数（默认 4）")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=4, help="gthread 每进程线程数（默认 4）")
    parser.add_argument("--unsafe-pg", action="store_true", help="临时集群关闭 fsync/synchronous_commit（同 CI）")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="保留临时目录（日志）")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="nrcms-bench-api."))
    os.chmod(workdir, 0o755)
    try:
        with _database(workdir, args.unsafe_pg) as (database_url, what):
            env = server_env(database_url, workdir)
            os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY",
                                                   "ALLOWED_HOSTS", "DEBUG", "NRCMS_VAR_DIR", "LOG_LEVEL", "AUDIT_HMAC_KEY",
                                                   "SECURE_SSL_REDIRECT")})
            jobs, tokens = prepare(args.admissions, args.seed)
            port = free_port()
            with gunicorn(env, port, args.workers, args.worker_class, args.threads, workdir) as proc:
                wait_ready(port, next(iter(tokens.values())), proc)
                drive(port, jobs[: args.clients * 8], tokens, args.clients, "trial")  # warm every worker up
                rows, load_before = [], os.getloadavg()[0]
                for action, label in (("trial", "试算 trial"), ("settle", "结算 settle")):
                    cpu = (tree_cpu(proc.pid), tree_cpu(POSTMASTER[0] if POSTMASTER else None), time.process_time())
                    wall, latencies, errors = drive(port, jobs, tokens, args.clients, action)
                    cpu = (tree_cpu(proc.pid) - cpu[0], tree_cpu(POSTMASTER[0] if POSTMASTER else None) - cpu[1],
                           time.process_time() - cpu[2])
                    rows.append((label, len(latencies), len(errors), wall, latencies, cpu))
                    for status, body in errors[:3]:
                        print(f"  {label} 出错 {status}：{body.decode(errors='replace')}")
            _report(args, what, rows, (load_before, os.getloadavg()[0]))
            _check_books(len(jobs))
    finally:
        if args.keep:
            print(f"临时目录保留在 {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def _database(workdir: Path, unsafe: bool):
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url, "DATABASE_URL 指定的数据库"
    else:
        with postgres_cluster(workdir, unsafe) as (url, what):
            yield url, what + ("，fsync=off" if unsafe else "，默认持久化设置")


def _report(args, what: str, rows, load: tuple[float, float]) -> None:
    server = f"gunicorn {args.workers} 进程 × {args.worker_class}" + (
        f" {args.threads} 线程" if args.worker_class == "gthread" else "")
    print(f"\n结算接口压力测试：{args.clients} 个并发客户端（保持连接），{server}，{what}，本机 {os.cpu_count()} 核")
    print("（客户端、服务端与数据库在同一台机器上；目标：结算 ≥ 200 次/秒，p99 ≤ 100 毫秒；"
          f"测量前后 1 分钟平均负载 {load[0]:.1f} / {load[1]:.1f}，高于核数说明有其他进程在争用 CPU）")
    print(f"  {'接口':<14}{'次数':>7}{'错误':>6}{'每秒':>9}{'p50 毫秒':>11}{'p99 毫秒':>11}{'最大 毫秒':>11}"
          "   CPU 毫秒/次（应用 + 数据库 + 客户端）")
    for label, count, errors, wall, latencies, (app, db, client) in rows:
        ms = [x * 1000 for x in latencies]
        db_text = f"{db * 1000 / count:.1f}" if POSTMASTER else "—"
        print(f"  {label:<12}{count:>9}{errors:>7}{count / wall:>11.1f}{statistics.median(ms):>12.1f}"
              f"{pct(ms, 0.99):>12.1f}{max(ms):>12.1f}   {app * 1000 / count:.1f} + {db_text} + "
              f"{client * 1000 / count:.1f}")
    print(f"（CPU 毫秒/次与机器上其他负载无关：{os.cpu_count()} 核每秒共有 {os.cpu_count() * 1000} CPU 毫秒，"
          "三项之和决定本机最多每秒能做几次）")


def _check_books(expected: int) -> None:
    from django.db import connections

    from nrcms.claims.models import Settlement
    from nrcms.funding.checks import books_check

    settled = Settlement.objects.filter(episode__serial__startswith="BENCH").count()
    report = books_check()
    print(f"  核对：性能测试住院结算 {settled}/{expected} 笔；基金账簿核对{'通过' if report.ok else '未通过：' + '；'.join(report.problems)}")
    connections.close_all()


if __name__ == "__main__":
    main()
