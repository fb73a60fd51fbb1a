#!/usr/bin/env python3
"""The fault suite (issue: reliability under faults). Each scenario starts its own `crm serve`
on loopback against a fresh database of the suite's private PostgreSQL (Tests/Reliability/run.sh
starts it), does what an operator fears — kill -9, a database restart, a stuck row, a full disk,
slow clients, SIGTERM — with bounded loops, prints its figures and says whether it held.

Standard library only. Run through run.sh, which exports CRM_BIN, TEST_DATABASE_URL (superuser),
PG_CTL, PG_OPTIONS and PG_LOG.
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

CRM = os.environ["CRM_BIN"]
SUPERUSER_URL = os.environ["TEST_DATABASE_URL"]
QUICK = "--quick" in sys.argv


def size(full, quick):
    return quick if QUICK else full


# ---------------------------------------------------------------------------------------------
# Plumbing: databases, servers, HTTP


def psql(url, sql):
    done = subprocess.run(["psql", "-q", "-tA", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"psql: {done.stderr.strip()}")
    return done.stdout.strip()


def with_database(url, name):
    return url.rsplit("/", 1)[0] + "/" + name


class Database:
    """A database owned by a fresh unprivileged role, like the server's in production."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:10]
        self.name, role, password = f"f_{suffix}", f"fapp_{suffix}", uuid.uuid4().hex
        psql(SUPERUSER_URL, f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'")
        psql(SUPERUSER_URL, f"CREATE DATABASE {self.name} OWNER {role}")
        host = SUPERUSER_URL.split("@", 1)[1].rsplit("/", 1)[0]
        self.app_url = f"postgres://{role}:{password}@{host}/{self.name}"
        self.admin_url = with_database(SUPERUSER_URL, self.name)

    def sql(self, statement):
        return psql(self.admin_url, statement)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `crm serve`; restartable on the same port and database."""

    def __init__(self, database, **env):
        self.port = free_port()
        self.env = dict(os.environ, DATABASE_URL=database.app_url, PORT=str(self.port), BCRYPT_COST="10",
                        RATE_LIMIT_AUTH="0", RATE_LIMIT_API="0", LOG_LEVEL="warning", DATABASE_POOL_SIZE="8",
                        JWT_SECRET="f" * 40, JWT_REFRESH_SECRET="g" * 40, PUBLIC_URL="http://crm.faults",
                        WORKFLOW_RETRY_BASE_MS="200", **{k: str(v) for k, v in env.items()})
        self.log = tempfile.NamedTemporaryFile(prefix="crm-fault-", suffix=".log", delete=False)
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen([CRM, "serve"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=tempfile.gettempdir())
        self.started = time.monotonic()

    def wait_ready(self, timeout=60):
        """Seconds from start until /readyz answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"crm exited with {self.process.returncode}:\n{self.tail()}")
            if status(self.port, "GET", "/readyz") == 200:
                return time.monotonic() - self.started
            time.sleep(0.05)
        raise RuntimeError(f"crm not ready after {timeout} s:\n{self.tail()}")

    def alive(self):
        return self.process.poll() is None

    def kill9(self):
        self.process.kill()
        self.process.wait()

    def terminate(self):
        """SIGTERM; seconds until the process exited."""
        began = time.monotonic()
        self.process.terminate()
        self.process.wait(timeout=30)
        return time.monotonic() - began

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def tail(self, lines=30):
        with open(self.log.name, errors="replace") as f:
            return "".join(f.readlines()[-lines:])


def status(port, method, path, body=None, headers=None, timeout=5):
    return request(port, method, path, body, headers, timeout)[0]


def request(port, method, path, body=None, headers=None, timeout=10, connection=None):
    """(status, json or None); status 0 when the connection failed."""
    own = connection is None
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json"} if data is not None else {}
        all_headers.update(headers or {})
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed
    except (OSError, http.client.HTTPException):
        conn.close()
        return 0, None
    finally:
        if own:
            conn.close()


