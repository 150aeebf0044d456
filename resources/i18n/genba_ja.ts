<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja_JP" sourcelanguage="en">
<context>
    <name>BudgetPage</name>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="244"/>
        <location filename="../../app/gui/pages/budget_page.py" line="254"/>
        <source>Budget</source>
        <translation>予算</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="250"/>
        <source>How long the PC may work on tuning, or how much electricity it may use. The run stops when the budget is spent and keeps the best result it found. You can also stop it early.</source>
        <translation>調整に使ってよい時間、または電力量を決めます。予算を使い切ると調整は止まり、それまでで最も良かった結果が残ります。途中で止めることもできます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="255"/>
        <source>By &amp;time</source>
        <translation>時間で決める(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="256"/>
        <source>By &amp;energy</source>
        <translation>電力量で決める(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="257"/>
        <source>By number of &amp;steps (for experts)</source>
        <translation>ステップ数で決める（上級者向け）(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="258"/>
        <source>minutes</source>
        <translation>分</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="259"/>
        <source>Wh</source>
        <translation>Wh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="260"/>
        <source>steps</source>
        <translation>ステップ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="261"/>
        <source>&amp;Demo (3 min)</source>
        <translation>デモ（3 分）(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="262"/>
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="263"/>
        <source>Electricity &amp;price:</source>
        <translation>電気料金(&amp;P):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="264"/>
        <source>yen per kWh</source>
        <translation>円／kWh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="265"/>
        <source>Layers to tune (for experts)</source>
        <translation>調整する層（上級者向け）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="266"/>
        <source>Choose the &amp;layers myself:</source>
        <translation>層を自分で指定する(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="269"/>
        <source>e.g. 26, 27, 28, 29 (this model: 0 to {last})</source>
        <translation>例: 26, 27, 28, 29（このモデルは 0〜{last}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="271"/>
        <source>e.g. 26, 27, 28, 29</source>
        <translation>例: 26, 27, 28, 29</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="275"/>
        <source>Normally a short trial before tuning picks the layers with the most effect for their computing time. Lower layers make every step slower.</source>
        <translation>通常は調整前の短い試行で、計算時間あたりの効果が最も大きい層を自動で選びます。下位の層を選ぶほど、各ステップが遅くなります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="279"/>
        <source>What this budget gives</source>
        <translation>この予算でできること</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="280"/>
        <source>Tuning steps:</source>
        <translation>調整ステップ数:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="281"/>
        <source>Finishes at:</source>
        <translation>終了予定:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="282"/>
        <source>Electricity:</source>
        <translation>電力:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="283"/>
        <source>&amp;Next: Tune</source>
        <translation>次へ: 調整(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="291"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="309"/>
        <source>unknown until the model&apos;s speed is measured (step 1)</source>
        <translation>モデルの速度を測るまで不明です（ステップ 1）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="312"/>
        <source>about {n} steps</source>
        <translation>約 {n} ステップ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="314"/>
        <location filename="../../app/gui/pages/budget_page.py" line="324"/>
        <source>unknown</source>
        <translation>不明</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="318"/>
        <source>about {time} (in {minutes} min, after a short preparation)</source>
        <translation>{time} ごろ（{minutes} 分後。短い準備時間を除く）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="328"/>
        <source>about {wh} Wh, about {yen} yen</source>
        <translation>約 {wh} Wh、約 {yen} 円</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="334"/>
        <source>Estimates assume {watts} W while tuning ({cores} cores × {per_core} W, a typical desktop CPU); the run measures its real energy where the PC allows and otherwise estimates it the same way.</source>
        <translation>見積もりは調整中の消費電力を {watts} W（{cores} コア × {per_core} W、一般的なデスクトップ PC の CPU）と仮定しています。調整中は、PC が許せば実際の電力量を測り、測れない場合は同じ方法で推定します。</translation>
    </message>
</context>
<context>
    <name>DemoBox</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="99"/>
        <source>Demo</source>
        <translation>デモ</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="102"/>
        <source>New here? The demo tunes the included model on the excavator work orders that come with the app (bucket, engine, hydraulic) for {minutes} minutes, then shows what it would be worth.</source>
        <translation>初めての方へ: デモでは、アプリに付属の油圧ショベルの作業指示（バケット・エンジン・油圧）で内蔵モデルを {minutes} 分間調整し、その効果を金額で示します。</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="106"/>
        <source>Run the &amp;demo</source>
        <translation>デモを実行(&amp;D)</translation>
    </message>
</context>
<context>
    <name>ExamplesPage</name>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="241"/>
        <source>Open examples</source>
        <translation>例文を開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="243"/>
        <source>Examples (*.csv *.tsv *.txt *.jsonl *.json);;All files (*)</source>
        <translation>例文 (*.csv *.tsv *.txt *.jsonl *.json);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="251"/>
        <source>Open a folder with one sub-folder per label</source>
        <translation>ラベルごとのサブフォルダーがあるフォルダーを開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="373"/>
        <source>examples</source>
        <translation>件数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="443"/>
        <source>Examples</source>
        <translation>例文</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="449"/>
        <source>Your own examples: a CSV, TSV or JSONL file with a text and a label per row, or a folder with one sub-folder of .txt files per label. Drop the file or folder anywhere on this window, or open it with the buttons.</source>
        <translation>お手元の例文を使います。1 行に本文とラベルが 1 つずつある CSV・TSV・JSONL ファイル、またはラベルごとに .txt ファイルのサブフォルダーを置いたフォルダーです。ファイルやフォルダーをこのウィンドウのどこかにドロップするか、ボタンから開いてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="454"/>
        <source>Open &amp;file…</source>
        <translation>ファイルを開く(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="455"/>
        <source>Open fol&amp;der…</source>
        <translation>フォルダーを開く(&amp;D)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="456"/>
        <source>&amp;Reload</source>
        <translation>再読み込み(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="457"/>
        <source>Data</source>
        <translation>データ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="458"/>
        <source>&amp;Text column:</source>
        <translation>本文の列(&amp;T):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="459"/>
        <source>&amp;Label column:</source>
        <translation>ラベルの列(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="460"/>
        <source>First rows of the file</source>
        <translation>ファイルの先頭の行</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="461"/>
        <source>Examples per label</source>
        <translation>ラベルごとの件数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="462"/>
        <source>Skipped rows</source>
        <translation>読み飛ばした行</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="463"/>
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="463"/>
        <source>Line</source>
        <translation>行</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="463"/>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="464"/>
        <source>What the model reads</source>
        <translation>モデルが読む文章</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="465"/>
        <source>Prompt &amp;template:</source>
        <translation>プロンプトのテンプレート(&amp;T):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="468"/>
        <source>{text} is replaced by each example and {choices} by the label words. The model answers right after the template with one of the label words.</source>
        <translation>{text} は各例文に、{choices} はラベル語の一覧に置き換わります。モデルはテンプレートの直後に、ラベル語のどれか 1 つで答えます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="472"/>
        <source>Reset te&amp;mplate</source>
        <translation>テンプレートを元に戻す(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="473"/>
        <source>Label &amp;words (double-click a word to change it):</source>
        <translation>ラベル語（ダブルクリックで変更できます）(&amp;W):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="474"/>
        <source>Label</source>
        <translation>ラベル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="474"/>
        <source>Word the model says</source>
        <translation>モデルが答える語</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="475"/>
        <source>Exactly what the model reads, for example no.:</source>
        <translation>モデルが実際に読む文章（例文の番号）:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="476"/>
        <source>&amp;Next: Budget</source>
        <translation>次へ: 予算(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="490"/>
        <source>Examples: {path}</source>
        <translation>例文: {path}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="490"/>
        <source>No examples yet.</source>
        <translation>例文はまだありません。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="493"/>
        <source>Loading</source>
        <translation>読み込み中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="493"/>
        <source>Reading the examples…</source>
        <translation>例文を読み込んでいます…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="495"/>
        <location filename="../../app/gui/pages/examples_page.py" line="528"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="499"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="500"/>
        <source>{n} examples with {labels} labels read ({encoding}).</source>
        <translation>{n} 件の例文（ラベル {labels} 種類）を読み込みました（{encoding}）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="506"/>
        <source>Drop a file or folder of examples here, or use the buttons above.</source>
        <translation>例文のファイルやフォルダーをここにドロップするか、上のボタンを使ってください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="513"/>
        <source>{train} examples for tuning, {val} kept aside to check the result (validation).</source>
        <translation>調整に {train} 件、結果の確認（検証）用に {val} 件を取り分けます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="520"/>
        <source>{n} rows were skipped and will not be used. Fix them in the file and press Reload, or continue without them.</source>
        <translation>{n} 行を読み飛ばしました（使用しません）。ファイルを直して「再読み込み」を押すか、このまま進めてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="525"/>
        <source>No rows were skipped.</source>
        <translation>読み飛ばした行はありません。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="253"/>
        <source>{number}. {title}</source>
        <translation>{number}. {title}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="255"/>
        <source>{step}  ✓ done</source>
        <translation>{step}  ✓ 完了</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="391"/>
        <source>Genba Tuner</source>
        <translation>現場チューナー</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="392"/>
        <source>&amp;Language:</source>
        <translation>表示言語(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="403"/>
        <source>Stop tuning?</source>
        <translation>調整を止めますか？</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="405"/>
        <source>A tuning run is in progress. Stop it and close? The best result so far and the checkpoint are kept, and the run can be continued later.</source>
        <translation>調整を実行中です。止めてウィンドウを閉じますか？ それまでで最も良い結果とチェックポイントは保存され、後で続きから再開できます。</translation>
    </message>
</context>
<context>
    <name>ModelPage</name>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="98"/>
        <source>Open a model</source>
        <translation>モデルを開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="100"/>
        <source>Models (*.gguf *.onnx);;All files (*)</source>
        <translation>モデル (*.gguf *.onnx);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="166"/>
        <source>Model</source>
        <translation>モデル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="172"/>
        <source>The language model that will learn from your examples. The included model works on most PCs. You can also open another model file (.gguf or .onnx), or drop it onto this window.</source>
        <translation>例文から学習する言語モデルです。内蔵モデルはほとんどの PC で動きます。ほかのモデルファイル（.gguf または .onnx）を開くか、このウィンドウにドロップすることもできます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="176"/>
        <source>Selected model:</source>
        <translation>選択中のモデル:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="177"/>
        <source>Use the &amp;included model</source>
        <translation>内蔵モデルを使う(&amp;I)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="178"/>
        <source>&amp;Open model file…</source>
        <translation>モデルファイルを開く(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="179"/>
        <source>&amp;Next: Examples</source>
        <translation>次へ: 例文(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="180"/>
        <source>Model card</source>
        <translation>モデル情報</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="182"/>
        <source>Name</source>
        <translation>名前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="183"/>
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="184"/>
        <source>Kind</source>
        <translation>種類</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="185"/>
        <source>Size on disk</source>
        <translation>ファイルサイズ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="186"/>
        <source>Parameters</source>
        <translation>パラメーター数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="187"/>
        <source>Memory</source>
        <translation>メモリー</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="188"/>
        <source>Speed on this PC</source>
        <translation>この PC での速度</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="200"/>
        <source>Converting the model for this PC (first use only)…</source>
        <translation>この PC 用にモデルを変換しています（初回のみ）…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="202"/>
        <source>Measuring the speed of this PC…</source>
        <translation>この PC の速度を測っています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="206"/>
        <source>SmolLM2 135M — included</source>
        <translation>SmolLM2 135M（内蔵）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="211"/>
        <source>Causal language model (Llama family, GGUF)</source>
        <translation>言語モデル（Llama 系、GGUF）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="212"/>
        <source>Causal language model (ONNX)</source>
        <translation>言語モデル（ONNX）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="213"/>
        <source>Sequence classifier (ONNX)</source>
        <translation>文分類モデル（ONNX）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="242"/>
        <source>unknown</source>
        <translation>不明</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="245"/>
        <source>{millions} million ({layers} layers)</source>
        <translation>{millions} 百万（{layers} 層）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="249"/>
        <source>{millions} million</source>
        <translation>{millions} 百万</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="250"/>
        <source>about {millions} million (estimated from the file size)</source>
        <translation>約 {millions} 百万（ファイルサイズからの推定）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="256"/>
        <source>{free} free now</source>
        <translation>現在の空き {free}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="258"/>
        <source>a run needs about {need}; {free} free now</source>
        <translation>調整に約 {need} 必要、現在の空き {free}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="262"/>
        <source>not measured (this kind of model cannot be tuned)</source>
        <translation>測定していません（この種類のモデルは調整できません）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="265"/>
        <source>about {step} s per tuning step (estimated from one measured forward pass: {ms} ms per example)</source>
        <translation>調整 1 ステップあたり約 {step} 秒（実測した順伝播 1 回から推定: 例文 1 件あたり {ms} ミリ秒）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="281"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="286"/>
        <source>Choose the included model or open a model file to see its card.</source>
        <translation>内蔵モデルを選ぶか、モデルファイルを開くと、ここにモデル情報が表示されます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="295"/>
        <source>Tuning needs a Llama-family GGUF model, an ONNX causal language model or an ONNX sequence classifier.</source>
        <translation>調整できるのは Llama 系の GGUF モデル、ONNX の因果言語モデル、ONNX の文分類モデルです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="301"/>
        <location filename="../../app/gui/pages/model_page.py" line="307"/>
        <source>Cannot tune</source>
        <translation>調整できません</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="302"/>
        <source>This model can be evaluated but not tuned here. {why}</source>
        <translation>このモデルは評価はできますが、ここでは調整できません。{why}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="309"/>
        <source>This PC cannot tune this model: a run needs about {need} of free memory and only {free} is free now. Close other programs, or choose a smaller model.</source>
        <translation>この PC ではこのモデルを調整できません。約 {need} の空きメモリーが必要ですが、現在の空きは {free} です。ほかのプログラムを閉じるか、より小さいモデルを選んでください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="319"/>
        <source>This PC can tune this model: about {n} steps per minute.</source>
        <translation>この PC でこのモデルを調整できます: 1 分あたり約 {n} ステップです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="323"/>
        <source>This PC can tune this model: about one step every {s} seconds.</source>
        <translation>この PC でこのモデルを調整できます: 約 {s} 秒に 1 ステップです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="326"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
</context>
<context>
    <name>ResultsPage</name>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="232"/>
        <source>Asking both models…</source>
        <translation>両方のモデルに問い合わせています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="248"/>
        <source>Export the tuned model to…</source>
        <translation>調整済みモデルの書き出し先</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="328"/>
        <source>✔ now right</source>
        <translation>✔ 正解になった</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="330"/>
        <source>✘ now wrong</source>
        <translation>✘ 不正解になった</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="331"/>
        <source>changed, still wrong</source>
        <translation>変化（不正解のまま）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="379"/>
        <source>Results</source>
        <translation>結果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="385"/>
        <source>What tuning gained on the validation examples (kept aside, never used for tuning), and the tuned model to take away.</source>
        <translation>検証用の例文（調整には一度も使っていない例文）で、調整によってどれだけ良くなったかを示します。調整済みモデルはここから持ち出せます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="389"/>
        <source>Summary</source>
        <translation>まとめ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="391"/>
        <source>Accuracy before</source>
        <translation>調整前の正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="392"/>
        <source>Accuracy after</source>
        <translation>調整後の正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="393"/>
        <source>Steps</source>
        <translation>ステップ数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="394"/>
        <source>Time</source>
        <translation>時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="395"/>
        <source>Electricity</source>
        <translation>電力</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="399"/>
        <source>Tuned model</source>
        <translation>調整済みモデル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="400"/>
        <source>&amp;Export…</source>
        <translation>書き出す(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="401"/>
        <source>Open run &amp;folder</source>
        <translation>実行フォルダーを開く(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="402"/>
        <source>&amp;Continue this run</source>
        <translation>この実行を再開する(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="403"/>
        <source>Validation examples</source>
        <translation>検証用の例文</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="404"/>
        <source>Confusion &amp;matrix:</source>
        <translation>混同行列(&amp;M):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="405"/>
        <source>after tuning</source>
        <translation>調整後</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="406"/>
        <source>before tuning</source>
        <translation>調整前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="408"/>
        <source>Rows: the true label. Columns: the model&apos;s answer. The diagonal (bold) is correct.</source>
        <translation>行は正しいラベル、列はモデルの答えです。対角線上（太字）が正解です。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="410"/>
        <source>Each validation example</source>
        <translation>検証用の例文ごとの結果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="411"/>
        <source>Only examples whose answer &amp;changed</source>
        <translation>答えが変わった例文だけ表示(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="413"/>
        <source>Text</source>
        <translation>本文</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="413"/>
        <source>True label</source>
        <translation>正しいラベル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="413"/>
        <source>Before</source>
        <translation>調整前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="413"/>
        <source>After</source>
        <translation>調整後</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="413"/>
        <source>Change</source>
        <translation>変化</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="415"/>
        <source>Try it</source>
        <translation>試してみる</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="416"/>
        <source>Type a text as it would appear in your data…</source>
        <translation>データにありそうな文章を入力してください…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="417"/>
        <source>&amp;Ask both models</source>
        <translation>両方のモデルに聞く(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="423"/>
        <source>the time budget was used up</source>
        <translation>時間の予算を使い切った</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="424"/>
        <source>the step budget was used up</source>
        <translation>ステップ数の予算を使い切った</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="425"/>
        <source>the energy budget was used up</source>
        <translation>電力量の予算を使い切った</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="426"/>
        <source>you stopped it</source>
        <translation>手動で停止した</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="427"/>
        <source>the numbers became unstable, so it stopped early</source>
        <translation>計算が不安定になり、早めに停止した</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="439"/>
        <source>chosen by a short trial before tuning: the layers whose adjustment moved the answers most for the computing time they cost</source>
        <translation>調整前の短い試行で、計算時間あたりに答えへの影響が最も大きい層を選びました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="443"/>
        <source>chosen by you</source>
        <translation>ユーザーが指定</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="445"/>
        <source>the top layers of the model</source>
        <translation>モデルの最上位の層</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="446"/>
        <source>Tuned layers: {layers} ({why}).</source>
        <translation>調整した層: {layers}（{why}）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="451"/>
        <source>{p}%</source>
        <translation>{p}%</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="468"/>
        <source>No results yet: run the tuning in step 4.</source>
        <translation>まだ結果はありません。ステップ 4 で調整を実行してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="475"/>
        <source>The checkpoint was kept in {folder}. Press Continue this run to carry on from it.</source>
        <translation>チェックポイントは {folder} に保存されています。「この実行を再開する」を押すと続きから再開できます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="478"/>
        <source>Nothing was kept: the run stopped before its first checkpoint.</source>
        <translation>保存されたものはありません。最初のチェックポイントの前に止まりました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="482"/>
        <source>Run failed</source>
        <translation>実行に失敗</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="483"/>
        <source>{message}
{kept}</source>
        <translation>{message}
{kept}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="485"/>
        <source>Run folder: {folder}</source>
        <translation>実行フォルダー: {folder}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="492"/>
        <source>Improved</source>
        <translation>改善しました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="494"/>
        <source>Validation accuracy went from {before} to {after}. The run ended because {reason}.</source>
        <translation>検証用の例文での正解率が {before} から {after} に上がりました。終了理由: {reason}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="500"/>
        <source>No gain</source>
        <translation>改善なし</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="502"/>
        <source>Tuning did not improve validation accuracy ({before}); the exported model is the unchanged model. The run ended because {reason}. Try a longer budget or more examples.</source>
        <translation>調整しても検証用の例文での正解率（{before}）は上がりませんでした。書き出されるモデルは元のモデルのままです。終了理由: {reason}。予算を増やすか、例文を増やしてお試しください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="515"/>
        <source>measured</source>
        <translation>実測</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="515"/>
        <source>estimated</source>
        <translation>推定</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="518"/>
        <source>{wh} Wh, {yen} yen ({source})</source>
        <translation>{wh} Wh、{yen} 円（{source}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="525"/>
        <source>The run folder {folder} holds the merged ONNX model (model/), the adapter file (adapters.npz) and the report (report.json). Export copies them to a folder you choose, for example a USB stick.</source>
        <translation>実行フォルダー {folder} に、統合済みの ONNX モデル（model/）、アダプターファイル（adapters.npz）、レポート（report.json）があります。「書き出す」で、USB メモリーなどお好きなフォルダーにコピーできます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="533"/>
        <source>Exported</source>
        <translation>書き出し完了</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="533"/>
        <source>Copied to {folder}.</source>
        <translation>{folder} にコピーしました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="536"/>
        <location filename="../../app/gui/pages/results_page.py" line="545"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="538"/>
        <source>Copying…</source>
        <translation>コピーしています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="548"/>
        <source>Checking</source>
        <translation>確認中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="548"/>
        <source>Running both models on the validation examples…</source>
        <translation>検証用の例文で両方のモデルを動かしています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="555"/>
        <source>{n} validation examples; the answer changed for {changed}.</source>
        <translation>検証用の例文 {n} 件のうち、{changed} 件で答えが変わりました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="571"/>
        <source>Before tuning: {before} ({pb}%)    After tuning: {after} ({pa}%)</source>
        <translation>調整前: {before}（{pb}%）    調整後: {after}（{pa}%）</translation>
    </message>
</context>
<context>
    <name>RoiPage</name>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="282"/>
        <source>Open a run folder</source>
        <translation>実行フォルダーを開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="362"/>
        <source>Save the report as…</source>
        <translation>レポートの保存先…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="362"/>
        <source>PDF report (*.pdf)</source>
        <translation>PDF レポート (*.pdf)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="446"/>
        <source>Return on investment</source>
        <translation>投資対効果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="430"/>
        <source>Electricity per run</source>
        <translation>1 回あたりの電力量</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="425"/>
        <source>ROI</source>
        <translation>投資対効果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="431"/>
        <source>Accuracy before tuning</source>
        <translation>調整前の正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="432"/>
        <source>Accuracy after tuning</source>
        <translation>調整後の正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="433"/>
        <source>PCs or lines</source>
        <translation>PC・ラインの数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="434"/>
        <source>Tuning runs per month, per PC</source>
        <translation>PC 1 台あたりの月間調整回数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="435"/>
        <source>Electricity price</source>
        <translation>電気料金</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="436"/>
        <source>Documents per month, per PC</source>
        <translation>PC 1 台あたりの月間文書数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="437"/>
        <source>Minutes to fix one misclassified document</source>
        <translation>誤分類 1 件の修正にかかる時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="438"/>
        <source>Labour cost</source>
        <translation>人件費</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="439"/>
        <source>Cloud fine-tuning fee per run</source>
        <translation>クラウドでの調整 1 回あたりの料金</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="440"/>
        <source>Cloud data transfer and compliance</source>
        <translation>クラウドのデータ転送・コンプライアンス費用</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="441"/>
        <source>Setup cost</source>
        <translation>導入費用</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="449"/>
        <source>What tuning on this PC is worth compared with a cloud service. The run&apos;s electricity and accuracy are filled in; every other figure is an example until you enter your own. The results change as you type.</source>
        <translation>この PC で調整する価値を、クラウドサービスと比べて示します。電力量と正解率は実行結果から入力済みです。その他の数値は、自社の数値を入力するまでは例です。入力するとすぐに結果が変わります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="454"/>
        <source>Your figures</source>
        <translation>入力値</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="457"/>
        <source>yen</source>
        <translation>円</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="457"/>
        <source>yen per month</source>
        <translation>円／月</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="459"/>
        <source>Wh</source>
        <translation>Wh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="460"/>
        <location filename="../../app/gui/pages/roi_page.py" line="461"/>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="464"/>
        <source>yen per kWh</source>
        <translation>円／kWh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="466"/>
        <source>minutes</source>
        <translation>分</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="467"/>
        <source>yen per hour</source>
        <translation>円／時</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="474"/>
        <source>Reset the e&amp;xamples</source>
        <translation>例の値に戻す(&amp;X)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="475"/>
        <source>What it gives</source>
        <translation>効果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="477"/>
        <source>Electricity cost per run</source>
        <translation>1 回あたりの電気代</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="478"/>
        <source>Net savings per month</source>
        <translation>月あたりの純節約額</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="479"/>
        <source>Setup cost paid back after</source>
        <translation>導入費用の回収期間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="480"/>
        <source>Electricity per month:</source>
        <translation>月あたりの電気代:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="481"/>
        <source>Labour saved per month:</source>
        <translation>月あたりに減る作業費:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="482"/>
        <source>Cloud costs avoided per month:</source>
        <translation>月あたりに不要になるクラウド費用:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="483"/>
        <source>Misclassified documents avoided per month:</source>
        <translation>月あたりに減る誤分類の件数:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="488"/>
        <source>Cumulative cost and benefit</source>
        <translation>累積の費用と効果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="488"/>
        <source>thousand yen</source>
        <translation>千円</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="488"/>
        <source>months</source>
        <translation>経過月数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="490"/>
        <source>cost: setup + electricity</source>
        <translation>費用: 導入費＋電気代</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="491"/>
        <source>benefit: labour saved + cloud avoided</source>
        <translation>効果: 作業費の削減＋クラウド費用の回避</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="493"/>
        <source>What moves the monthly savings (each input 20% lower or higher)</source>
        <translation>月あたりの節約額を左右する入力（各入力を 20% 増減）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="497"/>
        <source>&lt;span style=&quot;color:{low}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;input 20% lower&amp;nbsp;&amp;nbsp; &lt;span style=&quot;color:{high}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;input 20% higher</source>
        <translation>&lt;span style=&quot;color:{low}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;入力 20% 減&amp;nbsp;&amp;nbsp; &lt;span style=&quot;color:{high}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;入力 20% 増</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="501"/>
        <source>Report for management</source>
        <translation>経営層向けレポート</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="504"/>
        <source>One PDF and one HTML file with the run, the accuracy before and after (with the confusion matrix), these figures and charts, and what stayed on this PC. They are written in the language of the window.</source>
        <translation>実行内容、調整前後の正解率（混同行列付き）、この画面の数値とグラフ、この PC の外に出なかったものをまとめた PDF と HTML を 1 つずつ作ります。画面と同じ言語で書き出します。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="509"/>
        <source>Save &amp;report (PDF + HTML)…</source>
        <translation>レポートを保存（PDF＋HTML）(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="510"/>
        <source>&amp;Open the report</source>
        <translation>レポートを開く(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="511"/>
        <source>Use an &amp;earlier run…</source>
        <translation>以前の実行を使う(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="518"/>
        <source>{n} yen</source>
        <translation>{n} 円</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="543"/>
        <source>No run yet: tune in step 4, or press Run the demo in step 1, or use an earlier run.</source>
        <translation>まだ実行結果がありません。ステップ 4 で調整するか、ステップ 1 で「デモを実行」を押すか、以前の実行を使ってください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="548"/>
        <location filename="../../app/gui/pages/roi_page.py" line="575"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="554"/>
        <source>measured</source>
        <translation>実測</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="556"/>
        <source>estimated</source>
        <translation>推定</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="560"/>
        <source>Electricity of this run: {wh} Wh — {assumption}</source>
        <translation>この実行の電力量: {wh} Wh — {assumption}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="571"/>
        <source>Saved</source>
        <translation>保存しました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="578"/>
        <source>Writing the report (checking both models on the validation examples)…</source>
        <translation>レポートを作成中（検証用の例文で両方のモデルを確認しています）…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="595"/>
        <source>from this run</source>
        <translation>この実行の結果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="596"/>
        <source>Measured in the run; change it to see what if.</source>
        <translation>実行で測った値です。変えると「もし〜なら」を試せます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="598"/>
        <source>example</source>
        <translation>例</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="599"/>
        <source>An example figure, not your site&apos;s: replace it with your own.</source>
        <translation>自社の数値ではなく例です。自社の数値に置き換えてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="617"/>
        <source>no payback</source>
        <translation>回収できません</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="618"/>
        <source>The monthly savings do not exceed the costs.</source>
        <translation>月々の節約額が費用を上回りません。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="620"/>
        <source>{n} months</source>
        <translation>{n} か月</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="638"/>
        <source>change in net savings per month (yen)</source>
        <translation>月あたりの純節約額の変化（円）</translation>
    </message>
</context>
<context>
    <name>TunePage</name>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="152"/>
        <source>Choose a model first (step 1).</source>
        <translation>先にモデルを選んでください（ステップ 1）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="154"/>
        <source>The chosen model cannot be tuned on this PC; see step 1.</source>
        <translation>選んだモデルはこの PC では調整できません。ステップ 1 をご覧ください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="156"/>
        <source>Choose your examples first (step 2).</source>
        <translation>先に例文を選んでください（ステップ 2）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="158"/>
        <source>Fix the prompt in step 2 first.</source>
        <translation>先にステップ 2 でプロンプトを直してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="160"/>
        <source>Set a budget first (step 3).</source>
        <translation>先に予算を決めてください（ステップ 3）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="378"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="325"/>
        <source>Tune</source>
        <translation>調整</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="331"/>
        <source>Start the run and watch it learn. The PC may feel slower while it tunes; this window stays usable. Stop keeps the best result found so far.</source>
        <translation>調整を開始して、学習の様子を見守ります。調整中は PC の動作が遅く感じられることがありますが、このウィンドウは操作できます。停止しても、それまでで最も良い結果が残ります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="335"/>
        <source>&amp;Start tuning</source>
        <translation>調整を開始(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="336"/>
        <source>&amp;Pause</source>
        <translation>一時停止(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="337"/>
        <source>Res&amp;ume</source>
        <translation>再開(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="338"/>
        <source>S&amp;top (keep best so far)</source>
        <translation>停止（最良の結果を残す）(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="339"/>
        <source>Now</source>
        <translation>現在の状況</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="341"/>
        <source>Step</source>
        <translation>ステップ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="342"/>
        <source>Elapsed</source>
        <translation>経過時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="343"/>
        <source>Time left</source>
        <translation>残り時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="344"/>
        <source>Best accuracy (start)</source>
        <translation>最高正解率（開始時）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="345"/>
        <source>Electricity so far</source>
        <translation>これまでの電力</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="349"/>
        <source>step</source>
        <translation>ステップ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="349"/>
        <source>minutes</source>
        <translation>分</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="350"/>
        <source>Training loss (lower is better)</source>
        <translation>学習の損失（低いほど良い）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="350"/>
        <source>loss</source>
        <translation>損失</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="351"/>
        <source>each step</source>
        <translation>各ステップ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="352"/>
        <source>smoothed</source>
        <translation>平滑化</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="353"/>
        <source>Validation accuracy</source>
        <translation>検証の正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="353"/>
        <source>% correct</source>
        <translation>正解率 %</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="354"/>
        <source>while tuning</source>
        <translation>調整中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="355"/>
        <source>before tuning</source>
        <translation>調整前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="359"/>
        <source>this run (100% = 1 core)</source>
        <translation>この調整（100%＝1 コア）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="360"/>
        <source>whole PC (all cores)</source>
        <translation>PC 全体（全コア）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="356"/>
        <source>Electricity used</source>
        <translation>使った電力量</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="356"/>
        <source>Wh</source>
        <translation>Wh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="357"/>
        <source>energy</source>
        <translation>電力量</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="358"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="358"/>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="362"/>
        <source>Memory</source>
        <translation>メモリー</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="362"/>
        <source>MB used by this run</source>
        <translation>この調整の使用量 MB</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="362"/>
        <source>% of PC</source>
        <translation>PC 全体の %</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="364"/>
        <source>this run (MB, left)</source>
        <translation>この調整（MB・左）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="365"/>
        <source>whole PC (%, right)</source>
        <translation>PC 全体（%・右）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="386"/>
        <source>{model} on {n} examples ({labels}); budget: {budget}.</source>
        <translation>{model} を {n} 件の例文（{labels}）で調整します。予算: {budget}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="396"/>
        <source>Ready.</source>
        <translation>準備ができました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="398"/>
        <source>The run did not finish.</source>
        <translation>調整は最後まで終わりませんでした。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="400"/>
        <source>Finished: see the results (step 5).</source>
        <translation>終了しました。結果をご覧ください（ステップ 5）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="403"/>
        <source>Paused at step {step}. Press Resume to continue.</source>
        <translation>ステップ {step} で一時停止中です。「再開」を押すと続きます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="405"/>
        <source>Stopping: checking the best result and writing the model…</source>
        <translation>停止中: 最良の結果を確認し、モデルを書き出しています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="408"/>
        <source>Preparing: {message}…</source>
        <translation>準備中: {message}…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="411"/>
        <source>Preparing…</source>
        <translation>準備中…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="414"/>
        <source>Tuning. The bar shows how much of the budget is used.</source>
        <translation>調整中です。バーは予算を使った割合を示します。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="426"/>
        <source>{left} (at {time})</source>
        <translation>{left}（{time} ごろ）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="435"/>
        <source>{best}% ({start}%)</source>
        <translation>{best}%（{start}%）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="444"/>
        <source>measured</source>
        <translation>実測</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="444"/>
        <source>estimated</source>
        <translation>推定</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="446"/>
        <source>{wh} Wh, {yen} yen ({source})</source>
        <translation>{wh} Wh、{yen} 円（{source}）</translation>
    </message>
</context>
</TS>
