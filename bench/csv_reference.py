#!/usr/bin/env python3
"""A careful Python csv + sqlite3 upsert with a JSON payload: the script a user
would write instead of backfill-sync. Usage: csv_reference.py FILE.csv DB"""
import csv, json, sqlite3, sys

db = sqlite3.connect(sys.argv[2])
db.execute("create table if not exists expenses (source_id text primary key, payload text not null)")
with open(sys.argv[1], newline="", encoding="utf-8") as f, db:
    rows = csv.DictReader(f)
    db.executemany(
        "insert into expenses values (?, ?) on conflict(source_id) do update set payload = excluded.payload "
        "where expenses.payload <> excluded.payload",
        ((r["ID"], json.dumps(r, sort_keys=True)) for r in rows))