class Tenant:
    def __init__(self, server):
        self.port = server.port
        email = f"fault-{uuid.uuid4().hex[:10]}@example.com"
        code, answer = request(server.port, "POST", "/api/v1/auth/register",
                               {"email": email, "password": "fault-suite-pass", "name": "Fault"})
        if code != 201:
            raise RuntimeError(f"register: {code} {answer}")
        self.token = answer["accessToken"]
        self.org = answer["organization"]["id"]
        self.auth = {"Authorization": f"Bearer {self.token}"}

    def call(self, method, path, body=None, headers=None, connection=None, timeout=10):
        return request(self.port, method, "/api/v1" + path, body, {**self.auth, **(headers or {})},
                       timeout=timeout, connection=connection)


def fresh(**env):
    """A new database, a server on it (ready) and a tenant of it."""
    db = Database()
    server = Server(db, **env)
    server.wait_ready()
    return db, server, Tenant(server)


class Creates:
    """Client work: POST /contacts with body(index), remembering the ids acknowledged."""

    def __init__(self, server, tenant, body):
        self.port, self.tenant, self.body = server.port, tenant, body
        self.acked, self.lock = [], threading.Lock()

    def __call__(self, index, conn):
        code, answer = self.tenant.call("POST", "/contacts", self.body(index), connection=conn)
        if code == 201:
            with self.lock:
                self.acked.append(answer["id"])
        return code != 0


def run_clients(count, until, work):
    """`count` threads calling work(index, connection) until `until()`; each keeps one keep-alive
    connection (re-made after a failure)."""
    def loop(index):
        conn = None
        while not until():
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", work.port, timeout=10)
            if not work(index, conn):
                conn.close()
                conn = None
    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def pg_ctl(action, mode="fast"):
    command = f"{os.environ['PG_CTL']} -w -s"
    if action == "stop":
        command += f" stop -m {mode}"
    else:
        command += f" start -l {os.environ['PG_LOG']} -o \"{os.environ['PG_OPTIONS']}\""
    subprocess.run(command, shell=True, check=True, timeout=60, cwd="/")


# ---------------------------------------------------------------------------------------------
# Scenarios: each returns (figures, failures)


def kill9_idempotent_creates():
    """kill -9 during concurrent creates with Idempotency-Key; every key re-sent after the restart."""
    db, server, tenant = fresh()
    sent, acked = {}, {}
    lock = threading.Lock()
    stop = threading.Event()

    class Work:
        port = server.port

        def __call__(self, index, conn):
            key = f"k-{index}-{uuid.uuid4().hex[:8]}"
            body = {"firstName": "Idem", "lastName": key}
            with lock:
                sent[key] = body
            code, answer = tenant.call("POST", "/contacts", body, {"Idempotency-Key": key}, connection=conn)
            if code == 201:
                with lock:
                    acked[key] = answer["id"]
            return code != 0
    threads = run_clients(32, stop.is_set, Work())
    time.sleep(size(3.0, 1.5))
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    server.start()
    ready = server.wait_ready()
    # A client retries everything it is not sure of — and, to prove replays, everything.
    replayed_ids = {}
    for key, body in list(sent.items()):
        code, answer = tenant.call("POST", "/contacts", body, {"Idempotency-Key": key})
        if code in (200, 201):
            replayed_ids[key] = answer["id"]
    stored = int(db.sql("SELECT count(*) FROM contacts"))
    lost = [k for k, i in acked.items() if replayed_ids.get(k) != i]
    duplicates = stored - len(set(replayed_ids.values()))
    server.stop()
    figures = {"acknowledged": len(acked), "sent": len(sent), "lost": len(lost), "duplicates": duplicates,
               "ready after restart (s)": round(ready, 2)}
    failures = []
    if lost:
        failures.append(f"{len(lost)} acknowledged creates lost or answered with another id")
    if duplicates:
        failures.append(f"{duplicates} duplicate records")
    return figures, failures


FOLLOW_UP = """
return { on = { ["contacts.afterCreate"] = function(event, crm)
  crm.create("activities", { type = "task", subject = "Follow up " .. event.record.lastName,
                             contactId = event.record.id })
end } }
"""


