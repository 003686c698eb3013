#!/usr/bin/env python3
"""Two instances on one PostgreSQL: votes racing on both decide each change once.

Starts two `endring serve` processes on one fresh PostgreSQL database (same session key,
one mail folder), and has actor threads take changes through their whole lifecycle
(draft, risk, submit, assess, votes, start, complete, review), every request going to
either instance. The votes on each change are cast at the same moment by several voters
against both instances. Afterwards it checks that each change was decided exactly once
and as its recorded votes say, that the audit trail holds exactly one event per
acknowledged write (plus one per decision), that no notice was queued or mailed twice,
and that `endring audit verify` finds the chain intact.

    python3 tests/instances/run.py --bin target/debug/endring \
        --pg-url postgres://postgres@127.0.0.1:5432/postgres [--changes 200] [--actors 8]

Standard library only (psql for the database's own counts). Exit status 1 on any
violation.
"""
import argparse, collections, email.parser, email.policy, http.client, itertools, json, os, random
import shutil, socket, subprocess, sys, tempfile, threading, time, urllib.parse
from datetime import datetime, timedelta, timezone

PASSWORD = "instances-password-1"
ANSWERS = {
    "low": {"users_affected": "none", "tested": "yes", "backout": "yes", "complexity": "low", "downtime": "none"},
    "medium": {"users_affected": "under_500", "tested": "partly", "backout": "yes", "complexity": "medium",
               "downtime": "none"},
    "high": {"users_affected": "everyone", "tested": "partly", "backout": "untested", "complexity": "medium",
             "downtime": "none"},
}
# SPEC §5 defaults: approvals needed, and whether one must be a change manager's; veto on.
RULES = {"low": (1, True), "medium": (2, False), "high": (3, True), "very_high": (4, True)}
MANAGERS, MEMBERS = ["mgr0", "mgr1", "mgr2"], ["cab0", "cab1", "cab2", "cab3"]
# Writes that leave one audit event on the change's trail (a deciding vote leaves two:
# `vote` and `decide`; the decision is counted apart).
EVENT_OF = {"create": "create", "risk": "risk", "notes": "note", "submit": "submit", "assess": "assess",
            "votes": "vote", "start": "start", "complete": "complete", "review": "review"}


