#!/usr/bin/env python3
"""Seeds contacts through the API: POST /api/v1/contacts N times over keep-alive connections
from a pool of threads. Usage: seed.py BASE_URL TOKEN COUNT [THREADS]. Prints the id of the
first contact (lastName Lovelace1) on stdout; any answer other than 201 stops it (exit 1)."""
import http.client
import json
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 16
url = urllib.parse.urlsplit(base)
local = threading.local()
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


def create(i):
    if getattr(local, "conn", None) is None:
        local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    body = json.dumps({"firstName": "Ada", "lastName": f"Lovelace{i}", "email": f"ada{i}@example.com"})
    for attempt in range(2):  # one retry on a dropped keep-alive connection
        try:
            local.conn.request("POST", "/api/v1/contacts", body, headers)
            response = local.conn.getresponse()
            data = response.read()
            break
        except (http.client.HTTPException, OSError):
            local.conn.close()
            local.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            if attempt:
                raise
    if response.status != 201:
        raise RuntimeError(f"POST /api/v1/contacts #{i}: HTTP {response.status}: {data[:300]!r}")
    return json.loads(data)["id"]


with ThreadPoolExecutor(threads) as pool:
    ids = list(pool.map(create, range(1, count + 1)))
print(ids[0])
