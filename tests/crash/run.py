#!/usr/bin/env python3
"""Crash safety: every write Endring acknowledged survives a SIGKILL of the server.

For each backend (SQLite in a temporary directory, then PostgreSQL in a fresh database)
and for N rounds: drive writes against `endring serve` from several threads, SIGKILL the
server after a random 0.5-3 s, start it again on the same database, and check that every
write that got a 2xx answer is there and that `endring audit verify` finds the chain
intact. A write whose answer never came (cut off by the kill) may or may not be there;
only acknowledged ones are promised.

    python3 tests/crash/run.py --bin target/debug/endring [--rounds 5] \
        [--pg-url postgres://postgres@127.0.0.1:5432/postgres]

Standard library only. Exit status 1 on any lost write, 5xx, unexpected refusal or
broken chain. Without --pg-url (or ENDRING_TEST_PG_URL) PostgreSQL is skipped, loudly,
and the run fails when CI is set, as the Rust suite does.
"""
import argparse, http.client, itertools, json, os, random, shutil, signal, socket
import subprocess, sys, tempfile, threading, time, urllib.parse
from datetime import datetime, timedelta, timezone

PASSWORD = "crash-password-1"
SESSION_KEY = "c" * 64
LOW = {"users_affected": "none", "tested": "yes", "backout": "yes", "complexity": "low", "downtime": "none"}
MEDIUM = {"users_affected": "under_500", "tested": "partly", "backout": "yes", "complexity": "medium",
          "downtime": "none"}
# How far along the lifecycle a state is: a change is never behind a state it was
# acknowledged in (it may be ahead: a write can commit while its answer is lost).
RANK = {"draft": 0, "assess": 1, "authorize": 2, "scheduled": 3, "rejected": 3, "implement": 4,
        "review": 5, "closed": 6}


class Down(Exception):
    """No answer: the server is gone (killed) or the connection broke mid-request."""


