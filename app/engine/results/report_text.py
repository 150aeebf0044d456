"""The words and numbers of the run report, in English and Japanese.

The engine has no Qt translations, so the report's text is kept here as (English, Japanese) pairs with
named placeholders (each language keeps its own word order), and numbers, money, durations and months
are formatted the same way everywhere the report shows them.
"""

from __future__ import annotations

# (English, Japanese). Placeholders are named so each language keeps its own word order.
TEXT: dict[str, tuple[str, str]] = {
    "title": ("Tuning report", "調整レポート"),
    "subtitle": (
        "{model} tuned on this PC with Genba Tuner",
        "現場チューナーでこの PC 上で調整した {model}",
    ),
    "generated": ("Generated {when} from the run folder {folder}", "{when} 作成（実行フォルダー: {folder}）"),
    "summary": ("Summary", "概要"),
    "accuracy_test": ("Accuracy on {n} test rows", "テスト用 {n} 件の正解率"),
    "accuracy_val": ("Accuracy on {n} validation rows", "検証用 {n} 件の正解率"),
    "keyword_bar": (
        "A simple keyword model scores {acc} on the same rows.",
        "同じデータで、簡単なキーワード方式は {acc} でした。",
    ),
    "before_to_after": ("{before} → {after}", "{before} → {after}"),
    "monthly_savings": ("Net savings per month", "月あたりの純節約額"),
    "payback": ("Payback of the setup cost", "導入費用の回収期間"),
    "energy_per_run": ("Electricity per run", "1 回あたりの電力"),
    "energy_value": ("{wh} Wh, {yen} ({source})", "{wh} Wh・{yen}（{source}）"),
    "measured": ("measured", "実測"),
    "estimated": ("estimated", "推定"),
    "summary_note": (
        "Accuracy is measured on test rows kept aside and never used for tuning or for choosing the result "
        "(the chart below shows the validation rows that chose it). Money figures come from the ROI model "
        "below; inputs marked 'example' are placeholders to be replaced with the site's own figures.",
        "正解率は、調整にも結果選びにも使わずに取っておいた最終テスト用のデータで測った値です（下のグラフは結果を"
        "選ぶのに使った確認用データの値です）。金額は下の投資対効果（ROI）モデルによるもので、「例」と記した入力値は"
        "各現場の数値に置き換えるための仮の値です。",
    ),
    "run": ("The run", "実行内容"),
    "model": ("Model", "モデル"),
    "model_file": ("Model file", "モデルファイル"),
    "model_size": ("{size} MB", "{size} MB"),
    "data": ("Examples file", "例文ファイル"),
    "examples": ("Examples", "例文の数"),
    "examples_value": (
        "{train} for tuning, {val} for validation ({skipped} rows skipped)",
        "調整用 {train} 件・検証用 {val} 件（読み飛ばした行 {skipped} 件）",
    ),
    "labels": ("Labels", "ラベル"),
    "budget": ("Budget", "予算"),
    "steps": ("Tuning steps", "調整ステップ数"),
    "time": ("Time", "所要時間"),
    "stopped_because": ("Ended because", "終了理由"),
    "energy": ("Electricity", "電力量"),
    "energy_basis": ("How the energy was obtained", "電力量の求め方"),
    "peak_memory": ("Peak memory", "最大メモリー使用量"),
    "tuned_layers": ("Tuned layers", "調整した層"),
    "accuracy": ("Accuracy before and after tuning", "調整前後の正解率"),
    "accuracy_chart_title": ("Validation accuracy while tuning", "調整中の検証正解率"),
    "accuracy_axis": ("% correct", "正解率 (%)"),
    "step_axis": ("step", "ステップ"),
    "while_tuning": ("while tuning", "調整中"),
    "before_tuning": ("before tuning", "調整前"),
    "after_tuning": ("after tuning", "調整後"),
    "no_evals": (
        "The validation history is not available (no checkpoint in the run folder).",
        "検証の履歴がありません（実行フォルダーにチェックポイントがありません）。",
    ),
    "confusion": ("Confusion matrix", "混同行列"),
    "confusion_of": ("{which}: {correct} of {total} correct", "{which}: {total} 件中 {correct} 件正解"),
    "confusion_note": (
        "Rows: the true label. Columns: the model's answer. The diagonal (bold, tinted) is correct.",
        "行は正しいラベル、列はモデルの答えです。対角線上（太字・色付き）が正解です。",
    ),
    "true_predicted": ("true＼answer", "正解＼答え"),
    "no_confusion": (
        "The confusion matrix is not available: {reason}",
        "混同行列は作成できませんでした: {reason}",
    ),
    "roi": ("Return on investment", "投資対効果（ROI）"),
    "roi_intro": (
        "Tuning on this PC instead of a cloud service: electricity is the running cost; the benefits are "
        "fewer misclassified documents to fix by hand and no cloud fees, transfers or compliance work.",
        "クラウドサービスではなくこの PC で調整した場合の比較です。運用費は電気代で、効果は手作業で直す誤分類の"
        "減少と、クラウドの利用料・データ転送・コンプライアンス対応が不要になることです。",
    ),
    "inputs": ("Inputs", "入力値"),
    "input": ("Input", "項目"),
    "value": ("Value", "値"),
    "source": ("Source", "出所"),
    "from_run": ("from this run", "この実行の結果"),
    "example": ("example — replace with your own", "例（自社の数値に置き換えてください）"),
    "entered": ("entered", "入力値"),
    "outputs": ("Results", "結果"),
    "out_energy_run": ("Electricity cost per run", "1 回あたりの電気代"),
    "out_energy_month": ("Electricity cost per month", "月あたりの電気代"),
    "out_errors": ("Misclassified documents avoided per month", "月あたりに減る誤分類の件数"),
    "out_labour": ("Labour saved per month", "月あたりに減る作業費"),
    "out_cloud": ("Cloud costs avoided per month", "月あたりに不要になるクラウド費用"),
    "out_net": ("Net savings per month", "月あたりの純節約額"),
    "out_payback": ("Payback of the setup cost", "導入費用の回収期間"),
    "months": ("{n} months", "{n} か月"),
    "no_payback": (
        "no payback (the monthly savings do not exceed the costs)",
        "回収できません（月々の節約額が費用を上回りません）",
    ),
    "cumulative_title": ("Cumulative cost and benefit", "累積の費用と効果"),
    "cumulative_axis": ("yen", "円"),
    "month_axis": ("months", "経過月数"),
    "cost": ("cost: setup + electricity", "費用: 導入費＋電気代"),
    "benefit": ("benefit: labour saved + cloud avoided", "効果: 作業費の削減＋クラウド費用の回避"),
    "payback_marker": ("payback", "回収"),
    "sensitivity_title": (
        "What moves the monthly savings (each input 20 % lower or higher)",
        "月あたりの節約額を左右する入力（各入力を 20 % 増減）",
    ),
    "sensitivity_axis": ("change in net savings per month (yen)", "月あたりの純節約額の変化（円）"),
    "lower": ("input 20 % lower", "入力 20 % 減"),
    "higher": ("input 20 % higher", "入力 20 % 増"),
    "sensitivity_note": (
        "The setup cost does not change the monthly figure; it moves the payback month only.",
        "導入費用は月あたりの金額を変えず、回収期間だけを変えます。",
    ),
    "privacy": ("What stayed on this PC", "この PC の外に出なかったもの"),
    "privacy_data": (
        "The examples never left this PC: they were read from the file above and used only here.",
        "例文はこの PC の外に出ていません。上記のファイルから読み込み、この PC の中だけで使いました。",
    ),
    "privacy_network": (
        "No network was used: the model, the tuning, the evaluation and this report all ran offline on "
        "this PC with ONNX Runtime.",
        "ネットワークは使っていません。モデル・調整・評価・このレポート作成は、すべてこの PC の ONNX Runtime "
        "でオフラインで実行しました。",
    ),
    "privacy_hashes": (
        "SHA-256 fingerprints identify exactly which model and data were used; anyone can recompute them "
        "from the files.",
        "SHA-256 の指紋値で、使ったモデルとデータを正確に特定できます。ファイルから誰でも再計算できます。",
    ),
    "hash_model": ("Model file", "モデルファイル"),
    "hash_data": ("Examples", "例文"),
    "hash_adapters": ("Adapters (the tuned part)", "アダプター（調整した部分）"),
    "hash_exported": ("Exported model weights", "書き出したモデルの重み"),
    "duration": ("{m} min {s} s", "{m} 分 {s} 秒"),
    "duration_hours": ("{h} h {m} min", "{h} 時間 {m} 分"),
    "not_available": ("not available", "なし"),
    "reason_minutes": ("the time budget was used up", "時間の予算を使い切った"),
    "reason_steps": ("the step budget was used up", "ステップ数の予算を使い切った"),
    "reason_energy": ("the energy budget was used up", "電力量の予算を使い切った"),
    "reason_stopped": ("it was stopped by hand", "手動で停止した"),
    "reason_diverged": ("the numbers became unstable", "数値が不安定になった"),
    "reason_plateau": (
        "accuracy had stopped improving, so it stopped early",
        "正解率が上がらなくなったので早めに止めた",
    ),
    "yen": ("¥{n}", "{n} 円"),
    "percent": ("{n}%", "{n}%"),
    "no_comparison_model": (
        "the run folder holds no exported model to compare with.",
        "実行フォルダーに比較用の書き出し済みモデルがありません。",
    ),
    "no_config": (
        "the run folder has no checkpoint with the run's settings.",
        "実行フォルダーに実行時の設定を含むチェックポイントがありません。",
    ),
}