def kill9_workflows():
    """kill -9 while workflow jobs run; after the restart each contact has exactly one follow-up."""
    db, server, tenant = fresh()
    code, answer = tenant.call("PUT", "/scripts/follow-up", {"source": FOLLOW_UP})
    if code not in (200, 201):
        raise RuntimeError(f"script: {code} {answer}")
    creates = Creates(server, tenant, lambda index: {"lastName": f"W{index}-{uuid.uuid4().hex[:6]}"})
    acked = creates.acked
    stop = threading.Event()
    threads = run_clients(8, stop.is_set, creates)
    time.sleep(size(3.0, 1.5))
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    running_at_crash = int(db.sql("SELECT count(*) FROM workflow_jobs WHERE status = 'running'"))
    server.start()
    server.wait_ready()
    restarted = time.monotonic()
    drained = None
    while time.monotonic() - restarted < 60:
        open_jobs = int(db.sql("SELECT count(*) FROM workflow_jobs WHERE status IN ('pending', 'running')"))
        if open_jobs == 0:
            drained = time.monotonic() - restarted
            break
        time.sleep(0.2)
    per_contact = db.sql("""
        SELECT count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1) FROM (
          SELECT c.id, count(a.id) AS n FROM contacts c LEFT JOIN activities a ON a.contact_id = c.id
          GROUP BY c.id) x""").split("|")
    missing, doubled = int(per_contact[0]), int(per_contact[1])
    failed = int(db.sql("SELECT count(*) FROM workflow_jobs WHERE status = 'failed'"))
    server.stop()
    figures = {"contacts acknowledged": len(acked), "jobs running at the crash": running_at_crash,
               "all jobs done after restart (s)": round(drained, 2) if drained is not None else "never",
               "contacts without follow-up": missing, "contacts with 2+ follow-ups": doubled, "failed jobs": failed}
    failures = []
    if drained is None:
        failures.append("jobs still open 60 s after the restart")
    if missing or doubled or failed:
        failures.append(f"{missing} missing, {doubled} doubled follow-ups, {failed} failed jobs")
    return figures, failures


def db_restart(mode):
    """PostgreSQL stopped for 3 s under 8 clients of traffic, then started again."""
    def scenario():
        db, server, tenant = fresh()
        statuses = {}
        lock = threading.Lock()
        stop = threading.Event()

        class Work:
            port = server.port

            def __call__(self, index, conn):
                if index % 2:
                    code, _ = tenant.call("POST", "/contacts", {"lastName": "Restart"}, connection=conn)
                else:
                    code, _ = tenant.call("GET", "/contacts?limit=5", connection=conn)
                with lock:
                    statuses[code] = statuses.get(code, 0) + 1
                if code != 201 and code != 200:
                    time.sleep(0.05)
                return code != 0
        threads = run_clients(8, stop.is_set, Work())
        time.sleep(1)
        pg_ctl("stop", mode)
        stopped = time.monotonic()
        readiness = set()
        while time.monotonic() - stopped < 3:
            readiness.add(status(server.port, "GET", "/readyz", timeout=3))
            time.sleep(0.2)
        pg_ctl("start")
        back = time.monotonic()
        ready_after = serving_after = None
        while time.monotonic() - back < 30 and (ready_after is None or serving_after is None):
            if ready_after is None and status(server.port, "GET", "/readyz") == 200:
                ready_after = time.monotonic() - back
            if serving_after is None and tenant.call("POST", "/contacts", {"lastName": "After"})[0] == 201:
                serving_after = time.monotonic() - back
            time.sleep(0.05)
        time.sleep(1)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        alive = server.alive()
        log = server.tail(200)
        server.stop()
        unexpected = {code: n for code, n in statuses.items() if code >= 500 and code != 503}
        figures = {"server alive": alive, "/readyz while down": sorted(readiness),
                   "ready after start (s)": round(ready_after, 2) if ready_after else "never",
                   "serving after start (s)": round(serving_after, 2) if serving_after else "never",
                   "answers": dict(sorted(statuses.items()))}
        failures = []
        if not alive:
            failures.append("the server died:\n" + log)
        if 503 not in readiness or 200 in readiness:
            failures.append(f"/readyz answered {sorted(readiness)} while the database was down")
        if serving_after is None or serving_after > 5:
            failures.append(f"serving again after {serving_after} s (at most 5)")
        if unexpected:
            failures.append(f"answers other than 503 for the outage: {unexpected}")
        return figures, failures
    scenario.__doc__ = f"PostgreSQL stopped (-m {mode}) for 3 s under 8 clients, then started again."
    return scenario


