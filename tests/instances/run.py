#!/usr/bin/env python3
"""Two instances on one PostgreSQL: votes racing on both decide each change once.

Two `endring serve` processes share one fresh PostgreSQL database (same session key, one
mail folder); actor threads take changes through their whole lifecycle, each request to
the next instance in turn, and the votes on each change are cast at the same moment by
several voters against both instances. Then: each change decided exactly once and as its
recorded votes say; one audit event per acknowledged write (plus one per decision); every
notice queued once and mailed at most once; `endring audit verify` OK.

    python3 tests/instances/run.py --bin target/debug/endring \
        --pg-url postgres://postgres@127.0.0.1:5432/postgres [--changes 200] [--actors 8]

Standard library only, and psql for the database's counts. Exit status 1 on a violation.
"""
import argparse, collections, email.parser, email.policy, http.client, itertools, json, os
import random, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.parse
from datetime import datetime, timedelta, timezone

PASSWORD = "instances-password-1"
QUESTIONS = ("users_affected", "tested", "backout", "complexity", "downtime")
# Scored 0, 6 and 10, each +2 for short notice (the windows are past): low, medium, high.
ANSWERS = {"low": dict(zip(QUESTIONS, ("none", "yes", "yes", "low", "none"))),
           "medium": dict(zip(QUESTIONS, ("under_500", "partly", "yes", "medium", "none"))),
           "high": dict(zip(QUESTIONS, ("everyone", "partly", "untested", "medium", "none")))}
# SPEC §5 defaults: approvals needed, and whether one must be a change manager's; veto on.
RULES = {"low": (1, True), "medium": (2, False), "high": (3, True), "very_high": (4, True)}
MANAGERS, MEMBERS = ["mgr0", "mgr1", "mgr2"], ["cab0", "cab1", "cab2", "cab3"]
REQUESTERS, IMPLEMENTERS = ["req0", "req1", "req2", "req3"], ["imp0", "imp1", "imp2", "imp3"]
USERS = [("admin", ["admin"])] + [(r, []) for r in REQUESTERS] + [(i, ["implementer"]) for i in IMPLEMENTERS] \
    + [(m, ["change_manager"]) for m in MANAGERS] + [(c, ["cab_member"]) for c in MEMBERS]


def address(user):
    return f"{user}@inst.example.no"


