#!/usr/bin/env python3
"""A millrace worker in Python, with the standard library only.

It starts a member of a consumer on a millrace server, long-polls for
deliveries, handles each, and commits the results in one call per batch.
Ctrl-C (or SIGTERM) stops the member, so what it had not committed goes to
the next owner at once.

    python3 worker.py --url http://127.0.0.1:7700 --consumer billing \
        --sequence category:order

Given several --url, it sends its calls to each server in turn: any server
over the same database serves any member. A server that refuses or does not
answer is skipped for a while, and a call answered 503 is made again after
its Retry-After. No call waits on one server long enough for the member's
session to lapse meanwhile.

Set MILLRACE_API_KEY when the server has API keys (a key with the `consume`
scope). Each handled event is printed as one JSON line on stdout.
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request


TRIES = 30
# How long a server that refused or did not answer is passed over.
RESTING_SECONDS = 10


class Refused(Exception):
    """The server refused the call: { error: { code, reason, message } }."""

    def __init__(self, status, error):
        super().__init__(f"{status} {error['code']}/{error['reason']}: {error['message']}")
        self.status, self.code, self.reason = status, error["code"], error["reason"]


class Servers:
    """The servers in turn, passing over those that failed lately (unless all did)."""

    def __init__(self, urls):
        self.urls = [url.rstrip("/") for url in urls]
        self.calls = 0
        self.resting = {}

    def next(self):
        now = time.monotonic()
        for _ in range(len(self.urls)):
            url = self.urls[self.calls % len(self.urls)]
            self.calls += 1
            if self.resting.get(url, 0) <= now:
                return url
        # Every server failed lately: the one resting longest goes first.
        return min(self.urls, key=lambda url: self.resting[url])

    def failed(self, url):
        self.resting[url] = time.monotonic() + RESTING_SECONDS

    def answered(self, url):
        self.resting.pop(url, None)

    def all_resting(self):
        now = time.monotonic()
        return all(self.resting.get(url, 0) > now for url in self.urls)


class Member:
    def __init__(self, urls, api_key, session_timeout_ms):
        self.servers = Servers(urls)
        self.api_key = api_key
        self.id = None
        self.token = None
        # A call given up on one server in time to be made on another before the session
        # lapses: the member lives as long as some server hears from the worker.
        self.margin = min(10, session_timeout_ms / 3000)

    def call(self, method, path, body=None, wait_seconds=0, timeout=None):
        """`timeout`: for calls made before or after the member's session (start, stop)."""
        headers = {}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        if self.token:
            headers["millrace-member-token"] = self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["content-type"] = "application/json"
        for attempt in range(1, TRIES + 1):
            url = self.servers.next()
            request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=timeout or wait_seconds + self.margin) as response:
                    answer = json.load(response)
                self.servers.answered(url)
                return answer
            except urllib.error.HTTPError as error:
                self.servers.answered(url)
                refused = Refused(error.code, json.load(error)["error"])
                if error.code == 503 and attempt < TRIES:
                    time.sleep(float(error.headers.get("retry-after", "1")))
                    continue
                raise refused
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                # That server is down or frozen: another takes the call (and the member).
                self.servers.failed(url)
                print(json.dumps({"unreachable": url, "why": repr(error)}), file=sys.stderr, flush=True)
                if attempt == TRIES:
                    raise
                if self.servers.all_resting():
                    time.sleep(0.2)

    def start(self, consumer, options):
        # Its first partitions may wait on a rebalance among the members.
        answer = self.call("POST", f"/v1/consumers/{consumer}/members", options, timeout=60)
        self.id, self.token = answer["memberId"], answer["token"]
        return answer

    def fetch(self, max_deliveries, wait_ms):
        body = {"max": max_deliveries, "wait": wait_ms}
        # The server may hold the call for `wait`: the answer is due a little after.
        return self.call("POST", f"/v1/members/{self.id}/fetch", body, wait_seconds=wait_ms / 1000)

    def commit(self, ok, results):
        """`ok`: ids of deliveries handled well; `results`: the others, each with its outcome."""
        body = {"ok": ok, "results": results}
        return self.call("POST", f"/v1/members/{self.id}/commit", body)["results"]

    def stop(self):
        if self.id is not None:
            member, self.id = self.id, None
            self.call("DELETE", f"/v1/members/{member}", timeout=30)

    def ended(self):
        """The member ended without the worker (expired, stopped): nothing left to stop."""
        self.id = None


def handle(event):
    """The work. Return None when done, or a result: retry, dead-letter or cancel."""
    if isinstance(event["data"], dict) and event["data"].get("poison"):
        return {"outcome": "dead-letter", "reason": "poison pill"}
    line = {"id": event["id"], "stream": event["stream"], "version": event["version"], "at": time.time()}
    print(json.dumps(line), flush=True)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="a server's URL; repeat for several")
    parser.add_argument("--consumer", required=True)
    parser.add_argument("--sequence", default="log")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--max", type=int, default=100)
    parser.add_argument("--session-timeout-ms", type=int, default=30000)
    args = parser.parse_args()

    urls = args.url or [os.environ.get("MILLRACE_URL", "http://127.0.0.1:7700")]
    member = Member(urls, os.environ.get("MILLRACE_API_KEY"), args.session_timeout_ms)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    started = member.start(
        args.consumer,
        {
            "sequence": args.sequence,
            "partitions": args.partitions,
            "sessionTimeoutMs": args.session_timeout_ms,
            "worker": f"python:{os.getpid()}",
        },
    )
    print(json.dumps({"started": started["memberId"]}), file=sys.stderr, flush=True)
    try:
        while not stopping:
            # A long poll, well inside the session timeout: the member stays alive.
            wait = min(20000, args.session_timeout_ms // 3)
            answer = member.fetch(args.max, wait)
            ok, results = [], []
            for delivery in answer["deliveries"]:
                try:
                    outcome = handle(delivery["event"])
                except Exception as error:  # a failure: try again later
                    outcome = {"outcome": "retry", "afterMs": 1000, "reason": str(error)}
                if outcome is None:
                    ok.append(delivery["id"])
                else:
                    results.append({"id": delivery["id"], **outcome})
            if ok or results:
                for result in member.commit(ok, results):
                    if result["status"] != "applied":
                        print(json.dumps({"commit": result}), file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass
    except Refused as refused:
        if refused.code == "fenced" and refused.reason.startswith("member_"):
            # Silent past its session timeout (frozen, say): its partitions moved on. A
            # supervisor starts the worker again, as a new member.
            member.ended()
            print(json.dumps({"ended": refused.reason}), file=sys.stderr, flush=True)
            sys.exit(3)
        raise
    finally:
        member.stop()


if __name__ == "__main__":
    main()