def slow_database():
    """A row lock held for 10 s on a hot record: writes to it give up with 503, others are served."""
    db, server, tenant = fresh(DATABASE_LOCK_TIMEOUT_MS=1000, DATABASE_STATEMENT_TIMEOUT_MS=3000)
    hot = tenant.call("POST", "/contacts", {"lastName": "Hot"})[1]["id"]
    cold = tenant.call("POST", "/contacts", {"lastName": "Cold"})[1]["id"]
    holder = subprocess.Popen(["psql", "-q", db.admin_url, "-c",
                               f"BEGIN; SELECT 1 FROM contacts WHERE id = '{hot}' FOR UPDATE; SELECT pg_sleep(10); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    hot_answers, hot_times, cold_times, cold_codes = [], [], [], []
    lock = threading.Lock()
    stop = threading.Event()

    class Work:
        port = server.port

        def __call__(self, index, conn):
            began = time.monotonic()
            if index < 4:
                code, _ = tenant.call("PATCH", f"/contacts/{hot}", {"title": f"t{index}"}, connection=conn, timeout=20)
                with lock:
                    hot_answers.append(code)
                    hot_times.append(time.monotonic() - began)
            else:
                code, _ = tenant.call("GET", f"/contacts/{cold}", connection=conn)
                with lock:
                    cold_codes.append(code)
                    cold_times.append(time.monotonic() - began)
            return code != 0
    threads = run_clients(8, stop.is_set, Work())
    time.sleep(size(6, 4))
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    holder.wait(timeout=20)
    after = tenant.call("PATCH", f"/contacts/{hot}", {"title": "after"})[0]
    server.stop()
    figures = {"hot-row writes": {c: hot_answers.count(c) for c in sorted(set(hot_answers))},
               "hot-row answer p50/max (s)": f"{percentile(hot_times, 50):.2f} / {max(hot_times):.2f}",
               "other reads": len(cold_codes), "other reads p50/p99 (ms)":
                   f"{percentile(cold_times, 50) * 1000:.1f} / {percentile(cold_times, 99) * 1000:.1f}",
               "hot row after the lock": after}
    failures = []
    if set(hot_answers) - {503}:
        failures.append(f"hot-row writes answered {sorted(set(hot_answers))}, not only 503")
    if set(cold_codes) - {200} or len(cold_codes) < 10:
        failures.append(f"other reads: {len(cold_codes)} answered {sorted(set(cold_codes))}")
    if after != 200:
        failures.append(f"the hot row after the lock answered {after}")
    return figures, failures


def disk_full():
    """Writes failing the way a full disk fails them (SQLSTATE 53100) answer 503, not 500."""
    db, server, tenant = fresh()
    db.sql("""CREATE FUNCTION fault_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
              CREATE TRIGGER fault_disk_full BEFORE INSERT OR UPDATE ON contacts FOR EACH ROW EXECUTE FUNCTION fault_disk_full();""")
    full = [tenant.call("POST", "/contacts", {"lastName": "Full"})[0] for _ in range(5)]
    retry_after = None
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/api/v1/contacts", body=json.dumps({"lastName": "x"}),
                 headers={**tenant.auth, "Content-Type": "application/json"})
    response = conn.getresponse()
    retry_after = response.getheader("Retry-After")
    response.read()
    conn.close()
    reads = tenant.call("GET", "/contacts")[0]
    db.sql("DROP TRIGGER fault_disk_full ON contacts")
    after = tenant.call("POST", "/contacts", {"lastName": "Space again"})[0]
    server.stop()
    figures = {"writes while full": full, "Retry-After": retry_after, "reads while full": reads, "write after": after}
    failures = []
    if set(full) != {503} or retry_after is None:
        failures.append(f"writes while full answered {full} (Retry-After {retry_after})")
    if reads != 200 or after != 201:
        failures.append(f"reads {reads}, write after {after}")
    return figures, failures


def slow_clients():
    """Idle keep-alive connections and slowloris clients: closed after the idle timeout; others served."""
    timeout = 3
    db, server, tenant = fresh(HTTP_IDLE_TIMEOUT_SECONDS=timeout)
    contact = tenant.call("POST", "/contacts", {"lastName": "Busy"})[1]["id"]
    idle_count, loris_count = size(1000, 200), size(200, 50)

    def rss():
        with open(f"/proc/{server.process.pid}/status") as f:
            return next(int(line.split()[1]) // 1024 for line in f if line.startswith("VmRSS"))
    rss_before = rss()
    idle = []
    for _ in range(idle_count):
        s = socket.create_connection(("127.0.0.1", server.port))
        idle.append(s)
    loris = []
    for _ in range(loris_count):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"GET /api/v1/contacts HTTP/1.1\r\nHost: x\r\n")
        loris.append(s)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for s in loris:
                try:
                    s.sendall(b"X-a: b\r\n")
                except OSError:
                    pass
            time.sleep(1)
    threading.Thread(target=trickle, daemon=True).start()
    times, codes = [], []
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    began = time.monotonic()
    while time.monotonic() - began < timeout + 2:
        t = time.monotonic()
        code, _ = tenant.call("GET", f"/contacts/{contact}", connection=conn)
        times.append(time.monotonic() - t)
        codes.append(code)
        if code == 0:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    rss_during = rss()
    stop.set()

    def closed(s):
        s.settimeout(2)
        try:
            return s.recv(1) == b""
        except (socket.timeout, BlockingIOError):
            return False
        except OSError:
            return True
    idle_closed = sum(closed(s) for s in idle)
    loris_closed = sum(closed(s) for s in loris)
    for s in idle + loris:
        s.close()
    server.stop()
    figures = {"idle connections": idle_count, "slowloris clients": loris_count,
               "closed after the timeout": f"{idle_closed} idle, {loris_closed} slowloris",
               "others' GET p50/p99 (ms)": f"{percentile(times, 50) * 1000:.1f} / {percentile(times, 99) * 1000:.1f}",
               "others' answers": {c: codes.count(c) for c in sorted(set(codes))},
               "RSS before/during (MiB)": f"{rss_before} / {rss_during}"}
    failures = []
    if idle_closed < idle_count or loris_closed < loris_count:
        failures.append(f"still open after {timeout + 2} s: {idle_count - idle_closed} idle, {loris_count - loris_closed} slowloris")
    if set(codes) != {200}:
        failures.append(f"others got {sorted(set(codes))}")
    return figures, failures


def sigterm_during_creates():
    """SIGTERM during steady creates: the process ends soon, every acknowledged create is stored."""
    db, server, tenant = fresh()
    creates = Creates(server, tenant, lambda index: {"lastName": "Term"})
    acked = creates.acked
    stop = threading.Event()
    threads = run_clients(8, stop.is_set, creates)
    time.sleep(size(2, 1))
    exit_after = server.terminate()
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    stored = set(db.sql("SELECT id FROM contacts").split())
    lost = [i for i in acked if i not in stored]
    figures = {"acknowledged": len(acked), "lost": len(lost), "exit after SIGTERM (s)": round(exit_after, 2),
               "exit status": server.process.returncode}
    failures = []
    if lost:
        failures.append(f"{len(lost)} acknowledged creates lost")
    if exit_after > 10:
        failures.append(f"exit took {exit_after:.1f} s")
    return figures, failures


SCENARIOS = {
    "kill9-idempotent": kill9_idempotent_creates,
    "kill9-workflows": kill9_workflows,
    "db-restart-fast": db_restart("fast"),
    "db-restart-immediate": db_restart("immediate"),
    "slow-database": slow_database,
    "disk-full": disk_full,
    "slow-clients": slow_clients,
    "sigterm": sigterm_during_creates,
}
QUICK_SET = ["kill9-workflows", "db-restart-fast", "slow-database", "disk-full", "slow-clients"]


def main():
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario {unknown}; known: {', '.join(SCENARIOS)}")
    chosen = names or (QUICK_SET if QUICK else list(SCENARIOS))
    results = []
    for name in chosen:
        began = time.monotonic()
        try:
            figures, failures = SCENARIOS[name]()
        except Exception as error:  # a scenario that cannot even run has failed
            figures, failures = {}, [f"{type(error).__name__}: {error}"]
        held = not failures
        results.append((name, held))
        print(f"\n== {name}: {'held' if held else 'FAILED'} ({time.monotonic() - began:.0f} s) — {SCENARIOS[name].__doc__.strip()}")
        for key, value in figures.items():
            print(f"   {key}: {value}")
        for failure in failures:
            print(f"   ✘ {failure}")
        sys.stdout.flush()
    print("\nfault suite: " + ", ".join(f"{n} {'held' if h else 'FAILED'}" for n, h in results))
    sys.exit(0 if all(h for _, h in results) else 1)


if __name__ == "__main__":
    main()