class Api:
    """HTTP to the instances, counting every request and keeping every 5xx."""

    def __init__(self, ports):
        self.ports, self.lock, self.turn = ports, threading.Lock(), itertools.count()
        self.statuses, self.errors = collections.Counter(), []

    def call(self, method, path, token=None, body=None, instance=None):
        if instance is None:  # take turns, so every step of a change meets both instances
            with self.lock:
                instance = next(self.turn) % len(self.ports)
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        if data:
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[instance], timeout=60)
        try:
            conn.request(method, path, data, headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        answer = json.loads(raw) if raw and raw[:1] in b"[{" else raw.decode(errors="replace")
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
    out = subprocess.run(["psql", url, "-XAtF", "\t", "-c", query], check=True, capture_output=True, text=True)
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def start(binary, env, workdir, name):
    log = open(os.path.join(workdir, f"{name}.log"), "wb")
    proc = subprocess.Popen([binary, "serve"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    port = int(env["ENDRING_BIND"].rsplit(":", 1)[1])
    for _ in range(1200):
        if proc.poll() is not None:
            sys.exit(f"{name} exited with {proc.returncode}; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{name} did not answer /healthz in 120 s; see {log.name}")


def add_users(binary, env, users):
    """`endring user add` per user, four processes at a time (argon2 per password)."""
    def add(chunk):
        for name, roles in chunk:
            args = [binary, "user", "add", "--email", f"{name}@inst.example.no", "--name", name.title(),
                    "--password", PASSWORD] + [a for r in roles for a in ("--role", r)]
            done = subprocess.run(args, env=env, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"user add {name}: {done.stdout}{done.stderr}")
    threads = [threading.Thread(target=add, args=(users[i::4],)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]


class Run:
    """The actors' shared state: who is who, what was acknowledged, what went wrong."""

    def __init__(self, api, people, cis, seed, requesters, implementers):
        self.api, self.people, self.cis, self.seed = api, people, cis, seed
        self.requesters, self.implementers = requesters, implementers
        self.lock = threading.Lock()
        self.acks = collections.Counter()     # change id -> acknowledged writes that make an event
        self.votes = {}                        # change id -> [(voter, decision, comment, status)]
        self.changes = {}                      # change id -> (level, requester, implementer)
        self.violations = []

    def fail(self, message):
        with self.lock:
            self.violations.append(message)

    def act(self, cid, who, method, path, body, instance=None):
        status, answer = self.api.call(method, path, self.people[who]["token"], body, instance)
        if status in (200, 201):
            with self.lock:
                self.acks[cid if cid is not None else answer["id"]] += 1
            return answer
        self.fail(f"{method} {path} by {who}: {status} {answer}")
        return None

    def actor(self, queue):
        while True:
            with self.lock:
                k = next(queue, None)
            if k is None:
                return
            self.lifecycle(k)

    def lifecycle(self, k):
        rng = random.Random(f"{self.seed}-{k}")
        requester = self.requesters[k % len(self.requesters)]
        implementer = self.implementers[(k // len(self.requesters)) % len(self.implementers)]
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
            self.changes[cid] = (level, requester, implementer)
        manager = rng.choice(MANAGERS)
        steps = [(requester, "PUT", "/risk", {"answers": ANSWERS[level]}),
                 (requester, "POST", "/notes", {"body": f"Note on change {k}"}),
                 (requester, "POST", "/submit", {}),
                 (manager, "POST", "/assess", {"outcome": "authorize", "comment": f"assessed {k}"})]
        for who, method, path, body in steps:
            if self.act(cid, who, method, base + path, body) is None:
                return
        # More approvals than the rule needs, and a veto now and then: which vote
        # decides depends on the race alone.
        need, _ = RULES[level]
        approvers = rng.sample(MANAGERS, rng.randint(1, 2)) + rng.sample(MEMBERS, need + 1)
        ballots = [(v, "approve") for v in approvers]
        if rng.random() < 0.3:
            ballots.append((rng.choice([m for m in MEMBERS if m not in approvers] or MANAGERS), "reject"))
        rng.shuffle(ballots)
        self.race(cid, k, ballots)
        status, change = self.api.call("GET", base, self.people[requester]["token"])
        if change["state"] == "scheduled":
            closer = rng.choice([m for m in MANAGERS if m != manager])
            for who, path, body in [(implementer, "/start", {}),
                                    (implementer, "/complete", {"closure_code": "successful", "notes": "ok"}),
                                    (closer, "/review", {"review": f"reviewed {k}"})]:
                if self.act(cid, who, "POST", base + path, body) is None:
                    return
        elif change["state"] != "rejected":
            self.fail(f"{change['ref']}: still {change['state']} after every vote was cast")

    def race(self, cid, k, ballots):
        """All ballots at once, alternating instances; 409 (already decided) is expected."""
        barrier, results = threading.Barrier(len(ballots)), []

        def cast(i, voter, decision):
            body = {"decision": decision, "comment": f"{decision} {k} by {voter}"}
            barrier.wait()
            status, answer = self.api.call("POST", f"/api/v1/changes/{cid}/votes",
                                           self.people[voter]["token"], body, instance=i % 2)
            with self.lock:
                results.append((voter, decision, body["comment"], status))
                if status == 200:
                    self.acks[cid] += 1
                elif status != 409:
                    self.violations.append(f"vote on {cid} by {voter}: {status} {answer}")
        threads = [threading.Thread(target=cast, args=(i, v, d)) for i, (v, d) in enumerate(ballots)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        self.votes[cid] = results


def decided_by(level, votes):
    """What the rule makes of `votes` in order: (index of the deciding vote, outcome)."""
    need, manager_needed = RULES[level]
    latest = {}
    for i, v in enumerate(votes):
        latest[v["voter"]["id"]] = v
        ballots = latest.values()
        if any(b["decision"] == "reject" for b in ballots):
            return i, "rejected"
        yes = [b for b in ballots if b["decision"] == "approve"]
        if len(yes) >= need and (not manager_needed or any(b["as_manager"] for b in yes)):
            return i, "approved"
    return None, None


def check_change(run, cid, change, events):
    """One change: decided once, as its votes say, with exactly the events acknowledged."""
    ref, (level, _, _) = change["ref"], run.changes[cid]
    problems = []
    decides = [e for e in events if e["action"] == "decide"]
    if len(decides) != 1:
        problems.append(f"{ref}: {len(decides)} decide events (one expected)")
    votes = [v for v in change["approval"]["votes"] if v["round"] == change["approval"]["round"]]
    acked = {c for _, _, c, s in run.votes.get(cid, []) if s == 200}
    recorded = {v["comment"] for v in votes}
    if recorded != acked:
        problems.append(f"{ref}: votes recorded {sorted(recorded)} but acknowledged {sorted(acked)}")
    index, outcome = decided_by(change["risk"]["level"], votes)
    if index is None or index != len(votes) - 1:
        problems.append(f"{ref}: the rule decides at vote {index} of {len(votes)}: a vote after the decision")
    final = {"approved": "closed", "rejected": "rejected"}.get(outcome)
    if change["state"] != final:
        problems.append(f"{ref}: {change['state']}, but its votes say {outcome}")
    if decides and decides[0]["payload"].get("decision") != outcome:
        problems.append(f"{ref}: decide event says {decides[0]['payload'].get('decision')}, votes say {outcome}")
    if len(events) != run.acks[cid] + len(decides):
        problems.append(f"{ref}: {len(events)} events for {run.acks[cid]} acknowledged writes "
                        f"and {len(decides)} decisions")
    return problems, outcome


def wait_for_outbox(api, timeout):
    """Until both instances' /healthz report no notice waiting, twice in a row."""
    began, quiet = time.time(), 0
    while time.time() - began < timeout:
        waiting = [api.call("GET", "/healthz", instance=i)[1]["outbox"]["waiting"] for i in (0, 1)]
        quiet = quiet + 1 if waiting == [0, 0] else 0
        if quiet == 2:
            return time.time() - began
        time.sleep(3)
    return None


def check_mail(url, mail_dir):
    """Notices queued once per (recipient, kind, change, round) and mailed at most once."""
    problems = []
    dup_rows = sql(url, "SELECT recipient_email, kind, coalesce(change_id::text, payload::json->>'meeting_id'), "
                        "payload::json->>'round', count(*) FROM outbox GROUP BY 1, 2, 3, 4 HAVING count(*) > 1")
    problems += [f"notice {kind} about {about} (round {rnd}) queued {n} times for {to}"
                 for to, kind, about, rnd, n in dup_rows]
    parser, seen_id, seen_subject = email.parser.BytesHeaderParser(policy=email.policy.default), {}, {}
    files = sorted(os.listdir(mail_dir)) if os.path.isdir(mail_dir) else []
    for name in files:
        with open(os.path.join(mail_dir, name), "rb") as f:
            head = parser.parse(f)
        to, mid, subject = str(head["To"]), str(head["Message-ID"]), str(head["Subject"])
        for seen, key in ((seen_id, (to, mid)), (seen_subject, (to, subject))):
            if key in seen:
                problems.append(f"the same email twice to {to}: {seen[key]} and {name} ({mid}, {subject!r})")
            seen[key] = name
    return problems, len(files)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--pg-url", default=os.environ.get("ENDRING_TEST_PG_URL"),
                        help="a PostgreSQL server to make a fresh database on; default $ENDRING_TEST_PG_URL")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--actors", type=int, default=8)
    parser.add_argument("--seed", default="endring")
    parser.add_argument("--drain-timeout", type=float, default=600, help="seconds to wait for the outbox")
    args = parser.parse_args()
    if not args.pg_url:
        sys.exit("--pg-url (or ENDRING_TEST_PG_URL) is required: two instances need PostgreSQL")
    began, tmp = time.time(), tempfile.mkdtemp(prefix="endring-instances-")
    name = f"endring_instances_{os.getpid()}"
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(args.pg_url)._replace(path="/" + name))
    subprocess.run(["psql", args.pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    procs, violations = [], []
    try:
        ports = [free_port(), free_port()]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENDRING_") and k != "DATABASE_URL"}
        env.update({"DATABASE_URL": url, "ENDRING_SESSION_KEY": "i" * 64, "RUST_LOG": "warn",
                    "ENDRING_MAIL_DIR": os.path.join(tmp, "mail")})  # one folder: a duplicate shows
        requesters = [f"req{i}" for i in range(4)]
        implementers = [f"imp{i}" for i in range(4)]
        users = [("admin", ["admin"])] + [(r, []) for r in requesters] + \
            [(i, ["implementer"]) for i in implementers] + [(m, ["change_manager"]) for m in MANAGERS] + \
            [(c, ["cab_member"]) for c in MEMBERS]
        add_users(args.bin, env, users)  # before serve, which then makes no admin of its own
        for i, port in enumerate(ports):
            procs.append(start(args.bin, dict(env, ENDRING_BIND=f"127.0.0.1:{port}",
                                              ENDRING_BASE_URL=f"http://127.0.0.1:{port}"), tmp, f"instance{i}"))
        api, people = Api(ports), {}
        for n, (user, _) in enumerate(users):  # sign-in limits are per instance: spread them
            status, tok = api.call("POST", "/api/v1/auth/token", None,
                                   {"email": f"{user}@inst.example.no", "password": PASSWORD}, n % 2)
            assert status == 200, (user, status, tok)
            people[user] = {"token": tok["token"], "id": api.call("GET", "/api/v1/me", tok["token"])[1]["id"]}
        cis = [api.call("POST", "/api/v1/cis", people["admin"]["token"],
                        {"name": f"System {i}", "kind": "application", "criticality": 3,
                         "owner_email": "owner@inst.example.no"})[1]["id"] for i in range(4)]
        baseline = int(sql(url, "SELECT coalesce(max(seq), 0) FROM audit_events")[0][0])
        setup = time.time() - began
        run = Run(api, people, cis, args.seed, requesters, implementers)
        queue, load_began = iter(range(args.changes)), time.time()
        actors = [threading.Thread(target=run.actor, args=(queue,)) for _ in range(args.actors)]
        [t.start() for t in actors]
        [t.join() for t in actors]
        load = time.time() - load_began
        print(f"setup {setup:.1f} s; {args.changes} changes by {args.actors} actors in {load:.1f} s; "
              f"waiting for the outbox to drain", flush=True)
        drained = wait_for_outbox(api, args.drain_timeout)
        if drained is None:
            violations.append(f"the outbox did not drain in {args.drain_timeout:.0f} s")
        violations += run.violations + api.errors

        outcomes, event_total = collections.Counter(), 0
        admin = people["admin"]["token"]
        for cid in sorted(run.changes):
            change = api.call("GET", f"/api/v1/changes/{cid}", admin)[1]
            events = api.call("GET", f"/api/v1/changes/{cid}/events", admin)[1]
            problems, outcome = check_change(run, cid, change, events)
            violations += problems
            outcomes[outcome] += 1
            event_total += len(events)
        # Every event since the baseline is about one of these changes, or is the mail
        # worker's own (planning CAB meetings, sending an agenda).
        others = sql(url, f"SELECT action, count(*) FROM audit_events WHERE seq > {baseline} AND "
                          f"(change_id IS NULL OR change_id NOT IN ({','.join(map(str, run.changes)) or '0'})) "
                          "GROUP BY action")
        new_events = int(sql(url, "SELECT max(seq) FROM audit_events")[0][0]) - baseline
        writes, decisions = sum(run.acks.values()), sum(outcomes[o] for o in ("approved", "rejected"))
        if event_total != writes + decisions:
            violations.append(f"{event_total} change events for {writes} writes and {decisions} decisions")
        violations += [f"unexpected event {a} x{n} during the run" for a, n in others
                       if a not in ("plan_meeting", "send_agenda")]
        if new_events != event_total + sum(int(n) for _, n in others):
            violations.append(f"{new_events} new audit events, {event_total} on the changes, others {others}")
        meetings = sql(url, "SELECT starts_at, count(*) FROM cab_meetings GROUP BY 1 HAVING count(*) > 1")
        violations += [f"CAB meeting at {at} planned {n} times" for at, n in meetings]
        mail_problems, emails = check_mail(url, env["ENDRING_MAIL_DIR"])
        violations += mail_problems
        notices = dict(sql(url, "SELECT status, count(*) FROM outbox GROUP BY status"))
        verify = subprocess.run([args.bin, "audit", "verify"], env=env, capture_output=True, text=True)
        if verify.returncode != 0 or not verify.stdout.startswith("OK:"):
            violations.append(f"audit verify: {verify.stdout}{verify.stderr}")
        print(f"changes {len(run.changes)} (approved and closed {outcomes['approved']}, rejected "
              f"{outcomes['rejected']}); requests {sum(api.statuses.values())} "
              f"({', '.join(f'{s}: {n}' for s, n in sorted(api.statuses.items()))}); votes "
              f"{sum(len(v) for v in run.votes.values())} cast, "
              f"{sum(s == 200 for vs in run.votes.values() for *_, s in vs)} counted; decisions {decisions}; "
              f"events {new_events} ({writes} acknowledged writes + {decisions} decide + "
              f"{new_events - event_total} by the mail worker); notices {sum(int(n) for n in notices.values())} "
              f"({', '.join(f'{s} {n}' for s, n in sorted(notices.items()))}); emails {emails}; outbox drained "
              f"in {drained or float('nan'):.1f} s; {verify.stdout.strip()}; {time.time() - began:.1f} s in all",
              flush=True)
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
