"""The fleet's ClientApp: apply the records, answer the step on this PC's own examples.

Flower starts it once per message; the PC's state is its record log in its fleet folder (app.fleet.member).
The SuperNode's ``--node-config`` names the PC, its example file and that folder.
"""

from __future__ import annotations

import json

from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.clientapp import ClientApp

from app.engine.storage import atomic_write_json
from app.fleet.coordinator import VIEW_FILE
from app.fleet.head import FleetHead, candidates_from_wire
from app.fleet.member import FleetMember
from app.fleet.protocol import FleetSpec, records_from_json

app = ClientApp()


@app.train()
def train(msg: Message, context: Context) -> Message:
    ask = msg.content["fleet"]
    cfg = context.node_config
    spec = FleetSpec.from_json(str(ask["spec"]))
    member = FleetMember.from_data(
        spec,
        str(cfg["name"]),
        str(cfg["data"]),
        str(cfg["folder"]),
        text_column=str(cfg["text-column"]) if cfg.get("text-column") else None,
        label_column=str(cfg["label-column"]) if cfg.get("label-column") else None,
        threads=int(cfg.get("threads", 1)),
    )
    try:
        if "view" in ask:  # the coordinator's view of the fleet, for this PC's window
            atomic_write_json(member.state_dir / VIEW_FILE, json.loads(str(ask["view"])))
        answer: dict = {"name": member.name}
        if "head" in ask:  # the fleet's head, agreed on before the first step (app.fleet.head)
            member.set_head(FleetHead.from_json(str(ask["head"])))
            member.save()
        phase = str(ask.get("phase", "step"))
        first = int(ask["first"])
        if phase == "propose":
            answer |= member.propose_head().to_wire()
        elif phase == "vote":
            answer |= {"head_votes": member.vote(*candidates_from_wire(ask)), "n_val": len(member.val_rows)}
        elif first <= len(member.records):  # else: a gap; say what we hold and the server resends
            member.apply(first, records_from_json(str(ask["records"])))
            member.save()
            step = int(ask["step"])
            if step >= 0 and (member.head is not None or not spec.head):
                answer |= member.report(step).to_wire()
            if bool(ask["evaluate"]):
                answer |= {"val_accuracy": member.accuracy("val"), "n_val": len(member.val_rows)}
            if bool(ask["final"]):
                answer |= {"test_accuracy": member.accuracy("test"), "n_test": len(member.test_rows)}
        answer |= {"have": len(member.records), "n_train": len(member.train_rows)}
        answer["head"] = member.head.fingerprint() if member.head is not None else ""
        return Message(RecordDict({"fleet": ConfigRecord(answer)}), reply_to=msg)
    finally:
        member.close()
