#!/usr/bin/env python3
"""The reference a user would otherwise write for Layer bills: json.load the
whole file, then upsert one row per bill (id, canonical JSON payload) into
SQLite in one transaction. Usage: layer_reference.py BILLS.json DB"""
import json, sqlite3, sys

bills = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
db.execute("create table if not exists bills (external_id text primary key, payload text not null)")
with db:
    db.executemany(
        "insert into bills values (?, ?) on conflict(external_id) do update set payload = excluded.payload "
        "where bills.payload <> excluded.payload",
        ((b["external_id"], json.dumps(b, sort_keys=True)) for b in bills))
print(len(bills))
