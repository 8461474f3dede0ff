#!/usr/bin/env python3
"""A dtx client written in Python, using only stubs generated from proto/.

It shows that the gRPC contract (package dtx.v1) is usable from another language:

  1. seeds two accounts with `put` (one Coordinator.Transact),
  2. transfers AMOUNT from one to the other: two `add` ops, the source bounded
     below by 0 (min = Bound{value: 0}),
  3. reads both keys back with Coordinator.Read (a consistent snapshot),
  4. asks Coordinator.GetTransaction for the transfer's txn_id,
  5. tries a transfer larger than the source balance, which must come back
     ABORTED (PRECONDITION_FAILED) with a reason naming the source key,
  6. reads again to show that the aborted transfer changed nothing.

A transaction that aborts with CONFLICT (wait-die: a lock is still held by an
older transaction, e.g. the previous one of this very client while its commit
reaches the participants) is retried under a new txn_id that keeps its
first_attempt_ms; a Read that fails with gRPC ABORTED is retried too. Both
retries are bounded in attempts and time, and counted in the JSON ("attempts").

Given several coordinators (--coordinator a:1,b:2, or the flag repeated), calls go to
them in turn, and a call that finds one down (UNAVAILABLE) or that broke with its
outcome unknown (DEADLINE_EXCEEDED) is sent again, unchanged, to the next one: every
Transact carries a txn_id chosen here, an idempotency key, so a repeat never applies
twice. Bounded too (each address twice, within twice the call's timeout); counted in
the JSON ("failovers"). Each txn_id belongs to the coordinator its hash picks; while
that one is down the others abort it for certain (abort_code PRESUMED), and it is
retried under a new txn_id like a CONFLICT.

Every step's result is printed as one JSON document on stdout. The exit status
is 0 when every check passed, 1 when one failed (the JSON then lists them under
"failures"), 2 for bad usage or missing stubs.

Stubs are generated with, for example:

  python3 -m grpc_tools.protoc -I proto --python_out=OUT --grpc_python_out=OUT \
      proto/dtx/v1/*.proto

and found through --stubs OUT (or PYTHONPATH).

Usage:

  dtx_client_demo.py --stubs OUT --coordinator 127.0.0.1:7700[,127.0.0.1:7701...] \
      [--from alice] [--to bob] [--initial 100] [--amount 30] \
      [--participants p1,p2,p3] \
      [--tls-ca ca.pem [--tls-cert app.pem --tls-key app-key.pem] [--token-file app.token]]

Over TLS (a cluster started with --tls-ca/--tls-cert/--tls-key, see `dtx certs`), the
caller proves who it is with a client certificate (its OUs are its roles) or a bearer
token (the node's --tokens file); it needs the role `client`.

With --participants, the expected owner of each key is computed here with the
placement rule of a new cluster (src/protocol/shardMap.ts): the key's virtual shard,
FNV-1a 32 finished with murmur3's fmix32, modulo 1024, dealt round-robin over the sorted
participant ids (the first shard map) — and compared with the participants the
coordinator reports for the transfer. A cluster whose shards moved routes by its map
(dtx shards list --json).
"""

import argparse
import json
import re
import sys
import time
import uuid

MAX_ATTEMPTS = 20
HOST_PORT = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})$")


