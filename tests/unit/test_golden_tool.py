"""tools/golden_log.py --new-types adds only what the fixtures lack: a new event type, or a
new class version of a type (its fields changed), each of an aggregate the fixtures hold no
event of (all the fixtures are replayed into one log)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.support import load_tool

golden = load_tool("golden_log")


def event(topic: str, aggregate: str, **state: Any) -> dict[str, Any]:
    encoded = base64.b64encode(json.dumps(state).encode()).decode()
    return {"type": "event", "log": "sha256", "topic": topic, "originator_id": aggregate,
            "state": encoded}  # fmt: skip


def test_a_new_class_version_of_a_held_type_is_new_and_a_held_one_is_not(tmp_path: Path) -> None:
    held = [event("m:A.Raised", "a1", title="x"), event("m:A.Closed", "a1", class_version=2)]
    (tmp_path / "log-v1.jsonl").write_text("\n".join(json.dumps(e) for e in held) + "\n")
    made = [
        event("m:A.Raised", "a2", class_version=2, title="y"),  # the type's new version
        event("m:A.Closed", "a3", class_version=2),  # held already
        event("m:A.Reopened", "a4"),  # a new type
    ]
    new = golden.only_new_types(made, tmp_path)
    assert [(e["topic"], e["originator_id"]) for e in new] == [
        ("m:A.Raised", "a2"),
        ("m:A.Reopened", "a4"),
    ]
    assert golden.held_aggregates(tmp_path) == {"a1"}
    assert golden.stored_as(made[0]) == ("sha256", "m:A.Raised", 2)
    assert golden.stored_as(held[0]) == ("sha256", "m:A.Raised", 1)
