#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# json_python_check.sh TEST_JSON_BINARY
#
# The JSON dumps read by a second, independent parser: runs test_json with
# VKM_JSON_DUMP_DIR set (it saves every vmaBuildStatsString it makes, and the names the
# detailed dump must show), then has Python's json module read every dump strictly (no
# NaN / Infinity, no duplicate keys in an object) and find each hostile name, decoded,
# as a "Name" value. Exit 77 (skipped) without python3.
set -euo pipefail
bin=$1
command -v python3 >/dev/null || { echo "python3 not found: skipped"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
rc=0
VKM_JSON_DUMP_DIR=$dir "$bin" || rc=$?
[ "$rc" -eq 0 ] || { echo "test_json itself failed ($rc)"; exit "$rc"; }
python3 - "$dir" <<'PY'
import glob, json, os, sys
d = sys.argv[1]

def no_dupes(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)

def no_constants(c):
    raise ValueError("non-JSON constant " + c)

dumps = sorted(glob.glob(os.path.join(d, "dump-*.json")))
if not dumps:
    sys.exit("no dumps saved")
seen = []
for p in dumps:
    with open(p, "rb") as f:
        raw = f.read()
    # names are copied in the program's own encoding (VMA's rule): bytes that are not
    # UTF-8 come through as surrogate escapes, and compare equal to the names read the
    # same way below
    text = raw.decode("utf-8", "surrogateescape")
    doc = json.loads(text, object_pairs_hook=no_dupes, parse_constant=no_constants)
    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "Name" and isinstance(v, str):
                    seen.append(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(doc)
with open(os.path.join(d, "names.hex")) as f:
    want = [bytes.fromhex(l.strip()).decode("utf-8", "surrogateescape") for l in f if l.strip()]
missing = [w for w in want if not any(s == w or s.endswith(" - " + w) for s in seen)]
if missing:
    sys.exit("names not found in any dump: %r" % missing)
print("json_python_check: %d dumps parsed by Python's json, %d names found" % (len(dumps), len(want)))
PY