def call(port, method, path, token=None, body=None, timeout=30):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, data, headers)
        resp = conn.getresponse()
        raw = resp.read()
    except (OSError, http.client.HTTPException) as e:
        raise Down(f"{method} {path}: {e!r}") from e
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw) if raw else None
    except ValueError:
        return resp.status, raw.decode(errors="replace")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `endring serve` process; its output goes to a log file kept for a failure."""

    def __init__(self, binary, env, workdir, name):
        self.binary, self.env, self.workdir, self.name = binary, env, workdir, name
        self.port = int(env["ENDRING_BIND"].rsplit(":", 1)[1])
        self.proc, self.starts = None, 0

    def start(self):
        self.starts += 1
        log = open(os.path.join(self.workdir, f"{self.name}-{self.starts}.log"), "wb")
        self.proc = subprocess.Popen([self.binary, "serve"], env=self.env, cwd=self.workdir,
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"{self.name}: serve exited with {self.proc.returncode}; see {log.name}")
            try:
                if call(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    return
            except Down:
                pass
            time.sleep(0.1)
        sys.exit(f"{self.name}: serve did not answer /healthz within 120 s; see {log.name}")

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def cli(binary, env, *args):
    return subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=120)


def add_users(binary, env, users):
    """`endring user add` for each (name, roles), four at a time: each is a process."""
    failed = []

    def add(chunk):
        for name, roles in chunk:
            args = ["user", "add", "--email", f"{name}@crash.example.no", "--name", name.title(),
                    "--password", PASSWORD] + [a for role in roles for a in ("--role", role)]
            done = cli(binary, env, *args)
            failed.extend([f"user add {name}: {done.stdout}{done.stderr}"] if done.returncode else [])
    threads = [threading.Thread(target=add, args=(users[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:  # a thread's sys.exit would end only the thread
        sys.exit("\n".join(failed))


class Load:
    """Writes from several threads until stopped; records what was acknowledged."""

    def __init__(self, port, people, cis, label, seed, slots):
        self.port, self.people, self.cis, self.label, self.seed = port, people, cis, label, seed
        self.slots = slots  # shared counter: each change gets its own past window
        self.lock = threading.Lock()
        self.acks = []         # (change id, kind, detail) answered 2xx
        self.refused = []      # answers that were neither 2xx nor expected: a bug or a test error
        self.cut_off = 0       # requests that got no answer because the server was killed
        self.stop = threading.Event()

    def ack(self, change, kind, **detail):
        with self.lock:
            self.acks.append((change, kind, detail))

    def run(self, n_threads, rnd):
        threads = [threading.Thread(target=self.drive, args=(t, rnd)) for t in range(n_threads)]
        for t in threads:
            t.start()
        return threads

    def write(self, who, method, path, body, want=(200, 201)):
        """One write: its answer, None when refused (recorded), Down when there was none."""
        if self.stop.is_set():
            raise Down("stopped")
        try:
            status, answer = call(self.port, method, path, self.people[who]["token"], body)
        except Down:
            with self.lock:
                self.cut_off += 1  # its outcome is unknown: neither counted nor checked
            raise
        if status not in want:
            with self.lock:
                self.refused.append((status, method, path, who, answer))
            return None
        return answer

    def drive(self, t, rnd):
        rng = random.Random(f"{self.seed}-{self.label}-{rnd}-{t}")
        try:
            for n in itertools.count():
                self.one_change(rng, t, f"{self.label}-r{rnd}-t{t}-c{n}")
        except Down:
            return  # the server is gone: this thread's part of the round is over

    def one_change(self, rng, t, mark):
        """Takes one change as far as it gets (a refusal ends it); raises Down."""
        requester, implementer = f"req{t}", f"imp{t}"
        with self.lock:
            slot = next(self.slots)
        # Past, disjoint windows: no schedule conflicts, and the start is allowed at once.
        start = datetime(2026, 1, 1, tzinfo=timezone.utc) - timedelta(hours=3 * (slot + 1))
        fmt = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"title": f"{mark} upgrade", "description": "Crash test", "justification": "Testing",
                "type": "normal", "ci_ids": [self.cis[t % len(self.cis)]],
                "planned_start": fmt(start), "planned_end": fmt(start + timedelta(hours=2)),
                "implementation_plan": "Install", "backout_plan": "Restore", "test_plan": "Check",
                "implementer_id": self.people[implementer]["id"]}
        made = self.write(requester, "POST", "/api/v1/changes", body)
        if made is None:
            return
        cid = made["id"]
        self.ack(cid, "create", title=body["title"], state=made["state"])
        base = f"/api/v1/changes/{cid}"
        answers = dict(rng.choice([LOW, LOW, MEDIUM]))
        if self.write(requester, "PUT", base + "/risk", {"answers": answers}) is None:
            return
        self.ack(cid, "risk", answers=answers)
        managers = rng.sample(["mgr0", "mgr1"], 2)
        members = rng.sample(["cab0", "cab1"], 2)
        steps = [(requester, "notes", {"body": f"{mark} note 1"})] if rng.random() < 0.5 else []
        steps += [(requester, "submit", {}),
                  (managers[0], "assess", {"outcome": "authorize", "comment": f"{mark} assessed"})]
        if rng.random() < 0.15:  # a veto ends it here
            steps.append((members[0], "votes", {"decision": "reject", "comment": f"{mark} vote no"}))
        else:
            if answers == MEDIUM:
                steps.append((members[0], "votes", {"decision": "approve", "comment": f"{mark} vote cab"}))
            steps += [(managers[1], "votes", {"decision": "approve", "comment": f"{mark} vote mgr"}),
                      (implementer, "start", {}),
                      (implementer, "notes", {"body": f"{mark} note 2"}),
                      (implementer, "complete", {"closure_code": "successful", "notes": f"{mark} done"}),
                      (managers[0], "review", {"review": f"{mark} reviewed"})]
        for who, action, body in steps:
            answer = self.write(who, "POST", f"{base}/{action}", body)
            if answer is None:
                return
            if action == "notes":
                self.ack(cid, "note", body=body["body"])
            else:
                self.ack(cid, action, body=body, actor=self.people[who]["id"], state=answer["state"])


# The event each acknowledged write leaves on the change's trail, and the field that
# holds what was sent, named alike in the request and in the event's payload.
EVENT = {"create": ("create", "title"), "risk": ("risk", "answers"), "submit": ("submit", None),
         "assess": ("assess", "comment"), "votes": ("vote", "comment"), "start": ("start", None),
         "complete": ("complete", "notes"), "review": ("review", "review")}


def verify(port, admin, acks):
    """Checks every acknowledged write against the restarted server.

    Returns (lost, wrong, changes): acknowledged writes not found, other inconsistencies
    (a state behind an acknowledged one, a decision recorded twice), changes looked at."""
    lost, wrong, by_change = [], [], {}
    for cid, kind, detail in acks:
        by_change.setdefault(cid, []).append((kind, detail))
    for cid, writes in by_change.items():
        status, change = call(port, "GET", f"/api/v1/changes/{cid}", admin)
        if status != 200:
            lost += [f"change {cid}: GET answered {status}; its {kind} was acknowledged" for kind, _ in writes]
            continue
        ref = change["ref"]
        events = call(port, "GET", f"/api/v1/changes/{cid}/events", admin)[1]
        notes = set()
        if any(kind == "note" for kind, _ in writes):
            notes = {n["body"] for n in call(port, "GET", f"/api/v1/changes/{cid}/notes", admin)[1]}
        for kind, detail in writes:
            if kind == "note":
                text = detail["body"]
                if text not in notes or not any(e["action"] == "note" and e["payload"].get("note") == text
                                                 for e in events):
                    lost.append(f"{ref}: acknowledged note {text!r} is missing (note or event)")
                continue
            action, field = EVENT[kind]
            sent = detail if kind in ("create", "risk") else detail["body"]
            value = sent.get(field) if field else None
            if not any(e["action"] == action and (field is None or e["payload"].get(field) == value)
                       and (kind in ("create", "risk") or e["actor_id"] == detail["actor"]) for e in events):
                lost.append(f"{ref}: acknowledged {kind} ({value!r}) has no '{action}' event")
            if kind == "votes" and not any(v["comment"] == value and v["voter"]["id"] == detail["actor"]
                                           for v in change["approval"]["votes"]):
                lost.append(f"{ref}: acknowledged vote {value!r} is not among its votes")
            if "state" in detail and RANK[change["state"]] < RANK[detail["state"]]:
                wrong.append(f"{ref}: is {change['state']}, but {kind} was answered in {detail['state']}")
        decides = sum(e["action"] == "decide" for e in events)
        if decides != (0 if RANK[change["state"]] <= RANK["authorize"] else 1):
            wrong.append(f"{ref}: {change['state']} with {decides} decide events")
    return lost, wrong, len(by_change)


def audit_verify(binary, env):
    done = cli(binary, env, "audit", "verify")
    ok = done.returncode == 0 and done.stdout.startswith("OK:")
    return ok, (done.stdout + done.stderr).strip()


def run_backend(label, database_url, args, workdir):
    """All rounds on one database; returns the number of failures."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENDRING_") and k != "DATABASE_URL"}
    env.update({"DATABASE_URL": database_url, "ENDRING_BIND": f"127.0.0.1:{port}",
                "ENDRING_BASE_URL": f"http://127.0.0.1:{port}", "ENDRING_SESSION_KEY": SESSION_KEY,
                "ENDRING_MAIL_DIR": os.path.join(workdir, "mail"), "RUST_LOG": "warn"})
    names = [("admin", ["admin"]), ("mgr0", ["change_manager"]), ("mgr1", ["change_manager"]),
             ("cab0", ["cab_member"]), ("cab1", ["cab_member"])]
    names += [(f"req{t}", []) for t in range(args.threads)]
    names += [(f"imp{t}", ["implementer"]) for t in range(args.threads)]
    started = time.time()
    add_users(args.bin, env, names)  # before `serve`, so it makes no admin of its own
    server = Server(args.bin, env, workdir, label)
    server.start()
    people = {}
    for name, _ in names:  # tokens live in the database: they outlast every restart
        status, tok = call(port, "POST", "/api/v1/auth/token", None,
                           {"email": f"{name}@crash.example.no", "password": PASSWORD})
        assert status == 200, (status, tok)
        me = call(port, "GET", "/api/v1/me", tok["token"])[1]
        people[name] = {"token": tok["token"], "id": me["id"]}
    admin = people["admin"]["token"]
    cis = []
    for i in range(2):
        body = {"name": f"Crash CI {i}", "kind": "application", "criticality": 3,
                "owner_email": "owner@crash.example.no"}
        status, ci = call(port, "POST", "/api/v1/cis", admin, body)
        assert status == 201, (status, ci)
        cis.append(ci["id"])
    print(f"[{label}] setup {time.time() - started:.1f} s: {len(names)} users, {len(cis)} CIs", flush=True)
    rng, slots, failures, all_acks = random.Random(f"{args.seed}-{label}"), itertools.count(), 0, []
    try:
        for rnd in range(1, args.rounds + 1):
            load = Load(port, people, cis, label, args.seed, slots)
            threads = load.run(args.threads, rnd)
            busy = rng.uniform(0.5, 3.0)
            time.sleep(busy)
            load.stop.set()  # no new requests; those in flight get no answer:
            server.kill()
            for t in threads:
                t.join()
            server.start()
            lost, wrong, changes = verify(port, admin, load.acks)
            ok, said = audit_verify(args.bin, env)
            server_errors = sum(r[0] >= 500 for r in load.refused)
            problems = lost + wrong + [f"{s} for {m} {p} by {w}: {a}" for s, m, p, w, a in load.refused]
            if not ok:
                problems.append(f"audit verify: {said}")
            all_acks += load.acks
            print(f"[{label}] round {rnd}/{args.rounds}: killed after {busy:.2f} s; acknowledged "
                  f"{len(load.acks)} writes on {changes} changes, checked {len(load.acks)}, missing {len(lost)}, "
                  f"inconsistent {len(wrong)}, cut off {load.cut_off}, refused {len(load.refused)} "
                  f"(5xx {server_errors}); audit verify: {said if ok else 'FAILED'}", flush=True)
            for p in problems:
                print(f"  FAIL {p}", flush=True)
            failures += len(problems)
        # Every round's writes, once more, after the last restart: none lost to a later crash.
        lost, wrong, changes = verify(port, admin, all_acks)
        problems = lost + wrong
        print(f"[{label}] all rounds again: {len(all_acks)} acknowledged writes on {changes} changes, "
              f"missing {len(lost)}, inconsistent {len(wrong)}; {time.time() - started:.1f} s", flush=True)
        for p in problems:
            print(f"  FAIL {p}", flush=True)
        failures += len(problems)
    finally:
        server.stop()
    if failures:
        print(f"[{label}] server logs kept in {workdir}", flush=True)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True, help="the endring binary")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4, help="writers at once")
    parser.add_argument("--seed", default="endring", help="seeds every random choice")
    parser.add_argument("--pg-url", default=os.environ.get("ENDRING_TEST_PG_URL"),
                        help="a PostgreSQL server to make a fresh database on (its database is only "
                             "used to connect); default $ENDRING_TEST_PG_URL")
    args = parser.parse_args()
    args.bin = os.path.abspath(args.bin)
    began, failures = time.time(), 0
    tmp = tempfile.mkdtemp(prefix="endring-crash-")
    work = os.path.join(tmp, "sqlite")
    os.makedirs(work)
    failures += run_backend("sqlite", f"sqlite://{work}/endring.db", args, work)
    if args.pg_url:
        url = urllib.parse.urlsplit(args.pg_url)
        name = f"endring_crash_{os.getpid()}"
        pg_url = urllib.parse.urlunsplit(url._replace(path="/" + name))
        subprocess.run(["psql", args.pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
        work = os.path.join(tmp, "postgres")
        os.makedirs(work)
        try:
            failures += run_backend("postgres", pg_url, args, work)
        finally:
            subprocess.run(["psql", args.pg_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    elif os.environ.get("CI"):
        print("FAIL: PostgreSQL not tested: give --pg-url (or ENDRING_TEST_PG_URL); CI is set", flush=True)
        failures += 1
    else:
        print("\n*** SKIPPED: the PostgreSQL crash rounds: no --pg-url and no ENDRING_TEST_PG_URL ***\n",
              flush=True)
    if failures:
        print(f"FAILED: {failures} problems in {time.time() - began:.1f} s; databases and logs kept in {tmp}")
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"PASSED in {time.time() - began:.1f} s", flush=True)

if __name__ == "__main__":
    main()
