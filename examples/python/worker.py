#!/usr/bin/env python3
"""A millrace worker in Python, with the standard library only.

It starts a member of a consumer on a millrace server, long-polls for
deliveries, handles each, and commits the results in one call per batch.
Ctrl-C (or SIGTERM) stops the member, so what it had not committed goes to
the next owner at once.

    python3 worker.py --url http://127.0.0.1:7700 --consumer billing \
        --sequence category:order

Given several --url, it sends its calls to each server in turn: any server
over the same database serves any member. A server that is down is skipped,
and a call answered 503 is made again after its Retry-After.

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


class Member:
    def __init__(self, urls, api_key):
        self.urls = [url.rstrip("/") for url in urls]
        self.calls = 0
        self.api_key = api_key
        self.id = None
        self.token = None

    def call(self, method, path, body=None, timeout=10):
        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["authorization"] = f"Bearer {self.api_key}"
        if self.token:
            headers["millrace-member-token"] = self.token
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(1, TRIES + 1):
            url = self.urls[self.calls % len(self.urls)]
            self.calls += 1
            request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return json.load(response)
            except urllib.error.HTTPError as error:
                # Every refusal has the same shape: { error: { code, reason, message } }.
                answer = json.load(error)["error"]
                if error.code == 503 and attempt < TRIES:
                    time.sleep(float(error.headers.get("retry-after", "1")))
                    continue
                raise RuntimeError(f"{error.code} {answer['code']}/{answer['reason']}: {answer['message']}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # That server is down or frozen: the next one takes the call (and the member).
                if attempt == TRIES:
                    raise
                time.sleep(0.2)

    def start(self, consumer, options):
        answer = self.call("POST", f"/v1/consumers/{consumer}/members", options)
        self.id, self.token = answer["memberId"], answer["token"]
        return answer

    def fetch(self, max_deliveries, wait_ms):
        body = {"max": max_deliveries, "wait": wait_ms}
        # The server may hold the call for `wait`: the answer is due a little after.
        return self.call("POST", f"/v1/members/{self.id}/fetch", body, timeout=wait_ms / 1000 + 10)

    def commit(self, ok, results):
        """`ok`: ids of deliveries handled well; `results`: the others, each with its outcome."""
        body = {"ok": ok, "results": results}
        return self.call("POST", f"/v1/members/{self.id}/commit", body)["results"]

    def stop(self):
        if self.id is not None:
            self.call("DELETE", f"/v1/members/{self.id}")
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
    member = Member(urls, os.environ.get("MILLRACE_API_KEY"))
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
            wait = min(20000, args.session_timeout_ms // 2)
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
    finally:
        member.stop()


if __name__ == "__main__":
    main()