# Captions and units of the ROI inputs, in the order of RoiInputs' fields.
FIELD_TEXT: dict[str, tuple[str, str]] = {
    "energy_wh_per_run": ("Electricity per run (Wh)", "1 回あたりの電力量 (Wh)"),
    "accuracy_before": ("Correct before tuning (final test)", "調整前の正解率（最終テスト）"),
    "accuracy_after": ("Correct after tuning (final test)", "調整後の正解率（最終テスト）"),
    "pcs": ("PCs or lines", "PC・ラインの数"),
    "runs_per_month": ("Tuning runs per month, per PC", "PC 1 台あたりの月間調整回数"),
    "electricity_yen_per_kwh": ("Electricity price (yen/kWh)", "電気料金（円/kWh）"),
    "documents_per_month": ("Documents per month, per PC", "PC 1 台あたりの月間文書数"),
    "minutes_per_misclassified": ("Minutes to fix one misclassified document", "誤分類 1 件の修正時間（分）"),
    "labour_yen_per_hour": ("Labour cost (yen/hour)", "人件費（円/時）"),
    "cloud_fee_yen_per_run": ("Cloud fine-tuning fee per run", "クラウドでの調整 1 回あたりの料金"),
    "cloud_transfer_and_compliance_yen_per_month": (
        "Cloud data transfer and compliance per month",
        "クラウドのデータ転送・コンプライアンス費用（月あたり）",
    ),
    "setup_cost_yen": ("Setup cost", "導入費用"),
}
# Shown as money (the other captions carry their unit).
YEN_FIELDS = frozenset(
    {"cloud_fee_yen_per_run", "cloud_transfer_and_compliance_yen_per_month", "setup_cost_yen"}
)


