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
        "(the chart below shows the checking rows that chose it). The money is compared with keeping the "
        "model as it came: labour saved on fewer misclassified documents, minus electricity. The range is "
        "where 95 % of outcomes would fall from the number of test rows alone.",
        "正解率は、調整にも結果選びにも使わずに取っておいた最終テスト用のデータで測った値です（下のグラフは結果を"
        "選ぶのに使った確認用データの値です）。金額は「モデルをそのまま使い続けた場合」との比較で、誤分類が減って"
        "省ける作業費から電気代を引いたものです。幅は、テスト件数だけから見て 95 % の結果が入る範囲です。",
    ),
    "assumptions": ("Assumptions behind the money", "金額の前提"),
    "assumptions_value": (
        "{docs} documents a month on {pcs} PC(s), {minutes} minutes to fix one misclassified document, "
        "labour {labour} an hour, setup {setup}; compared with keeping the model as it came.",
        "PC {pcs} 台で月 {docs} 件の文書、誤分類 1 件の修正に {minutes} 分、人件費 1 時間 {labour}、"
        "導入費用 {setup}。比較の相手は「モデルをそのまま使い続けた場合」です。",
    ),
    "example_banner": (
        "Calculated with example figures: {fields} are examples, not your site's. Enter your own figures in "
        "the app's Payback step before using these amounts.",
        "例の値で計算中: {fields}は例の値で、現場の数値ではありません。この金額を使う前に、アプリの"
        "「費用対効果」の画面で自社の数値を入力してください。",
    ),
    "savings_range": ("{low} to {high}", "{low}〜{high}"),
    "run": ("The run", "実行内容"),
    "model": ("Model", "モデル"),
    "model_file": ("Model file", "モデルファイル"),
    "model_size": ("{size} MB", "{size} MB"),
    "data": ("Training data", "学習データ"),
    "data_value": ("{first} and {more} more files in {folder}", "{folder} の {first} ほか {more} ファイル"),
    "examples": ("Rows", "データの件数"),
    "examples_value": (
        "{train} for tuning, {val} for checking, {test} for the final test ({skipped} rows skipped)",
        "調整用 {train} 件・確認用 {val} 件・最終テスト用 {test} 件（読み飛ばした行 {skipped} 件）",
    ),
    "rows_per_label": ("Rows per label", "ラベルごとの件数"),
    "labels": ("Labels", "ラベル"),
    "budget": ("Tuning time", "調整時間"),
    "steps": ("Tuning rounds", "調整の回数"),
    "time": ("Time", "所要時間"),
    "stopped_because": ("Ended because", "終了理由"),
    "energy": ("Electricity", "電力量"),
    "energy_basis": ("How the energy was obtained", "電力量の求め方"),
    "peak_memory": ("Peak memory", "最大メモリー使用量"),
    "tuned_layers": ("Tuned parts of the model", "調整したモデルの部分"),
    "accuracy": ("Accuracy before and after tuning", "調整前後の正解率"),
    "accuracy_chart_title": (
        "Correct answers on the checking rows while tuning",
        "調整中の確認用データの正解率",
    ),
    "accuracy_axis": ("% correct", "正解率 (%)"),
    "step_axis": ("round", "回"),
    "while_tuning": ("while tuning", "調整中"),
    "before_tuning": ("before tuning", "調整前"),
    "after_tuning": ("after tuning", "調整後"),
    "no_evals": (
        "The history of the checking rows is not available (no checkpoint in the run folder).",
        "確認用データの履歴がありません（実行フォルダーにチェックポイントがありません）。",
    ),
    "confusion": ("Right answers and model answers", "正解と予測の対応表"),
    "confusion_of": ("{which}: {correct} of {total} correct", "{which}: {total} 件中 {correct} 件正解"),
    "confusion_note": (
        "Rows: the right label. Columns: the model's answer (numbered as the rows). The diagonal (bold, "
        "tinted) is correct.",
        "行は正しいラベル、列はモデルの答えです（番号は行と同じ）。対角線上（太字・色付き）が正解です。",
    ),
    "confusion_note_named": (
        "Rows: the right label. Columns: the model's answer. The diagonal (bold, tinted) is correct.",
        "行は正しいラベル、列はモデルの答えです。対角線上（太字・色付き）が正解です。",
    ),
    "true_predicted": ("true＼answer", "正解＼答え"),
    "no_confusion": (
        "The table of right and model answers is not available: {reason}",
        "正解と予測の対応表は作成できませんでした: {reason}",
    ),
    "roi": ("Is it worth it?", "費用対効果"),
    "roi_intro": (
        "Compared with keeping the model as it came: the benefit is fewer misclassified documents to fix by "
        "hand; the costs are the setup and the electricity. The data never leaves this PC, so there are no "
        "transfer or contract costs either; they are not added as a saving.",
        "「モデルをそのまま使い続けた場合」との比較です。効果は手で直す誤分類が減ることで、費用は導入費用と"
        "電気代です。データはこの PC の外に出ないので転送や契約の費用もかかりませんが、節約額には加えていません。",
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
    "benefit": ("benefit: labour saved", "効果: 減った作業費"),
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
        "The training data never left this PC: it was read from the files above and used only here.",
        "学習データはこの PC の外に出ていません。上記のファイルから読み込み、この PC の中だけで使いました。",
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
    "hash_data": ("Training data", "学習データ"),
    "hash_adapters": ("The tuned part", "調整した部分"),
    "hash_exported": ("Exported model weights", "書き出したモデルの重み"),
    "duration": ("{m} min {s} s", "{m} 分 {s} 秒"),
    "duration_hours": ("{h} h {m} min", "{h} 時間 {m} 分"),
    "not_available": ("not available", "なし"),
    "reason_minutes": ("the tuning time was used up", "調整時間を使い切った"),
    "reason_steps": ("the set number of rounds was done", "決めた回数を終えた"),
    "reason_energy": ("the electricity limit was reached", "電力量の上限に達した"),
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
    "setup_cost_yen": ("Setup cost", "導入費用"),
}
# Shown as money (the other captions carry their unit).
YEN_FIELDS = frozenset({"setup_cost_yen"})


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