class Api:
    """HTTP to the instances, counting every request and keeping every 5xx."""

    def __init__(self, ports):
        self.ports, self.lock, self.turn = ports, threading.Lock(), itertools.count()
        self.statuses, self.errors = collections.Counter(), []

    def call(self, method, path, token=None, body=None, instance=None):
        if instance is None:  # take turns, so every step of a change meets both instances
            with self.lock:
                instance = next(self.turn) % len(self.ports)
        headers = {"Content-Type": "application/json"}
        headers.update({"Authorization": f"Bearer {token}"} if token else {})
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[instance], timeout=60)
        try:
            conn.request(method, path, json.dumps(body).encode() if body is not None else None, headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        answer = json.loads(raw) if raw[:1] in (b"[", b"{") else raw.decode(errors="replace")
        with self.lock:
            self.statuses[resp.status] += 1
            if resp.status >= 500:
                self.errors.append(f"{resp.status} on instance {instance} for {method} {path}: {answer}")
        return resp.status, answer


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sql(url, query):
    """Rows of a query, via psql (the standard library has no PostgreSQL driver)."""
    out = subprocess.run(["psql", url, "-XAtF", "\t", "-c", query], check=True, capture_output=True,
                         text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def together(threads):
    threads = list(threads)
    [t.start() for t in threads]
    [t.join() for t in threads]


def start(binary, env, workdir, name):
    """`endring serve`, once its /healthz answers; its log goes to the work folder."""
    log = open(os.path.join(workdir, f"{name}.log"), "wb")
    proc = subprocess.Popen([binary, "serve"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    port = int(env["ENDRING_BIND"].rsplit(":", 1)[1])
    for _ in range(1200):
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode}; see {log.name}")
        try:
            if Api([port]).call("GET", "/healthz")[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{name} did not answer /healthz in 120 s; see {log.name}")


def add_users(binary, env):
    """`endring user add` per user, four processes at a time (an argon2 hash each)."""
    failed = []

    def add(chunk):
        for name, roles in chunk:
            done = subprocess.run([binary, "user", "add", "--email", address(name), "--name", name.title(),
                                   "--password", PASSWORD] + [a for r in roles for a in ("--role", r)],
                                  env=env, capture_output=True, text=True)
            failed.extend([f"user add {name}: {done.stdout}{done.stderr}"] if done.returncode else [])
    together(threading.Thread(target=add, args=(USERS[i::4],)) for i in range(4))
    if failed:  # a thread's sys.exit would end only the thread
        sys.exit("\n".join(failed))


class Run:
    """The actors' shared state: who is who, what was acknowledged, what went wrong."""

    def __init__(self, api, people, cis, seed):
        self.api, self.people, self.cis, self.seed = api, people, cis, seed
        self.lock = threading.Lock()
        # change id -> acknowledged writes; each leaves one event on the change's trail
        # (create, risk, note, submit, assess, vote, start, complete, review), and the vote
        # that completes the rule one more, `decide`, counted apart as the decision.
        self.acks = collections.Counter()
        self.votes = {}    # change id -> [(voter, decision, comment, status)]
        self.changes = {}  # change id -> (requester, implementer)
        self.violations = []

    def fail(self, message):
        self.violations.append(message)  # list.append is atomic

    def act(self, cid, who, method, path, body):
        status, answer = self.api.call(method, path, self.people[who]["token"], body)
        if status in (200, 201):
            with self.lock:
                self.acks[cid or answer["id"]] += 1
            return answer
        self.fail(f"{method} {path} by {who}: {status} {answer}")
        return None

    def actor(self, queue):
        while True:
            with self.lock:
                k = next(queue, None)
            if k is None:
                return
            try:
                self.lifecycle(k)
            except Exception as e:  # no answer at all: the instance died or hung
                self.fail(f"change {k}: {e!r}")

    def lifecycle(self, k):
        rng = random.Random(f"{self.seed}-{k}")
        requester = REQUESTERS[k % len(REQUESTERS)]
        implementer = IMPLEMENTERS[(k // len(REQUESTERS)) % len(IMPLEMENTERS)]
        level = rng.choices(["low", "medium", "high"], [4, 3, 3])[0]
        # Disjoint windows in the past: no conflicts, and it may start at once.
        begin = datetime(2026, 1, 1, tzinfo=timezone.utc) - timedelta(hours=3 * (k + 1))
        at = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
        made = self.act(None, requester, "POST", "/api/v1/changes", {
            "title": f"Instances change {k}", "description": "Two instances", "justification": "Testing",
            "type": "normal", "ci_ids": [self.cis[k % len(self.cis)]], "planned_start": at(begin),
            "planned_end": at(begin + timedelta(hours=2)), "implementation_plan": "Install",
            "backout_plan": "Restore", "test_plan": "Check", "implementer_id": self.people[implementer]["id"]})
        if made is None:
            return
        cid, base = made["id"], f"/api/v1/changes/{made['id']}"
        with self.lock:
            self.changes[cid] = (requester, implementer)
        manager = rng.choice(MANAGERS)
        for who, method, path, body in [
                (requester, "PUT", "/risk", {"answers": ANSWERS[level]}),
                (requester, "POST", "/notes", {"body": f"Note on change {k}"}),
                (requester, "POST", "/submit", {}),
                (manager, "POST", "/assess", {"outcome": "authorize", "comment": f"assessed {k}"})]:
            if self.act(cid, who, method, base + path, body) is None:
                return
        # More approvals than the rule needs, and a veto every other change: which vote
        # decides is up to the race alone.
        approvers = rng.sample(MANAGERS, rng.randint(1, 2)) + rng.sample(MEMBERS, RULES[level][0] + 1)
        ballots = [(v, "approve") for v in approvers]
        if rng.random() < 0.5:
            ballots.append((rng.choice([m for m in MEMBERS if m not in approvers] or MANAGERS), "reject"))
        rng.shuffle(ballots)
        self.race(cid, k, ballots)
        state = self.api.call("GET", base, self.people[requester]["token"])[1]["state"]
        if state == "scheduled":
            closer = rng.choice([m for m in MANAGERS if m != manager])
            for who, path, body in [(implementer, "/start", {}),
                                    (implementer, "/complete", {"closure_code": "successful", "notes": "ok"}),
                                    (closer, "/review", {"review": f"reviewed {k}"})]:
                if self.act(cid, who, "POST", base + path, body) is None:
                    return
        elif state != "rejected":
            self.fail(f"change {cid}: still {state} after every vote was cast")

    def race(self, cid, k, ballots):
        """All ballots at once, alternating instances; 409 (already decided) is expected."""
        barrier, results = threading.Barrier(len(ballots)), []

        def cast(i, voter, decision):
            body = {"decision": decision, "comment": f"{decision} {k} by {voter}"}
            barrier.wait()
            try:
                status, answer = self.api.call("POST", f"/api/v1/changes/{cid}/votes",
                                               self.people[voter]["token"], body, instance=i % 2)
            except OSError as e:  # no answer at all: its outcome is unknown
                status, answer = None, repr(e)
            results.append((voter, decision, body["comment"], status))
            if status == 200:
                with self.lock:
                    self.acks[cid] += 1
            elif status != 409:
                self.fail(f"vote on {cid} by {voter}: {status} {answer}")
        together(threading.Thread(target=cast, args=(i, v, d)) for i, (v, d) in enumerate(ballots))
        self.votes[cid] = results


def decided_by(level, votes):
    """What the rule makes of `votes` in order: (index of the deciding vote, outcome)."""
    need, manager_needed = RULES[level]
    latest = {}
    for i, v in enumerate(votes):
        latest[v["voter"]["id"]] = v  # a voter's latest vote counts
        if any(b["decision"] == "reject" for b in latest.values()):
            return i, "rejected"
        yes = [b for b in latest.values() if b["decision"] == "approve"]
        if len(yes) >= need and (not manager_needed or any(b["as_manager"] for b in yes)):
            return i, "approved"
    return None, None


def check_change(run, cid, change, events):
    """One change: decided once, as its votes say, with exactly the events acknowledged."""
    ref, problems, level = change["ref"], [], change["risk"]["level"]
    decides = [e for e in events if e["action"] == "decide"]
    if len(decides) != 1:
        problems.append(f"{ref}: {len(decides)} decide events (one expected)")
    votes = [v for v in change["approval"]["votes"] if v["round"] == change["approval"]["round"]]
    acked = {comment for _, _, comment, status in run.votes.get(cid, []) if status == 200}
    if {v["comment"] for v in votes} != acked:
        recorded = sorted(v["comment"] for v in votes)
        problems.append(f"{ref}: votes recorded {recorded}, acknowledged {sorted(acked)}")
    index, outcome = decided_by(level, votes)
    if index is None or index != len(votes) - 1:
        problems.append(f"{ref}: the rule decides at vote {index} of {len(votes)}: a vote after the decision")
    if change["state"] != {"approved": "closed", "rejected": "rejected"}.get(outcome):
        problems.append(f"{ref}: {change['state']}, but its votes say {outcome}")
    for d in decides:
        rule = d["payload"].get("rule", {})
        if (d["payload"].get("decision"), rule.get("approvals"), rule.get("manager_needed")) != \
                (outcome, *RULES[level]):
            problems.append(f"{ref}: decided {d['payload']}, but its votes say {outcome} under {RULES[level]}")
    if len(events) != run.acks[cid] + len(decides):
        problems.append(f"{ref}: {len(events)} events for {run.acks[cid]} acknowledged writes "
                        f"and {len(decides)} decisions")
    return problems, outcome, len(decides)


def wait_for_outbox(api, timeout):
    """Until both instances' /healthz report no notice waiting, twice in a row."""
    began, quiet, shown = time.time(), 0, time.time()
    while time.time() - began < timeout:
        waiting = [api.call("GET", "/healthz", instance=i)[1]["outbox"]["waiting"] for i in (0, 1)]
        quiet = quiet + 1 if waiting == [0, 0] else 0
        if quiet == 2:
            return time.time() - began
        if time.time() - shown >= 60:
            print(f"  outbox: {waiting[0]} notices waiting after {time.time() - began:.0f} s", flush=True)
            shown = time.time()
        time.sleep(3)
    return None


def check_mail(url, mail_dir, run, outcomes):
    """Every notice a change's steps announce queued exactly once, none else; each sent
    notice mailed once (a vote request for a change decided before it went is skipped,
    so at most once); and no two .eml files the same message to the same person."""
    problems, queued = [], collections.defaultdict(list)
    rows = sql(url, "SELECT id, kind, coalesce(change_id::text, 'meeting ' || (payload::json->>'meeting_id')),"
                    " recipient_email, payload::json->>'round' FROM outbox")
    for nid, kind, about, to, rnd in rows:
        queued[(about, kind, to, rnd)].append(int(nid))
    problems += [f"notice {kind} about {about} (round {rnd}) queued {len(ids)} times for {to}: rows {ids}"
                 for (about, kind, to, rnd), ids in queued.items() if len(ids) > 1]
    for cid, (requester, implementer) in run.changes.items():
        want = {("submitted", address(m)) for m in MANAGERS}
        want |= {("authorize_request", address(v)) for v in MANAGERS + MEMBERS}
        told = "approved" if outcomes.get(cid) == "approved" else "decided"
        want |= {(told, address(p)) for p in (requester, implementer)}
        got = {(kind, to) for (about, kind, to, _) in queued if about == str(cid)}
        # Reminders depend on when the worker looked (an implementation past its window).
        extra = {n for n in got - want if not n[0].startswith("reminder_")}
        if want - got or extra:
            problems.append(f"change {cid}: notices missing {sorted(want - got)}, unexpected {sorted(extra)}")
    kind_of = {int(nid): kind for nid, kind, *_ in rows}
    parser, seen = email.parser.BytesHeaderParser(policy=email.policy.default), {}
    mailed = collections.Counter()
    files = sorted(os.listdir(mail_dir)) if os.path.isdir(mail_dir) else []
    for name in files:
        with open(os.path.join(mail_dir, name), "rb") as f:
            head = parser.parse(f)
        to, mid, subject = str(head["To"]), str(head["Message-ID"]), str(head["Subject"])
        nid = int(mid.split("-")[1]) if mid.startswith("<outbox-") else None  # <outbox-{row}-{time}@…>
        mailed[nid] += 1
        keys = ((to, mid), (to, subject))  # one notice's id, or what it says, to one person
        twin = next((seen[k] for k in keys if k in seen), None)
        if twin:
            problems.append(f"the same email twice to {to}: {twin} and {name} ({mid}, {subject!r})")
        seen.update((k, name) for k in keys)
    for nid, kind in kind_of.items():
        if mailed[nid] > 1 or (mailed[nid] == 0 and kind not in ("authorize_request", "reminder_vote")):
            problems.append(f"notice {nid} ({kind}) mailed {mailed[nid]} times")
    problems += [f"{n} emails from no outbox row ({nid})" for nid, n in mailed.items() if nid not in kind_of]
    return problems, len(rows), len(files)


def check_all(args, url, env, api, admin, run, baseline, timings):
    """The checks after the run; prints the figures, returns the violations."""
    violations, outcomes, event_total, decide_total, outcome_of = [], collections.Counter(), 0, 0, {}
    for cid in sorted(run.changes):
        change = api.call("GET", f"/api/v1/changes/{cid}", admin)[1]
        events = api.call("GET", f"/api/v1/changes/{cid}/events", admin)[1]
        problems, outcome_of[cid], decides = check_change(run, cid, change, events)
        violations += problems
        outcomes[outcome_of[cid]] += 1
        event_total, decide_total = event_total + len(events), decide_total + decides
    # Every event since the baseline is on one of these changes' trails, or the mail
    # worker's own (planning CAB meetings, sending an agenda): nothing else wrote.
    others = sql(url, f"SELECT action, count(*) FROM audit_events WHERE seq > {baseline} AND (change_id IS NULL"
                      f" OR change_id NOT IN ({','.join(map(str, run.changes)) or '0'})) GROUP BY action")
    new_events = int(sql(url, "SELECT max(seq) FROM audit_events")[0][0]) - baseline
    writes, worker_events = sum(run.acks.values()), sum(int(n) for _, n in others)
    if event_total != writes + decide_total:
        violations.append(f"{event_total} change events for {writes} writes and {decide_total} decisions")
    violations += [f"unexpected event {a} x{n} during the run" for a, n in others
                   if a not in ("plan_meeting", "send_agenda")]
    if new_events != event_total + worker_events:
        violations.append(f"{new_events} new audit events, {event_total} on the changes, others {others}")
    meetings = sql(url, "SELECT starts_at, count(*) FROM cab_meetings GROUP BY 1 HAVING count(*) > 1")
    violations += [f"CAB meeting at {at} planned {n} times" for at, n in meetings]
    mail_problems, queued, emails = check_mail(url, env["ENDRING_MAIL_DIR"], run, outcome_of)
    violations += mail_problems
    statuses = sorted(sql(url, "SELECT status, count(*) FROM outbox GROUP BY status"))
    verify = subprocess.run([args.bin, "audit", "verify"], env=env, capture_output=True, text=True)
    if verify.returncode != 0 or not verify.stdout.startswith("OK:"):
        violations.append(f"audit verify: {verify.stdout}{verify.stderr}")
    votes = [status for cast in run.votes.values() for *_, status in cast]
    setup, load, drained, began = timings
    print(f"""\
changes     {len(run.changes)}: {outcomes['approved']} approved and closed, {outcomes['rejected']} rejected
requests    {sum(api.statuses.values())} ({', '.join(f'{s}: {n}' for s, n in sorted(api.statuses.items()))})
votes       {len(votes)} cast at once on both instances: {votes.count(200)} counted, \
{votes.count(409)} refused (already decided)
decisions   {decide_total} decide events for {len(run.changes)} changes
events      {new_events} new = {writes} acknowledged writes + {decide_total} decide + {worker_events} by the \
mail worker
notices     {queued} queued ({', '.join(f'{s} {n}' for s, n in statuses)}); {emails} emails \
({queued - emails} not mailed: vote requests about changes decided first)
duration    setup {setup:.1f} s, load {load:.1f} s, outbox drained in {drained or float('nan'):.1f} s, \
{time.time() - began:.1f} s in all
audit       {(verify.stdout or verify.stderr).strip()}""", flush=True)
    return violations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--pg-url", default=os.environ.get("ENDRING_TEST_PG_URL"),
                        help="a PostgreSQL server to make a fresh database on; default $ENDRING_TEST_PG_URL")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--actors", type=int, default=8)
    parser.add_argument("--seed", default="endring", help="seeds every random choice")
    parser.add_argument("--drain-timeout", type=float, default=900, help="seconds to wait for the outbox")
    args = parser.parse_args()
    if not args.pg_url:
        sys.exit("--pg-url (or ENDRING_TEST_PG_URL) is required: two instances need PostgreSQL")
    began, tmp = time.time(), tempfile.mkdtemp(prefix="endring-instances-")
    name = f"endring_instances_{os.getpid()}"
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(args.pg_url)._replace(path="/" + name))
    subprocess.run(["psql", args.pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    procs, violations = [], []
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENDRING_") and k != "DATABASE_URL"}
        env.update({"DATABASE_URL": url, "ENDRING_SESSION_KEY": "i" * 64, "RUST_LOG": "warn",
                    "ENDRING_MAIL_DIR": os.path.join(tmp, "mail")})  # one folder: a duplicate shows
        add_users(args.bin, env)  # before serve, which then makes no admin of its own
        ports = [free_port(), free_port()]
        for i, port in enumerate(ports):
            own = {"ENDRING_BIND": f"127.0.0.1:{port}", "ENDRING_BASE_URL": f"http://127.0.0.1:{port}"}
            procs.append(start(args.bin, dict(env, **own), tmp, f"instance{i}"))
        api, people = Api(ports), {}
        for n, (user, _) in enumerate(USERS):  # sign-in limits are per instance: spread them
            status, tok = api.call("POST", "/api/v1/auth/token", None,
                                   {"email": address(user), "password": PASSWORD}, n % 2)
            assert status == 200, (user, status, tok)
            people[user] = {"token": tok["token"], "id": api.call("GET", "/api/v1/me", tok["token"])[1]["id"]}
        admin = people["admin"]["token"]
        cis = [api.call("POST", "/api/v1/cis", admin, {"name": f"System {i}", "kind": "application",
                                                       "criticality": 3, "owner_email": address("owner")}
                        )[1]["id"] for i in range(4)]
        baseline = int(sql(url, "SELECT coalesce(max(seq), 0) FROM audit_events")[0][0])
        setup, run = time.time() - began, Run(api, people, cis, args.seed)
        queue, load_began = iter(range(args.changes)), time.time()
        together(threading.Thread(target=run.actor, args=(queue,)) for _ in range(args.actors))
        load = time.time() - load_began
        print(f"setup {setup:.1f} s; {args.changes} changes by {args.actors} actors in {load:.1f} s; "
              f"waiting for the outbox to drain", flush=True)
        drained = wait_for_outbox(api, args.drain_timeout)
        if drained is None:
            violations.append(f"the outbox did not drain in {args.drain_timeout:.0f} s")
        violations += run.violations + api.errors
        violations += check_all(args, url, env, api, admin, run, baseline, (setup, load, drained, began))
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        subprocess.run(["psql", args.pg_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    for v in violations:
        print(f"  VIOLATION {v}")
    if violations:
        print(f"FAILED: {len(violations)} violations; logs and emails kept in {tmp}")
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("PASSED")


if __name__ == "__main__":
    main()
