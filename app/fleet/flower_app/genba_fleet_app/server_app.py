"""The fleet's ServerApp: one message per PC per step, answers combined into one record for all.

A round's message carries the records the PC has not yet acknowledged and the step to answer; the answer
carries its exact loss sums and counts (app.fleet.protocol). A PC that does not answer in time is dropped for
that round and sent the records it missed when it is back. Before the first step, two rounds agree on the
fleet's head (app.fleet.head): the PCs propose heads, then vote on their average; a PC that lacks the head is
sent it with its records.
"""

from __future__ import annotations

import json
import time

from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.serverapp import Grid, ServerApp

from app.fleet.coordinator import Coordinator
from app.fleet.head import average, candidates_to_wire, check_votes, choose, screen_proposals
from app.fleet.protocol import ClientReport, combine, records_to_json
from app.fleet.rounds import POLL_SECONDS, Rounds

app = ServerApp()


def wait_for_pcs(grid: Grid, n: int, timeout: float) -> list[int]:
    end = time.monotonic() + timeout
    said = -1
    while len(nodes := sorted(grid.get_node_ids())) < n and time.monotonic() < end:
        if len(nodes) != said:  # the log says why nothing happens yet, once per change
            print(f"waiting for PCs: {len(nodes)} of {n} connected", flush=True)
            said = len(nodes)
        time.sleep(POLL_SECONDS * 10)
    return nodes


@app.main()
def main(grid: Grid, context: Context) -> None:
    coord = Coordinator(str(context.run_config["folder"]))
    spec = coord.spec
    min_pcs = int(context.run_config["min-pcs"])
    timeout = float(context.run_config["round-timeout"])
    have: dict[int, int] = {}  # node id -> records that PC holds (as it last told us)
    head_of: dict[int, str] = {}  # node id -> fingerprint of the head that PC holds ("" for none)
    wait_for_pcs(grid, min_pcs, timeout=24 * 3600)
    rounds = Rounds(grid)

    def message(node: int, step: int, evaluate: bool, final: bool, **phase) -> Message:
        first = min(have.get(node, 0), coord.step)
        content = {
            "spec": spec.to_json(),
            "first": first,
            "records": records_to_json(coord.records[first:]),
            "step": step,
            "evaluate": evaluate,
            "final": final,
            "view": json.dumps(coord.view()),
            **phase,
        }
        if coord.head is not None and head_of.get(node) != coord.head.fingerprint():
            content["head"] = coord.head.to_json()
        return Message(RecordDict({"fleet": ConfigRecord(content)}), dst_node_id=node, message_type="train")

    def answers_of(replies: list[Message]) -> list[ClientReport]:
        reports = []
        for m in replies:
            node = m.metadata.src_node_id
            if m.has_error():
                print(f"PC node {node} failed this round: {m.error.reason}", flush=True)
                continue
            a = m.content["fleet"]
            have[node] = int(a["have"])
            head_of[node] = str(a.get("head", ""))
            coord.seen(
                str(a["name"]),
                n_train=a.get("n_train"),
                n_val=a.get("n_val"),
                n_test=a.get("n_test"),
                val_accuracy=a.get("val_accuracy"),
                test_accuracy=a.get("test_accuracy"),
                have=int(a["have"]),
            )
            if "plus" in a:
                try:
                    reports.append(ClientReport.from_wire(a))
                except (KeyError, ValueError, TypeError) as exc:
                    coord.status["rejected"].append(
                        {"step": coord.step, "pc": str(a["name"]), "reason": repr(exc)}
                    )
        return reports

    def ask_until(key, phase: str, field: str, **more) -> dict[int, dict]:
        """Ask the PCs until min-pcs of them answered with ``field``; each PC's answer, by node. A PC whose
        answer came is not asked again; one whose answer is late still counts when it comes (app.fleet.rounds)."""
        got: dict[int, dict] = {}
        while True:
            nodes = [n for n in wait_for_pcs(grid, min_pcs, timeout=24 * 3600) if n not in got]
            replies = rounds.exchange(
                key, [message(n, -1, False, False, phase=phase, **more) for n in nodes], timeout
            )
            answers_of(replies)
            for m in replies:
                if not m.has_error() and field in m.content["fleet"]:
                    got[m.metadata.src_node_id] = m.content["fleet"]
            if len(got) >= min_pcs:
                return got
            print(f"head: {len(got)} of {min_pcs} PCs answered the {phase} round; asking again", flush=True)

    def agree_on_head() -> bool:
        """The propose and vote rounds (app.fleet.head); False when fewer than min-pcs proposals passed."""
        proposed = ask_until("propose", "propose", "head_values")
        proposals, rejected = screen_proposals(list(proposed.values()), len(spec.labels))
        for name, why in rejected.items():
            print(f"head: rejected PC '{name}': {why}", flush=True)
        if len(proposals) < min_pcs:
            print(f"head: {len(proposals)} of {min_pcs} PCs proposed a usable head; asking again", flush=True)
            return False
        weights, bias = average(proposals)
        names = {p.name for p in proposals}
        ask = candidates_to_wire(weights, bias)
        votes = {}
        key = ("vote", json.dumps(ask, sort_keys=True))  # a late vote counts only for the same candidates
        for a in ask_until(key, "vote", "head_votes", **ask).values():
            counts, n_val = [int(c) for c in a["head_votes"]], int(a["n_val"])
            why = check_votes(counts, n_val, len(weights))
            if why is None and str(a["name"]) in names:
                votes[str(a["name"])] = (counts, n_val)
            elif why is not None:
                rejected[str(a["name"])] = why
        head = choose(weights, bias, votes, tuple(names))
        coord.set_head(head, rejected)
        print(
            f"head: {len(names)} PCs, strength {head.lam:g}, validation {head.val_accuracy:.3f} "
            f"on {head.n_val} examples",
            flush=True,
        )
        return True

    while spec.head and coord.head is None and not agree_on_head():
        pass

    while coord.step < spec.steps:
        t = time.perf_counter()
        step = coord.step
        evaluate = step % spec.eval_every == 0
        nodes = sorted(grid.get_node_ids())
        replies = rounds.exchange(("step", step), [message(n, step, evaluate, False) for n in nodes], timeout)
        combined = combine(spec, step, answers_of(replies))
        for name, why in combined.rejected.items():
            print(f"step {step}: rejected PC '{name}': {why}", flush=True)
        if not combined.used:  # nobody answered in time: the step is asked again, not logged empty
            print(f"step {step}: no PC answered in {timeout:g} s; asking again", flush=True)
            wait_for_pcs(grid, min_pcs, timeout=24 * 3600)
            continue
        coord.add_step(combined, time.perf_counter() - t)
        print(
            f"step {step}: loss {combined.record.loss:.4f} from {', '.join(combined.used) or 'no PC'}",
            flush=True,
        )

    # Final sync: every PC (at least min-pcs of them) gets the records it lacks and reports its accuracies.
    nodes = wait_for_pcs(grid, min_pcs, timeout=timeout)
    for _ in range(3):  # a PC that reported a gap is sent its missing records again
        answers_of(rounds.exchange("final", [message(n, -1, True, True) for n in nodes], timeout))
        if all(have.get(n, 0) >= coord.step for n in nodes):
            break
    coord.write_status(finished=True)
    # One more message, with nothing to apply, carries the final view (finished; every PC's final-test accuracy
    # and the pooled one) to the PCs' windows: the view in the messages above was taken before those answers.
    rounds.exchange("view", [message(n, -1, False, False) for n in nodes], timeout)
    print(f"fleet finished after {coord.step} steps: {coord.status['pooled']}", flush=True)
