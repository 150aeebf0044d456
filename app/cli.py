"""Command line: ``genba-tuner tune|eval|predict|report``; with no arguments it opens the desktop app.

A thin face on the engine: it parses arguments into the engine's dataclasses, prints the engine's events
(a progress bar on a terminal, one JSON object per line with --json) and turns GenbaError into a clear
message and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from app import __version__
from app.engine.errors import GenbaError, default_language
from app.engine.events import EvalEvent, Event, FailedEvent, ProgressEvent, StepEvent
from app.engine.tuning.config import HEADS, TuneConfig

EXIT_USER_ERROR = 2


def _label_words(text: str | None) -> dict[str, str] | None:
    """'label=word,label2=word2' -> dict."""
    if not text:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise GenbaError(
                f"--label-words needs label=word pairs separated by commas (got '{part}').",
                f"--label-words は「ラベル=語」をカンマ区切りで指定してください（指定値: 「{part}」）。",
                field="--label-words",
            )
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _fmt_seconds(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "--:--"
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class EventPrinter:
    """Terminal progress bar with ETA, or JSON lines."""

    def __init__(self, as_json: bool, lang: str, stream=None) -> None:
        self.as_json, self.lang = as_json, lang
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() and not as_json
        self.last_val = None
        self._last_draw = 0.0

    def __call__(self, event: Event) -> None:
        if self.as_json:
            self.stream.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
            self.stream.flush()
            return
        if isinstance(event, ProgressEvent):
            msg = event.message_ja if self.lang == "ja" else event.message_en
            self._line(f"{msg} {event.done * 100:5.1f}%", final=event.done >= 1.0)
        elif isinstance(event, EvalEvent):
            self.last_val = event.val_accuracy
            ja = self.lang == "ja"
            label = "検証用データの正解率" if ja else "validation accuracy"
            what = {
                "words": "例文の言葉だけで作った最初のモデル"
                if ja
                else "first model, from the words in your examples",
                "zero-shot": "調整前のモデル" if ja else "the model as it came",
                "head": "答え方を学習データに合わせたモデル"
                if ja
                else "answer layer fitted to your examples",
            }.get(event.model, f"step {event.step}")
            self._line(
                f"{what}: {label} {event.val_accuracy:.3f} (best {event.best_accuracy:.3f})",
                final=True,
            )
        elif isinstance(event, StepEvent):
            now = time.monotonic()
            if self.tty and now - self._last_draw < 0.2:
                return
            self._last_draw = now
            width = 24
            filled = int(round(event.budget_fraction * width))
            bar = "#" * filled + "." * (width - filled)
            val = f" val {self.last_val:.3f}" if self.last_val is not None else ""
            text = (
                f"[{bar}] {event.budget_fraction * 100:3.0f}% step {event.step} loss {event.loss:.3f}{val}"
                f" ETA {_fmt_seconds(event.eta_seconds)}"
            )
            if self.tty:
                self._line(text, final=False)
            elif event.step % 25 == 0:
                self._line(text, final=True)

    def _line(self, text: str, final: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + text + ("\n" if final else ""))
        elif final:
            self.stream.write(text + "\n")
        self.stream.flush()


def _patience(minutes: float) -> float | None:
    """--patience 0 turns early stopping off."""
    return None if minutes == 0 else minutes


def cmd_tune(args: argparse.Namespace, lang: str) -> int:
    from dataclasses import replace

    from app.engine.tuning.budget import DEFAULT_PATIENCE_MINUTES, Budget
    from app.engine.tuning.tuner import tune

    if args.resume:
        from app.engine.tuning.checkpoint import load_checkpoint

        _, _, state = load_checkpoint(args.resume)
        config = TuneConfig.from_dict(state.info["config"]).with_(resume=True, out_dir=args.resume)
        if args.minutes or args.steps or args.energy_wh:
            config = config.with_(
                budget=Budget(
                    minutes=args.minutes,
                    steps=args.steps,
                    energy_wh=args.energy_wh,
                    patience_minutes=config.budget.patience_minutes,
                )
            )
        if args.patience is not None:
            config = config.with_(budget=replace(config.budget, patience_minutes=_patience(args.patience)))
    else:
        if not args.data or not args.out:
            raise GenbaError(
                "tune needs --data and --out (or --resume RUN_DIR).",
                "tune には --data と --out（または --resume 実行フォルダー）が必要です。",
            )
        minutes = args.minutes if (args.minutes or args.steps or args.energy_wh) else 10.0
        config = TuneConfig(
            data=args.data,
            out_dir=args.out,
            model=args.model,
            budget=Budget(
                minutes=minutes,
                steps=args.steps,
                energy_wh=args.energy_wh,
                patience_minutes=_patience(
                    DEFAULT_PATIENCE_MINUTES if args.patience is None else args.patience
                ),
            ),
            text_column=args.text_column,
            label_column=args.label_column,
            template=args.template,
            label_words=_label_words(args.label_words),
            seed=args.seed,
            q=args.q,
            lr=args.lr,
            eps=args.eps,
            batch_size=args.batch_size,
            rank=args.rank,
            projections=tuple(args.projections.split(",")),
            tuned_layers=tuple(int(x) for x in args.layers.split(",")) if args.layers else None,
            max_tuned_layers=args.max_layers,
            eval_every=args.eval_every,
            checkpoint_every=args.checkpoint_every,
            export=not args.no_export,
            copies_per_run=args.copies_per_run,
            head=args.head,
        )
    printer = EventPrinter(args.json, lang)
    result = tune(config, printer)
    r = result.report
    if args.json:
        print(json.dumps({"event": "summary", **r}, ensure_ascii=False))
    else:
        for line in summary_lines(r, result.stop_reason, lang):
            print(line)
        print(f"report: {Path(result.out_dir) / 'report.json'}")
        if r.get("exported_model"):
            print(f"model:  {r['exported_model']}")
    return 0


def summary_lines(r: dict, stop_reason: str, lang: str) -> list[str]:
    """The end of a run in words: the held-out test figures (validation only chose the result)."""
    ja = lang == "ja"
    measured = r["energy_source"] == "measured"
    if ja:
        lines = [
            f"完了（{stop_reason}）: {r['steps']} ステップ, {_fmt_seconds(r['seconds'])}, "
            f"電力量 {r['energy_wh']:.2f} Wh（{'実測' if measured else '推定'}）"
        ]
    else:
        lines = [
            f"Done ({stop_reason}): {r['steps']} steps, {_fmt_seconds(r['seconds'])}, "
            f"energy {r['energy_wh']:.2f} Wh ({r['energy_source']})"
        ]
    if r.get("test_accuracy_after") is not None:
        n = r["examples_test"]
        kw = r.get("keyword_accuracy")
        if ja:
            lines.append(
                f"テスト用データ（{n} 件、調整に使っていないデータ）の正解率: 調整前 {r['test_accuracy_before']:.3f}"
                f" → 調整後 {r['test_accuracy_after']:.3f}（キーワード方式 {kw:.3f}）"
            )
        else:
            lines.append(
                f"Held-out test accuracy ({n} examples never used for tuning): {r['test_accuracy_before']:.3f}"
                f" -> {r['test_accuracy_after']:.3f} (a simple keyword model: {kw:.3f})"
            )
    else:
        lines.append(
            f"検証用データの正解率: {r['val_accuracy_before']:.3f} → {r['val_accuracy_after']:.3f}"
            if ja
            else f"Validation accuracy: {r['val_accuracy_before']:.3f} -> {r['val_accuracy_after']:.3f}"
        )
    note = (r.get("test_note") or {}).get(lang)
    if note:
        lines.append(note)
    if not r["improved"]:
        lines.append(
            "調整で正解率は上がりませんでした。元のモデルのままです。"
            if ja
            else "Tuning did not improve accuracy; the result is the unchanged model."
        )
    return lines


def _examples_for_eval(args):
    from app.engine.data.examples import load_examples
    from app.engine.data.split import split_examples

    ds = load_examples(args.data, text_column=args.text_column, label_column=args.label_column)
    if args.split in ("val", "test"):
        split = split_examples(
            ds.examples,
            val_fraction=args.val_fraction,
            test_fraction=args.test_fraction,
            seed=args.split_seed,
            max_val=args.max_val,
            max_test=args.max_test,
        )
        return ds, split.val if args.split == "val" else split.test
    return ds, ds.examples


def cmd_eval(args: argparse.Namespace, lang: str) -> int:
    from app.engine.data.prompting import default_template
    from app.engine.models.catalog import AUTO_MODEL, pick_builtin, resolve_model
    from app.engine.results.evaluation import open_scorer

    ds, examples = _examples_for_eval(args)
    texts = [ex.text for ex in ds.examples]
    model = pick_builtin(texts) if args.model == AUTO_MODEL else args.model
    template = args.template
    if template is None and resolve_model(model).kind == "gguf-llama":  # as tune: by the examples' language
        template = default_template(texts)
    scorer = open_scorer(model, ds.labels, template, _label_words(args.label_words))
    t = time.perf_counter()
    result = scorer.evaluate(examples)
    out = result.to_dict() | {
        "model": model,
        "data": args.data,
        "split": args.split,
        "seconds": round(time.perf_counter() - t, 2),
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        name = "正解率" if lang == "ja" else "accuracy"
        print(
            f"{name}: {result.accuracy:.4f} ({int((result.truth == result.predicted).sum())}/{len(result.truth)})"
        )
        print("confusion [true x predicted]:", " ".join(result.labels))
        for lab, row in zip(result.labels, result.confusion, strict=True):
            print(f"  {lab:>16}: {' '.join(f'{v:4d}' for v in row)}")
    return 0


def cmd_predict(args: argparse.Namespace, lang: str) -> int:
    from app.engine.models.catalog import resolve_model
    from app.engine.results.evaluation import open_scorer, softmax, task_beside

    labels = [s.strip() for s in args.labels.split(",")] if args.labels else None
    if labels is None:
        carried = task_beside(resolve_model(args.model).source)
        if carried is None:
            raise GenbaError(
                "predict needs --labels a,b,c (this model carries no task).",
                "predict には --labels a,b,c の指定が必要です（このモデルにはタスク情報がありません）。",
            )
        labels = list(carried.labels)
    scorer = open_scorer(args.model, labels, args.template, _label_words(args.label_words))
    probabilities = softmax(scorer.label_logits(args.text))
    for text, row in zip(args.text, probabilities, strict=True):
        best = int(row.argmax())
        if args.json:
            print(
                json.dumps(
                    {
                        "text": text,
                        "label": scorer.spec.labels[best],
                        "probabilities": dict(zip(scorer.spec.labels, map(float, row), strict=True)),
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"{scorer.spec.labels[best]}\t{row[best]:.3f}\t{text}")
    return 0


def _assumptions(pairs: list[str] | None) -> dict[str, float]:
    """'field=value' pairs -> ROI assumptions (field names of RoiInputs)."""
    from dataclasses import fields

    from app.engine.results.roi import RoiInputs

    known = {f.name for f in fields(RoiInputs)}
    out: dict[str, float] = {}
    for pair in pairs or []:
        name, _, value = pair.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = None
        if name not in known or number is None:
            raise GenbaError(
                f"--assume needs field=number with a field of: {', '.join(sorted(known))} (got '{pair}').",
                f"--assume は「項目=数値」で指定してください。項目: {', '.join(sorted(known))}（指定値: 「{pair}」）。",
                field="--assume",
            )
        out[name] = int(number) if name == "pcs" else number
    return out


def cmd_report(args: argparse.Namespace, lang: str) -> int:
    from dataclasses import replace

    from app.engine.results.report import render_run_report, write_report_html
    from app.engine.results.run_record import load_run, roi_inputs_for

    run = load_run(args.run_dir)
    assumptions = _assumptions(args.assume)
    inputs = replace(roi_inputs_for(run), **assumptions)  # a run figure may be overridden too
    html = render_run_report(run, lang, inputs)
    html_out = args.html
    if not html_out and not args.pdf:
        html_out = str(Path(args.run_dir) / f"report_{lang}.html")
    if html_out:
        print(write_report_html(html_out, html))
    if args.pdf:
        from app.gui.report_pdf import write_report_pdf  # Qt only when a PDF is asked for

        print(write_report_pdf(args.pdf, html, title=f"Genba Tuner — {run.report.get('model', '')}"))
    return 0


def _need_one(args: argparse.Namespace, insecure: bool, secure, secure_flag: str) -> None:
    if bool(insecure) == bool(secure):
        raise GenbaError(
            f"Give either {secure_flag} (TLS, for a plant LAN) or --insecure (one PC, tests), not both or neither.",
            f"{secure_flag}（TLS。工場の LAN 用）か --insecure（1 台での試験用）のどちらか一方を指定してください。",
            field=secure_flag,
        )


def cmd_fleet_serve(args: argparse.Namespace, lang: str) -> int:
    from app.fleet import launch
    from app.fleet.coordinator import read_status, spec_for, write_spec

    _need_one(args, args.insecure, args.certificates, "--certificates")
    if args.allow_key and not args.certificates:
        raise GenbaError(
            "Node authentication (--allow-key) needs TLS (--certificates).",
            "PC の認証（--allow-key）には TLS（--certificates）が必要です。",
            field="--allow-key",
        )
    labels = [x.strip() for x in args.labels.split(",") if x.strip()]
    layers = [int(x) for x in args.layers.split(",")] if args.layers else None
    spec = spec_for(
        args.model,
        labels,
        layers,
        template=args.template,
        label_words=_label_words(args.label_words),
        max_tokens=args.max_tokens,
        projections=tuple(args.projections.split(",")),
        rank=args.rank,
        seed=args.seed,
        q=args.q,
        eps=args.eps,
        lr=args.lr,
        batch_size=args.batch_size,
        steps=args.steps,
        eval_every=args.eval_every,
        rule=args.rule,
        head=not args.no_head,
    )
    write_spec(args.out, spec)
    code = launch.serve_fleet(
        args.out,
        port=args.port,
        host=args.host,
        tls=launch.Tls.from_folder(args.certificates) if args.certificates else None,
        allowed_keys=args.allow_key,
        min_pcs=args.pcs,
        round_timeout=args.round_timeout,
    )
    status = read_status(args.out) or {}
    for name, pc in sorted(status.get("pcs", {}).items()):
        print(
            f"{name}: val {pc.get('val_accuracy', float('nan')):.3f}  test {pc.get('test_accuracy', float('nan')):.3f}"
        )
    if status.get("pooled"):
        pooled = status["pooled"]
        print(
            f"pooled: val {pooled.get('val_accuracy', float('nan')):.3f}  test {pooled.get('test_accuracy', float('nan')):.3f}"
        )
    return code


def cmd_fleet_join(args: argparse.Namespace, lang: str) -> int:

    from app.fleet import launch

    _need_one(args, args.insecure, args.root_certificate, "--root-certificate")
    cmd = launch.join_command(
        args.superlink,
        args.name,
        args.data,
        args.folder,
        root_certificate=args.root_certificate,
        private_key=args.key,
        text_column=args.text_column,
        label_column=args.label_column,
        threads=args.threads,
    )
    proc = launch.start(cmd, launch.process_env(Path(args.folder).resolve() / "flwr-home"))
    try:
        return proc.wait()
    finally:
        launch.stop(proc)


def build_parser() -> argparse.ArgumentParser:
    from app.engine.tuning.budget import DEFAULT_PATIENCE_MINUTES

    p = argparse.ArgumentParser(
        prog="genba-tuner", description="Tune a language model on this PC (zeroth-order, ONNX Runtime only)."
    )
    p.add_argument("--lang", choices=["ja", "en"], default=None, help="message language (default: OS locale)")
    p.add_argument("--version", action="version", version=f"genba-tuner {__version__}")
    sub = p.add_subparsers(dest="command")

    def data_args(sp):
        sp.add_argument(
            "--model",
            default="auto",
            help="'auto' (the built-in that suits the examples' language: 'gemma3-270m' for Japanese, else "
            "'default', SmolLM2), 'default', 'gemma3-270m', a .gguf or .onnx file, or a folder",
        )
        sp.add_argument("--data", help="CSV/TSV/JSONL file or a folder of label sub-folders")
        sp.add_argument("--text-column")
        sp.add_argument("--label-column")
        sp.add_argument("--template", help="prompt template with {text} (and optionally {choices})")
        sp.add_argument("--label-words", help="label=word,label2=word2")
        sp.add_argument("--json", action="store_true", help="one JSON object per line")

    t = sub.add_parser("tune", help="tune a model on examples")
    data_args(t)
    t.add_argument("--out", help="output folder for checkpoints, model and report")
    t.add_argument("--minutes", type=float)
    t.add_argument("--steps", type=int)
    t.add_argument("--energy-wh", type=float)
    t.add_argument(
        "--patience",
        type=float,
        metavar="MIN",
        help="stop early when validation accuracy has not improved for MIN minutes "
        f"(default {DEFAULT_PATIENCE_MINUTES:g}; 0 turns it off)",
    )
    t.add_argument("--resume", metavar="RUN_DIR", help="continue a stopped or killed run")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--q", type=int, default=1, help="perturbations per step")
    t.add_argument("--lr", type=float, default=1e-1)
    t.add_argument("--eps", type=float, default=1e-2)
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--rank", type=int, default=8)
    t.add_argument("--projections", default="q,v")
    t.add_argument("--layers", help="comma-separated layer indices to tune (default: chosen by a probe)")
    t.add_argument("--max-layers", type=int, default=4)
    t.add_argument("--eval-every", type=int, default=50)
    t.add_argument("--checkpoint-every", type=int, default=25)
    t.add_argument("--copies-per-run", type=int)
    t.add_argument("--no-export", action="store_true")
    t.add_argument(
        "--head",
        choices=HEADS,
        default="auto",
        help="read-out: 'auto' fits a head on the model's features (+ word pieces), 'llm' on its features "
        "only, 'none' uses the label words (ZO only)",
    )

    e = sub.add_parser("eval", help="accuracy of a model on labelled examples")
    data_args(e)
    e.add_argument(
        "--split",
        choices=["all", "val", "test"],
        default="all",
        help="'val' / 'test': the validation / held-out test split tune uses (with the defaults below)",
    )
    e.add_argument("--split-seed", type=int, default=0)
    e.add_argument("--val-fraction", type=float, default=TuneConfig.val_fraction)
    e.add_argument("--max-val", type=int, default=TuneConfig.max_val)
    e.add_argument("--test-fraction", type=float, default=TuneConfig.test_fraction)
    e.add_argument("--max-test", type=int, default=TuneConfig.max_test)

    pr = sub.add_parser("predict", help="classify texts")
    pr.add_argument("--model", default="default")
    pr.add_argument("--labels", help="comma-separated labels (not needed for an exported model)")
    pr.add_argument("--template")
    pr.add_argument("--label-words")
    pr.add_argument("--json", action="store_true")
    pr.add_argument("text", nargs="+")

    r = sub.add_parser("report", help="management report of a run: HTML and/or PDF with ROI")
    r.add_argument("run_dir", metavar="RUN_DIR", help="the folder of a finished run (holds report.json)")
    # SUPPRESS: without it the sub-command's default would overwrite a --lang given before "report".
    r.add_argument("--lang", choices=["ja", "en"], default=argparse.SUPPRESS, help="report language")
    r.add_argument("--html", metavar="OUT.html", help="default: RUN_DIR/report_LANG.html unless --pdf")
    r.add_argument("--pdf", metavar="OUT.pdf", help="also render a PDF (uses Qt, no display needed)")
    r.add_argument(
        "--assume",
        action="append",
        metavar="FIELD=VALUE",
        help="an ROI figure of your site instead of the example, e.g. pcs=3 or labour_yen_per_hour=2800",
    )

    f = sub.add_parser("fleet", help="tune one model with several PCs (Flower); docs/FLEET.md")
    fsub = f.add_subparsers(dest="fleet_command", required=True)
    fs = fsub.add_parser("serve", help="coordinate a fleet (runs Flower's SuperLink and the ServerApp)")
    fs.add_argument("--out", required=True, help="the fleet's folder: settings, step log, status")
    fs.add_argument("--model", default="default")
    fs.add_argument("--labels", required=True, help="comma-separated labels every PC's examples use")
    fs.add_argument("--layers", help="comma-separated layers to tune (default: the top two)")
    fs.add_argument("--template")
    fs.add_argument("--label-words")
    fs.add_argument("--max-tokens", type=int, default=128)
    fs.add_argument("--projections", default="q,v")
    fs.add_argument("--rank", type=int, default=8)
    fs.add_argument("--seed", type=int, default=0)
    fs.add_argument("--q", type=int, default=1)
    fs.add_argument("--eps", type=float, default=1e-2)
    fs.add_argument("--lr", type=float, default=1e-1)
    fs.add_argument("--batch-size", type=int, default=16, help="examples per PC per step")
    fs.add_argument("--steps", type=int, default=100)
    fs.add_argument("--eval-every", type=int, default=10)
    fs.add_argument("--rule", choices=["mean", "median", "trimmed"], default="mean")
    fs.add_argument(
        "--no-head",
        action="store_true",
        help="read answers out through the label words; no head is fitted and averaged (docs/FLEET.md)",
    )
    fs.add_argument("--pcs", type=int, default=1, help="PCs to wait for before the first step")
    fs.add_argument(
        "--round-timeout", type=float, default=120.0, help="seconds before a silent PC is dropped"
    )
    fs.add_argument("--host", default="0.0.0.0")
    fs.add_argument("--port", type=int, default=9091)
    fs.add_argument("--certificates", help="folder with ca.crt, server.pem, server.key (TLS)")
    fs.add_argument("--allow-key", action="append", metavar="PUB", help="a PC's public key (node auth)")
    fs.add_argument("--insecure", action="store_true", help="no TLS (one PC or a test only)")
    fj = fsub.add_parser("join", help="take part in a fleet with this PC's examples (runs a SuperNode)")
    fj.add_argument("--superlink", required=True, metavar="HOST:PORT", help="the coordinator's address")
    fj.add_argument("--name", required=True, help="this PC's name as the others see it")
    fj.add_argument("--data", required=True, help="this PC's examples (they never leave it)")
    fj.add_argument("--folder", required=True, help="this PC's fleet folder (its record log)")
    fj.add_argument("--text-column")
    fj.add_argument("--label-column")
    fj.add_argument("--threads", type=int, default=1)
    fj.add_argument("--root-certificate", help="the fleet's ca.crt (TLS)")
    fj.add_argument("--key", help="this PC's private key (node auth)")
    fj.add_argument("--insecure", action="store_true", help="no TLS (one PC or a test only)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    lang = args.lang or default_language()
    if args.command is None:
        from app.gui.main import run_gui

        return run_gui(argv)
    if args.command == "eval" and not args.data:
        parser.error("eval needs --data")
    try:
        commands = {"tune": cmd_tune, "eval": cmd_eval, "predict": cmd_predict, "report": cmd_report}
        if args.command == "fleet":
            return {"serve": cmd_fleet_serve, "join": cmd_fleet_join}[args.fleet_command](args, lang)
        return commands[args.command](args, lang)
    except GenbaError as exc:
        if getattr(args, "json", False):
            print(
                json.dumps(
                    FailedEvent(exc.en, exc.ja, exc.detail).to_dict() | {"where": exc.where()},
                    ensure_ascii=False,
                )
            )
        print(("エラー: " if lang == "ja" else "error: ") + exc.message(lang), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted; resume with: genba-tuner tune --resume RUN_DIR", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