def text(key: str, lang: str, **values: object) -> str:
    """The report string ``key`` in ``lang`` ('ja' or 'en'), with ``values`` filled in."""
    en, ja = TEXT[key]
    return (ja if lang == "ja" else en).format(**values)


def field_caption(name: str, lang: str) -> str:
    en, ja = FIELD_TEXT[name]
    return ja if lang == "ja" else en


def number(value: float, decimals: int = 0) -> str:
    out = f"{value:,.{decimals}f}"
    return out.replace("-", "−")  # a real minus sign: a hyphen is easy to miss in a table of money


def yen(value: float, lang: str) -> str:
    size = abs(value)
    decimals = 0 if size >= 100 or size == 0 else 2 if size >= 0.01 else 4  # a run can cost 0.002 yen
    return text("yen", lang, n=number(value, decimals))


def percent(fraction: float | None, lang: str) -> str:
    if fraction is None:
        return "—"
    return text("percent", lang, n=number(100 * fraction, 1))


def duration(seconds: float, lang: str) -> str:
    s = int(round(seconds))
    if s >= 3600:
        return text("duration_hours", lang, h=s // 3600, m=s % 3600 // 60)
    return text("duration", lang, m=s // 60, s=s % 60)


def months(months: float | None, lang: str) -> str:
    if months is None:
        return text("no_payback", lang)
    return text("months", lang, n=number(months, 1))


def format_input(name: str, value: float, lang: str) -> str:
    """An ROI input as the report shows it (accuracy as a percentage, money in yen)."""
    if name.startswith("accuracy_"):
        return percent(value, lang)
    if name in YEN_FIELDS:
        return yen(value, lang)
    if name == "energy_wh_per_run":
        return number(value, 2)
    return number(value, 0 if float(value).is_integer() else 1)
