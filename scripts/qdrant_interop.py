"""The Python half of `make test-interop-python`: ruvector-web's JSON-lines export loaded into
Qdrant (qdrant-client's local mode, no server), 100 queries answered as ruvector-web's exact flat
index answers them, and Qdrant's own points written back as JSON lines for the Node half to
import (scripts/qdrant-interop.mjs).

Qdrant's point ids are unsigned integers or UUIDs, so each record's id travels in the payload
(`id`) with its text and metadata; the point id is the row number.
"""
import json
import sys
from pathlib import Path

from qdrant_client import QdrantClient, models

K = 10


def same_top(mine, theirs, label):
    """Ranks compared: in order where neighbouring distances differ by more than 1e-6, as sets
    within ties, a run of ties across the cut left out. Raises on a difference."""
    i = checked = 0
    while i < K:
        j = i + 1
        while j < len(mine) and abs(mine[j]["distance"] - mine[j - 1]["distance"]) <= 1e-6:
            j += 1
        if j > K:
            break
        want = sorted(h["id"] for h in mine[i:j])
        got = sorted(theirs[i:j])
        if got != want:
            raise AssertionError(f"{label}: ranks {i + 1}-{j}: {got} != {want}")
        checked += j - i
        i = j
    return checked


def main(out: Path):
    rows = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines() if line.strip()]
    queries = json.loads((out / "queries.json").read_text())
    client = QdrantClient(path=str(out / "qdrant"))
    if client.collection_exists("items"):
        client.delete_collection("items")
    dim = len(rows[0]["vector"])
    client.create_collection("items", vectors_config=models.VectorParams(size=dim, distance=models.Distance.EUCLID))
    for s in range(0, len(rows), 500):
        client.upsert(
            "items",
            points=[
                models.PointStruct(id=s + i, vector=r["vector"], payload={"id": r["id"], "text": r["text"], "metadata": r["metadata"]})
                for i, r in enumerate(rows[s : s + 500])
            ],
        )
    checked = 0
    for q, query in enumerate(queries):
        hits = client.query_points("items", query=query["vector"], limit=K, with_payload=True).points
        checked += same_top(query["top"], [h.payload["id"] for h in hits], f"Qdrant query {q}")
    if checked < 0.95 * len(queries) * K:
        raise AssertionError(f"only {checked} of {len(queries) * K} ranks compared")
    with (out / "from-qdrant.jsonl").open("w") as f:
        offset = None
        while True:
            points, offset = client.scroll("items", limit=500, offset=offset, with_vectors=True, with_payload=True)
            for p in points:
                f.write(json.dumps({"id": p.payload["id"], "vector": p.vector, "text": p.payload["text"], "metadata": p.payload["metadata"]}) + "\n")
            if offset is None:
                break
    client.close()
    print(f"qdrant-interop: Qdrant answered {len(queries)} queries as the flat index does ({checked} ranks compared)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