def fnv1a32(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def fmix32(h):
    """murmur3's 32-bit finalizer, as in src/protocol/routing.ts."""
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


SHARDS = 1024


def owner_of(key, participants):
    """The participant that owns key in a new cluster: its shard's owner in the first shard map."""
    ids = sorted(participants)
    return ids[(fmix32(fnv1a32(key)) % SHARDS) % len(ids)]


def parse_args(argv):
    ap = argparse.ArgumentParser(description="dtx Python client demo (bank transfer over gRPC)")
    ap.add_argument("--coordinator", required=True, action="append", help="coordinator address host:port; several: a comma list, or the flag repeated")
    ap.add_argument("--stubs", help="directory holding the generated dtx/v1/*_pb2*.py")
    ap.add_argument("--from", dest="src", default="alice", help="source account key")
    ap.add_argument("--to", dest="dst", default="bob", help="destination account key")
    ap.add_argument("--initial", type=int, default=100, help="seed balance of each account")
    ap.add_argument("--amount", type=int, default=30, help="amount of the transfer that must commit")
    ap.add_argument("--participants", default="", help="comma-separated participant ids, to check routing")
    ap.add_argument("--timeout", type=float, default=15.0, help="deadline of each call in seconds")
    ap.add_argument("--tls-ca", help="the cluster CA (PEM): connect over TLS and trust only it")
    ap.add_argument("--tls-cert", help="our client certificate (PEM), e.g. from `dtx certs client`")
    ap.add_argument("--tls-key", help="the key of --tls-cert (PEM)")
    ap.add_argument("--token-file", help="a file holding a bearer token (sent as `authorization: Bearer ...`)")
    return ap.parse_args(argv)


def coordinator_list(values):
    """--coordinator values (each a host:port or a comma list of them) -> addresses, or an error message."""
    addresses = [a.strip() for v in values for a in v.split(",")]
    for a in addresses:
        m = HOST_PORT.match(a)
        if not m or int(m.group(2)) > 65535:
            return None, "--coordinator: expected host:port[,host:port...], got %r" % a
    return addresses, None


class Failover:
    """Stands in for a CoordinatorStub over several coordinators: each call goes to the next
    one in turn, and is sent again, unchanged, to the one after when it finds a coordinator
    down or breaks with its outcome unknown. Safe because every Transact names its txn_id (an
    idempotency key) and Read and GetTransaction only read. Other errors are answers: raised."""

    def __init__(self, grpc, stubs):
        self.grpc, self.stubs, self.turn, self.failovers = grpc, stubs, 0, 0
        self.retry_codes = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)

    def __getattr__(self, method):
        return lambda request, timeout: self.call(method, request, timeout)

    def call(self, method, request, timeout):
        n = len(self.stubs)
        start, self.turn = self.turn, (self.turn + 1) % n
        attempts = 1 if n == 1 else 2 * n
        deadline = time.monotonic() + (timeout if n == 1 else 2 * timeout)
        for k in range(attempts):
            try:
                return getattr(self.stubs[(start + k) % n], method)(request, timeout=max(0.1, min(timeout, deadline - time.monotonic())))
            except self.grpc.RpcError as exc:
                if exc.code() not in self.retry_codes or k + 1 >= attempts or deadline - time.monotonic() < 0.2:
                    raise
                self.failovers += 1
                if (k + 1) % n == 0:
                    time.sleep(0.05 * ((k + 1) // n))  # every coordinator failed once: they may be restarting


def wait_any_ready(grpc, channels, timeout):
    """Returns once one channel is ready; raises grpc.FutureTimeoutError when none is in time."""
    futures = [grpc.channel_ready_future(c) for c in channels]
    deadline = time.monotonic() + timeout
    try:
        while not any(f.done() for f in futures):
            if time.monotonic() >= deadline:
                raise grpc.FutureTimeoutError()
            time.sleep(0.02)
    finally:
        for f in futures:
            f.cancel()


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def open_channel(grpc, args, address):
    """Plaintext without --tls-ca; otherwise TLS that trusts only the cluster CA, presenting our
    certificate when given, and a bearer token on every call when given."""
    if not args.tls_ca:
        if args.token_file:
            raise SystemExit("--token-file needs --tls-ca: gRPC sends call credentials only over TLS")
        return grpc.insecure_channel(address)
    creds = grpc.ssl_channel_credentials(
        root_certificates=read_file(args.tls_ca),
        private_key=read_file(args.tls_key) if args.tls_key else None,
        certificate_chain=read_file(args.tls_cert) if args.tls_cert else None,
    )
    if args.token_file:
        token = read_file(args.token_file).decode().strip()
        creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
    return grpc.secure_channel(address, creds)


def main(argv):
    args = parse_args(argv)
    if args.stubs:
        sys.path.insert(0, args.stubs)
    try:
        import grpc
        from dtx.v1 import coordinator_pb2, coordinator_pb2_grpc, types_pb2
    except ImportError as exc:
        print(json.dumps({"ok": False, "error": "cannot import grpc or the dtx stubs: %s" % exc}))
        return 2

    addresses, error = coordinator_list(args.coordinator)
    if error:
        print(json.dumps({"ok": False, "error": error}))
        return 2
    if args.src == args.dst:
        print(json.dumps({"ok": False, "error": "--from and --to must differ"}))
        return 2
    if not (0 < args.amount <= args.initial):
        print(json.dumps({"ok": False, "error": "--amount must be in 1..--initial"}))
        return 2

    out = {"ok": False, "coordinator": ",".join(addresses), "keys": [args.src, args.dst]}
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)
        return cond

    def outcome_name(value):
        return types_pb2.Outcome.Name(value)

    def abort_code_name(value):
        return types_pb2.AbortCode.Name(value)

    def op_results(results):
        return [
            {"key": r.key, "found": r.found, "value": r.value, "version": r.version}
            for r in results
        ]

    def transact_json(res):
        return {
            "txn_id": res.txn_id,
            "outcome": outcome_name(res.outcome),
            "reason": res.reason,
            "abort_code": abort_code_name(res.abort_code),
            "results": op_results(res.results),
        }

    def transfer_ops(amount):
        return [
            types_pb2.Op(
                key=args.src,
                add=types_pb2.AddOp(delta=-amount, min=types_pb2.Bound(value=0)),
            ),
            types_pb2.Op(key=args.dst, add=types_pb2.AddOp(delta=amount)),
        ]

    def new_id(prefix):
        return "py-%s-%s" % (prefix, uuid.uuid4().hex[:12])

    def transact(stub, prefix, ops, timeout_ms, timeout_s):
        """Transact, retrying CONFLICT and PRESUMED aborts (new id, same first_attempt_ms); bounded."""
        first_ms = int(time.time() * 1000)
        deadline = time.monotonic() + timeout_s
        attempts = 0
        while True:
            attempts += 1
            txn_id = new_id(prefix)
            res = stub.Transact(
                coordinator_pb2.TransactRequest(
                    txn_id=txn_id, ops=ops, timeout_ms=timeout_ms, first_attempt_ms=first_ms
                ),
                timeout=timeout_s,
            )
            check(res.txn_id == txn_id, "%s: the response's txn_id %r is not the one sent (%r)" % (prefix, res.txn_id, txn_id))
            # PRESUMED: the id's owning coordinator was down and the participants made the abort
            # certain; a new id (most likely owned by one that is up) runs the ops once.
            retry = res.outcome == types_pb2.ABORTED and res.abort_code in (types_pb2.CONFLICT, types_pb2.PRESUMED)
            if not retry or attempts >= MAX_ATTEMPTS or time.monotonic() >= deadline:
                return res, attempts
            time.sleep(min(0.02 * attempts, 0.2))

    def read_keys(stub, keys, timeout_ms, timeout_s):
        """Read, retrying gRPC ABORTED (a conflict with a finishing writer); bounded."""
        deadline = time.monotonic() + timeout_s
        attempts = 0
        while True:
            attempts += 1
            try:
                return stub.Read(coordinator_pb2.ReadRequest(keys=keys, timeout_ms=timeout_ms), timeout=timeout_s), attempts
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.ABORTED or attempts >= MAX_ATTEMPTS or time.monotonic() >= deadline:
                    raise
            time.sleep(min(0.02 * attempts, 0.2))

    attempts = {}
    out["attempts"] = attempts
    channels = [open_channel(grpc, args, a) for a in addresses]
    stub = Failover(grpc, [coordinator_pb2_grpc.CoordinatorStub(c) for c in channels])
    try:
        wait_any_ready(grpc, channels, args.timeout)
        t = args.timeout
        timeout_ms = int(t * 1000 * 2 / 3)

        # 1. Seed both accounts in one transaction.
        seed, attempts["seed"] = transact(
            stub,
            "seed",
            [
                types_pb2.Op(key=args.src, put=types_pb2.PutOp(value=str(args.initial))),
                types_pb2.Op(key=args.dst, put=types_pb2.PutOp(value=str(args.initial))),
            ],
            timeout_ms,
            t,
        )
        out["seed"] = transact_json(seed)
        check(seed.outcome == types_pb2.COMMITTED, "seed: expected COMMITTED, got %s (%s)" % (outcome_name(seed.outcome), seed.reason))

        # 2. The transfer: source -amount bounded at 0, destination +amount.
        transfer, attempts["transfer"] = transact(stub, "transfer", transfer_ops(args.amount), timeout_ms, t)
        transfer_id = transfer.txn_id
        out["transfer"] = transact_json(transfer)
        want_src = args.initial - args.amount
        want_dst = args.initial + args.amount
        if check(transfer.outcome == types_pb2.COMMITTED, "transfer: expected COMMITTED, got %s (%s)" % (outcome_name(transfer.outcome), transfer.reason)):
            got = [(r.key, r.value) for r in transfer.results]
            check(got == [(args.src, str(want_src)), (args.dst, str(want_dst))], "transfer: add results %r, want new balances %d and %d" % (got, want_src, want_dst))

        # 3. A consistent snapshot of both keys.
        read, attempts["read"] = read_keys(stub, [args.src, args.dst], timeout_ms, t)
        out["read"] = {"txn_id": read.txn_id, "results": op_results(read.results)}
        got = [(r.key, r.found, r.value) for r in read.results]
        check(got == [(args.src, True, str(want_src)), (args.dst, True, str(want_dst))], "read: got %r, want %s=%d %s=%d" % (got, args.src, want_src, args.dst, want_dst))
        balances = {r.key: int(r.value) for r in read.results if r.found}
        check(sum(balances.values()) == 2 * args.initial, "read: balances %r do not sum to %d" % (balances, 2 * args.initial))

        # 4. The durable outcome of the transfer.
        gt = stub.GetTransaction(coordinator_pb2.GetTransactionRequest(txn_id=transfer_id), timeout=t)
        out["get_transaction"] = {
            "txn_id": gt.txn_id,
            "outcome": outcome_name(gt.outcome),
            "reason": gt.reason,
            "abort_code": abort_code_name(gt.abort_code),
            "participants": list(gt.participants),
            "results": op_results(gt.results),
        }
        check(gt.txn_id == transfer_id, "get_transaction: txn_id %r, want %r" % (gt.txn_id, transfer_id))
        check(gt.outcome == types_pb2.COMMITTED, "get_transaction: expected COMMITTED, got %s" % outcome_name(gt.outcome))
        if args.participants:
            ids = [p for p in args.participants.split(",") if p]
            owners = sorted({owner_of(args.src, ids), owner_of(args.dst, ids)})
            out["expected_participants"] = owners
            check(sorted(gt.participants) == owners, "get_transaction: participants %r, routing says %r" % (sorted(gt.participants), owners))

        # 5. Insufficient funds: more than the source holds. Must abort, naming the source key.
        overdraft = balances.get(args.src, 0) + 1
        ins, attempts["insufficient"] = transact(stub, "overdraft", transfer_ops(overdraft), timeout_ms, t)
        out["insufficient"] = transact_json(ins)
        out["insufficient"]["amount"] = overdraft
        check(ins.outcome == types_pb2.ABORTED, "insufficient: expected ABORTED, got %s" % outcome_name(ins.outcome))
        check(args.src in ins.reason, "insufficient: reason %r does not name the key %r" % (ins.reason, args.src))
        check(ins.abort_code == types_pb2.PRECONDITION_FAILED, "insufficient: abort_code %s, want PRECONDITION_FAILED" % abort_code_name(ins.abort_code))
        check(len(ins.results) == 0, "insufficient: an aborted transaction returned results %r" % op_results(ins.results))

        # 6. Nothing changed.
        after, attempts["read_after_abort"] = read_keys(stub, [args.src, args.dst], timeout_ms, t)
        out["read_after_abort"] = {"txn_id": after.txn_id, "results": op_results(after.results)}
        got = [(r.key, r.value) for r in after.results]
        check(got == [(args.src, str(want_src)), (args.dst, str(want_dst))], "read_after_abort: got %r, the aborted transfer changed something" % (got,))
        out["balances"] = {r.key: int(r.value) for r in after.results if r.found}
    except grpc.FutureTimeoutError:
        failures.append("no coordinator of %s reachable within %ss" % (",".join(addresses), args.timeout))
    except grpc.RpcError as exc:
        failures.append("rpc failed: %s: %s" % (exc.code().name, exc.details()))
    finally:
        out["failovers"] = stub.failovers
        for channel in channels:
            channel.close()

    out["failures"] = failures
    out["ok"] = not failures
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
