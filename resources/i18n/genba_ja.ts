<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ja_JP" sourcelanguage="en">
<context>
    <name>BudgetPage</name>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="355"/>
        <source>By &amp;time</source>
        <translation>時間で決める(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="363"/>
        <location filename="../../app/gui/pages/budget_page.py" line="369"/>
        <source>minutes</source>
        <translation>分</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="364"/>
        <source>Wh</source>
        <translation>Wh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="366"/>
        <source>&amp;Demo (3 min)</source>
        <translation>デモ（3 分）(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="377"/>
        <source>Leave one &amp;core free for other programs</source>
        <translation>ほかのソフト用に CPU のコアを 1 つ空けておく(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="379"/>
        <source>Electricity &amp;price:</source>
        <translation>電気料金(&amp;P):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="380"/>
        <source>yen per kWh</source>
        <translation>円／kWh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="383"/>
        <source>Choose the &amp;layers myself:</source>
        <translation>層を自分で指定する(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="393"/>
        <source>Normally a short trial before tuning picks the layers with the most effect for their computing time. Lower layers make every step slower.</source>
        <translation>通常は調整前の短い試行で、計算時間あたりの効果が最も大きい層を自動で選びます。下の層を選ぶほど、1 回ごとの調整が遅くなります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="344"/>
        <source>Tuning time</source>
        <translation>調整時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="350"/>
        <source>How long the PC may work on tuning, or how much electricity it may use. When the time is up the run stops and keeps the best result it found. You can also stop it yourself.</source>
        <translation>調整に使ってよい時間（または電力量）を決めます。時間になると調整は止まり、それまでで一番良かった結果が残ります。途中で自分で止めることもできます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="354"/>
        <source>How long may it tune?</source>
        <translation>どれだけ調整しますか？</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="356"/>
        <source>By &amp;electricity</source>
        <translation>電力量で決める(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="357"/>
        <source>By number of &amp;rounds (for experts)</source>
        <translation>回数で決める（上級者向け）(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="360"/>
        <source>{n} min</source>
        <translation>{n} 分</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="362"/>
        <source>{n} Wh</source>
        <translation>{n} Wh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="365"/>
        <source>rounds</source>
        <translation>回</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="367"/>
        <source>Stop early</source>
        <translation>早めに終える</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="368"/>
        <source>&amp;Stop when accuracy has not gone up for</source>
        <translation>正解率が上がらないまま、次の時間がたったら止める(&amp;S):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="372"/>
        <source>Saves time when the model has learned what it can. The best result so far is kept. Untick to use the whole time.</source>
        <translation>これ以上覚えられなくなったときに、時間を節約できます。それまでで一番良い結果は残ります。最後まで使い切るときはチェックを外してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="376"/>
        <source>Sharing this PC</source>
        <translation>この PC のほかの作業</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="378"/>
        <source>Electricity price</source>
        <translation>電気料金</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="381"/>
        <source>Details (for experts)</source>
        <translation>詳細（上級者向け）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="382"/>
        <source>Which part of the model to tune</source>
        <translation>モデルのどの部分を調整するか</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="387"/>
        <source>e.g. {example} (this model has layers 0 to {last})</source>
        <translation>例: {example}（このモデルの層は 0〜{last}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="389"/>
        <source>layer numbers separated by commas</source>
        <translation>層の番号をカンマ区切りで</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="397"/>
        <source>What this gives</source>
        <translation>この設定での見込み</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="398"/>
        <source>Finishes at:</source>
        <translation>終了予定:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="399"/>
        <source>Electricity:</source>
        <translation>電力量（電気代）:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="400"/>
        <source>Sharing the PC:</source>
        <translation>PC のほかの作業:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="401"/>
        <source>Tuning rounds:</source>
        <translation>調整の回数:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="402"/>
        <source>&amp;Next: Tune</source>
        <translation>次へ: 調整(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="410"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="433"/>
        <source>unknown until the model&apos;s speed is measured (step 1)</source>
        <translation>モデルの速度を測るまで不明です（手順 1）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="436"/>
        <source>about {n}</source>
        <translation>約 {n} 回</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="452"/>
        <source>about {wh} Wh, {yen}</source>
        <translation>約 {wh} Wh（{yen}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="459"/>
        <source>uses {threads} of {cores} cores at low priority: each round may take up to {factor}× as long</source>
        <translation>{cores} コアのうち {threads} コアを低い優先度で使います。1 回の調整に最大 {factor} 倍の時間がかかることがあります</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="476"/>
        <source>Tuning is slower, but the PC stays usable. On by default on PCs with up to {n} cores.</source>
        <translation>調整は遅くなりますが、PC をほかの作業に使い続けられます。コアが {n} つ以下の PC では最初からオンです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="468"/>
        <source>this PC has only one core: tuning runs at low priority instead</source>
        <translation>この PC はコアが 1 つだけなので、代わりに低い優先度で調整します</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="472"/>
        <source>uses all {cores} cores: other programs may be slow meanwhile</source>
        <translation>{cores} コアすべてを使います。その間ほかのソフトが遅くなることがあります</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="481"/>
        <source>Electricity is estimated at {watts} W while tuning ({cores} cores × {per_core} W, a typical desktop CPU); the run measures its real use where the PC allows.</source>
        <translation>電力量は調整中 {watts} W（{cores} コア × {per_core} W、一般的なデスクトップ PC の CPU）として見積もっています。PC が対応していれば、実際の使用量を測ります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="438"/>
        <location filename="../../app/gui/pages/budget_page.py" line="448"/>
        <source>unknown</source>
        <translation>不明</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/budget_page.py" line="442"/>
        <source>about {time} (in {minutes} min, after a short preparation)</source>
        <translation>{time} ごろ（{minutes} 分後。短い準備時間を除く）</translation>
    </message>
</context>
<context>
    <name>DemoBox</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="106"/>
        <source>Demo</source>
        <translation>デモ</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="109"/>
        <source>New here? The demo tunes the included model on the excavator work orders that come with the app (bucket, engine, hydraulic) for {minutes} minutes, then shows what it would be worth.</source>
        <translation>初めての方へ: デモでは、アプリに付属の油圧ショベルの作業指示（バケット・エンジン・油圧）で内蔵モデルを {minutes} 分間調整し、その効果を金額で示します。</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="113"/>
        <source>Run the &amp;demo</source>
        <translation>デモを実行(&amp;D)</translation>
    </message>
</context>
<context>
    <name>ExamplesPage</name>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="256"/>
        <source>Open a folder with one sub-folder per label</source>
        <translation>ラベルごとのサブフォルダーがあるフォルダーを開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="246"/>
        <source>Open training data</source>
        <translation>学習データを開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="248"/>
        <source>Tables (*.csv *.tsv *.txt *.jsonl *.json);;All files (*)</source>
        <translation>表形式のファイル (*.csv *.tsv *.txt *.jsonl *.json);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="383"/>
        <source>rows</source>
        <translation>件数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="479"/>
        <source>Training data</source>
        <translation>学習データ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="485"/>
        <source>Your own data to learn from: a table (CSV, TSV or JSONL) with a text and its label in each row, or a folder with one sub-folder of text files per label. Drop the file or folder anywhere on this window, or open it with the buttons.</source>
        <translation>モデルに覚えさせる自社のデータです。1 行に文章とその分類（ラベル）が入った表（CSV・TSV・JSONL）か、ラベルごとのサブフォルダーにテキストファイルを入れたフォルダーを使います。ファイルやフォルダーをこのウィンドウにドロップするか、ボタンから開いてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="490"/>
        <source>Open &amp;file…</source>
        <translation>ファイルを開く(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="491"/>
        <source>Open fol&amp;der…</source>
        <translation>フォルダーを開く(&amp;D)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="492"/>
        <source>&amp;Reload</source>
        <translation>再読み込み(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="493"/>
        <source>Data</source>
        <translation>データ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="494"/>
        <source>&amp;Text column:</source>
        <translation>本文の列(&amp;T):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="495"/>
        <source>&amp;Label column:</source>
        <translation>ラベルの列(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="496"/>
        <source>First rows of the file</source>
        <translation>ファイルの先頭の行</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="497"/>
        <source>Rows per label</source>
        <translation>ラベルごとの件数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="500"/>
        <source>How the model answers</source>
        <translation>モデルの答え方</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="501"/>
        <source>The &amp;word the model answers with, for each label:</source>
        <translation>ラベルごとに、モデルが答える言葉(&amp;W):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="502"/>
        <source>&amp;Edit word</source>
        <translation>言葉を編集(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="503"/>
        <source>Answer word</source>
        <translation>答える言葉</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="504"/>
        <source>What the model reads, for row no.:</source>
        <translation>モデルが読む文章（何件目のデータか）:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="505"/>
        <source>Details: the question text (for experts)</source>
        <translation>詳細: 問いかけの文（上級者向け）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="506"/>
        <source>Question &amp;text around each row (template):</source>
        <translation>各行の文章を埋め込む問いかけの文(&amp;T):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="509"/>
        <source>{text} is replaced by each row&apos;s text and {choices} by the answer words. The model answers right after this text with one of the answer words.</source>
        <translation>{text} は各行の文章に、{choices} は答える言葉の一覧に置き換わります。モデルはこの文のすぐ後に、答える言葉のどれかで答えます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="514"/>
        <source>&amp;Next: Tuning time</source>
        <translation>次へ: 調整時間(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="528"/>
        <source>Training data: {path}</source>
        <translation>学習データ: {path}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="528"/>
        <source>No data yet.</source>
        <translation>まだデータがありません。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="531"/>
        <source>Reading the data…</source>
        <translation>データを読み込み中…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="538"/>
        <source>{n} rows with {labels} labels read ({encoding}).</source>
        <translation>{n} 件（ラベル {labels} 種類）を読み込みました（{encoding}）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="544"/>
        <source>Drop a file or folder of training data here, or use the buttons above.</source>
        <translation>学習データのファイルかフォルダーをここにドロップするか、上のボタンを使ってください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="498"/>
        <source>Skipped rows</source>
        <translation>読み飛ばした行</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="499"/>
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="499"/>
        <source>Line</source>
        <translation>行</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="499"/>
        <source>Reason</source>
        <translation>理由</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="513"/>
        <source>Reset te&amp;mplate</source>
        <translation>問いかけの文を元に戻す(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="503"/>
        <source>Label</source>
        <translation>ラベル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="531"/>
        <source>Loading</source>
        <translation>読み込み中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="533"/>
        <location filename="../../app/gui/pages/examples_page.py" line="572"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="537"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="551"/>
        <source>{train} rows to learn from, {val} to pick the best result during tuning, and {test} kept for the final test (never used while tuning).</source>
        <translation>{train} 件で学習し、{val} 件で調整中に一番良い結果を選び、{test} 件は最終テスト用に取っておきます（調整中は一度も使いません）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="557"/>
        <source>{n} repeated rows are counted once.</source>
        <translation>重複している {n} 件は 1 件として数えます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="564"/>
        <source>{n} rows were skipped and will not be used. Fix them in the file and press Reload, or continue without them.</source>
        <translation>{n} 行を読み飛ばしました（使用しません）。ファイルを直して「再読み込み」を押すか、このまま進めてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/examples_page.py" line="569"/>
        <source>No rows were skipped.</source>
        <translation>読み飛ばした行はありません。</translation>
    </message>
</context>
<context>
    <name>FleetPage</name>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="119"/>
        <source>Fleet</source>
        <translation>共同調整</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="128"/>
        <source>Tune one model together with other PCs of your plant. Each PC keeps its own training data: only round numbers and a few sums per round leave this PC, never the data or the model.</source>
        <translation>工場のほかの PC と一緒に 1 つのモデルを調整します。学習データは各 PC に残ります。この PC から出るのは調整の回ごとの番号といくつかの合計値だけで、学習データやモデルは決して出ません。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="133"/>
        <source>Coordinator address:</source>
        <translation>取りまとめ PC のアドレス:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="134"/>
        <source>Name of this PC:</source>
        <translation>この PC の名前:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="135"/>
        <source>Training data on this PC:</source>
        <translation>この PC の学習データ:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="136"/>
        <source>Fleet folder on this PC:</source>
        <translation>この PC の共同調整用フォルダー:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="137"/>
        <source>Fleet certificate (ca.crt):</source>
        <translation>共同調整の証明書（ca.crt）:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="142"/>
        <source>Browse…</source>
        <translation>参照…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="143"/>
        <source>No encryption (a trial on one PC only)</source>
        <translation>暗号化しない（1 台での試験専用）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="144"/>
        <source>&amp;Join the fleet</source>
        <translation>共同調整に参加(&amp;J)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="145"/>
        <source>&amp;Leave</source>
        <translation>抜ける(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="148"/>
        <source>PC</source>
        <translation>PC</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="152"/>
        <source>Last seen</source>
        <translation>最後の応答</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="149"/>
        <source>Rows to
learn from</source>
        <translation>学習に
使う件数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="150"/>
        <source>Correct
(checking rows)</source>
        <translation>正解率
（確認用データ）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="151"/>
        <source>Correct
(final test rows)</source>
        <translation>正解率
（最終テスト用データ）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="156"/>
        <source>Error while learning, all PCs together (lower is better)</source>
        <translation>学習中の誤差、全 PC 合計（低いほど良い）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="157"/>
        <source>error</source>
        <translation>誤差</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="158"/>
        <source>round</source>
        <translation>回</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="160"/>
        <source>all PCs&apos; rows of the round</source>
        <translation>その回の全 PC のデータ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="161"/>
        <source>&amp;Next →</source>
        <translation>次へ(&amp;N) →</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="165"/>
        <source>Training data on this PC</source>
        <translation>この PC の学習データ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="170"/>
        <source>Fleet folder on this PC</source>
        <translation>この PC の共同調整用フォルダー</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="175"/>
        <source>Fleet certificate (ca.crt)</source>
        <translation>共同調整の証明書（ca.crt）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="183"/>
        <source>Enter the coordinator&apos;s address as name:port, for example plant-server:9091.</source>
        <translation>取りまとめ PC のアドレスを「名前:ポート」の形で入力してください（例: plant-server:9091）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="185"/>
        <source>Enter a name for this PC (the other PCs see it).</source>
        <translation>この PC の名前を入力してください（ほかの PC に表示されます）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="187"/>
        <source>Choose the file with this PC&apos;s training data.</source>
        <translation>この PC の学習データのファイルを選んでください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="189"/>
        <source>Choose a folder where this PC keeps its fleet records.</source>
        <translation>この PC が共同調整の記録を保存するフォルダーを選んでください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="192"/>
        <source>Choose the fleet&apos;s certificate file, or tick &apos;No encryption&apos; for a trial on one PC.</source>
        <translation>共同調整の証明書ファイルを選ぶか、1 台での試験なら「暗号化しない」にチェックを入れてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="199"/>
        <location filename="../../app/gui/pages/fleet_page.py" line="216"/>
        <location filename="../../app/gui/pages/fleet_page.py" line="250"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="222"/>
        <source>Joined</source>
        <translation>参加中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="222"/>
        <source>Waiting for the coordinator&apos;s next round…</source>
        <translation>取りまとめ PC からの次の回を待っています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="251"/>
        <source>This PC&apos;s fleet connection stopped. See supernode.log in the fleet folder.</source>
        <translation>この PC の共同調整への接続が止まりました。共同調整用フォルダーの supernode.log を確認してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="272"/>
        <source>{seconds} s ago</source>
        <translation>{seconds} 秒前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="278"/>
        <source>All PCs together</source>
        <translation>全 PC 合計</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="299"/>
        <source>The fleet finished all {steps} rounds.</source>
        <translation>全 {steps} 回の調整を終えました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="302"/>
        <source>All PCs together: {accuracy} correct on {n} final test rows (never used while tuning).</source>
        <translation>全 PC 合計：最終テスト用データ {n} 件（調整中は一度も使っていません）で正解率 {accuracy}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="304"/>
        <source>Finished</source>
        <translation>完了</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="309"/>
        <source>Round {step} of {steps}, {pcs} PCs.</source>
        <translation>{steps} 回中 {step} 回目、PC {pcs} 台。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/fleet_page.py" line="308"/>
        <source>Tuning</source>
        <translation>調整中</translation>
    </message>
</context>
<context>
    <name>Formatting</name>
    <message>
        <location filename="../../app/gui/formatting.py" line="30"/>
        <source>under 1 yen</source>
        <translation>1 円未満</translation>
    </message>
    <message>
        <location filename="../../app/gui/formatting.py" line="31"/>
        <source>{n} yen</source>
        <translation>{n} 円</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/gui/main_window.py" line="272"/>
        <source>{number}. {title}</source>
        <translation>{number}. {title}</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="275"/>
        <source>done</source>
        <translation>完了</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="277"/>
        <source>{step}  ✓ done</source>
        <translation>{step}  ✓ 完了</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="324"/>
        <source>Your examples are in Japanese, so the model that reads Japanese (Gemma 3 270M) was chosen. You can change it on the Model step.</source>
        <translation>学習データが日本語なので、日本語が読めるモデル（Gemma 3 270M）を選びました。「モデル」の手順で変更できます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="329"/>
        <source>Your examples are not in Japanese, so the English model (SmolLM2 135M) was chosen. You can change it on the Model step.</source>
        <translation>学習データが日本語ではないので、英語用のモデル（SmolLM2 135M）を選びました。「モデル」の手順で変更できます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="452"/>
        <source>Genba Tuner</source>
        <translation>現場チューナー</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="453"/>
        <source>&amp;Language:</source>
        <translation>表示言語(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="475"/>
        <source>Stop tuning?</source>
        <translation>調整を止めますか？</translation>
    </message>
    <message>
        <location filename="../../app/gui/main_window.py" line="477"/>
        <source>A tuning run is in progress. Stop it and close? The best result so far and the checkpoint are kept, and the run can be continued later.</source>
        <translation>調整を実行中です。止めてウィンドウを閉じますか？ それまでで一番良い結果と途中経過は保存され、後で続きから再開できます。</translation>
    </message>
</context>
<context>
    <name>ModelPage</name>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="122"/>
        <source>Open a model</source>
        <translation>モデルを開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="124"/>
        <source>Models (*.gguf *.onnx);;All files (*)</source>
        <translation>モデル (*.gguf *.onnx);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="195"/>
        <source>Model</source>
        <translation>モデル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="201"/>
        <source>The language model that will learn from your data. Two models are included: one that reads Japanese (and other languages) and a smaller one for English. Both work on most PCs. When you choose your examples, the one that suits their language is picked for you. You can also open another model file, or drop it onto this window.</source>
        <translation>データから学習する言語モデルです。日本語（とその他の言語）が読めるモデルと、英語用の小さいモデルの 2 つが入っています。どちらもほとんどの PC で動きます。学習データを選ぶと、その言語に合うモデルが自動で選ばれます。別のモデルファイルを開くか、このウィンドウにドロップすることもできます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="207"/>
        <source>Selected model:</source>
        <translation>選択中のモデル:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="210"/>
        <source>&amp;Open model file…</source>
        <translation>モデルファイルを開く(&amp;O)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="211"/>
        <source>&amp;Next: Training data</source>
        <translation>次へ: 学習データ(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="212"/>
        <source>About this model</source>
        <translation>このモデルについて</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="213"/>
        <source>Details</source>
        <translation>詳細</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="215"/>
        <source>Name</source>
        <translation>名前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="216"/>
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="217"/>
        <source>Kind</source>
        <translation>種類</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="218"/>
        <source>Size on disk</source>
        <translation>ファイルサイズ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="219"/>
        <source>Parameters</source>
        <translation>パラメーター数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="220"/>
        <source>Measured</source>
        <translation>測定値</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="221"/>
        <source>Memory</source>
        <translation>メモリー</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="222"/>
        <source>Speed on this PC</source>
        <translation>この PC での速度</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="234"/>
        <source>Converting the model for this PC (first use only)…</source>
        <translation>この PC 用にモデルを変換しています（初回のみ）…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="236"/>
        <source>Measuring the speed of this PC…</source>
        <translation>この PC の速度を測っています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="261"/>
        <source>Causal language model (Llama family, GGUF)</source>
        <translation>言語モデル（Llama 系、GGUF）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="262"/>
        <source>Causal language model (ONNX)</source>
        <translation>言語モデル（ONNX）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="263"/>
        <source>Sequence classifier (ONNX)</source>
        <translation>文分類モデル（ONNX）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="264"/>
        <source>Sentence encoder (ONNX): becomes a classifier when tuned</source>
        <translation>文エンコーダー（ONNX）: 調整すると文分類モデルになります</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="295"/>
        <source>unknown</source>
        <translation>不明</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="298"/>
        <source>{millions} million ({layers} layers)</source>
        <translation>{millions} 百万（{layers} 層）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="302"/>
        <source>{millions} million</source>
        <translation>{millions} 百万</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="303"/>
        <source>about {millions} million (estimated from the file size)</source>
        <translation>約 {millions} 百万（ファイルサイズからの推定）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="308"/>
        <source>{free} free now</source>
        <translation>現在の空き {free}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="310"/>
        <source>tuning needs about {need}; {free} free now</source>
        <translation>調整に約 {need} 必要（いまの空き: {free}）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="318"/>
        <source>about {n} tuning rounds a minute</source>
        <translation>1 分あたり約 {n} 回の調整</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="321"/>
        <source>about one tuning round every {s} seconds</source>
        <translation>約 {s} 秒に 1 回の調整</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="328"/>
        <source>{ms} ms per example for one forward pass</source>
        <translation>1 件あたり {ms} ミリ秒（順伝播 1 回）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="343"/>
        <source>Choose an included model or open a model file to see its card.</source>
        <translation>内蔵モデルを選ぶか、モデルファイルを開くと、モデルの情報が表示されます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="373"/>
        <source>This PC can tune this model ({speed}).</source>
        <translation>この PC でこのモデルを調整できます（{speed}）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="314"/>
        <source>not measured (this kind of model cannot be tuned)</source>
        <translation>測定していません（この種類のモデルは調整できません）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="208"/>
        <source>Use the &amp;Japanese / multilingual model</source>
        <translation>日本語・多言語モデルを使う(&amp;J)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="209"/>
        <source>Use the &amp;English model</source>
        <translation>英語モデルを使う(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="240"/>
        <source>SmolLM2 135M — included, English</source>
        <translation>SmolLM2 135M（内蔵・英語）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="242"/>
        <source>Gemma 3 270M — included, Japanese and other languages</source>
        <translation>Gemma 3 270M（内蔵・日本語と多言語）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="250"/>
        <source>Gemma is provided under and subject to the Gemma Terms of Use.</source>
        <translation>Gemma は Gemma 利用規約（Gemma Terms of Use）に基づいて提供され、同規約に従います。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="252"/>
        <source>Gemma is provided under and subject to the &lt;a href=&quot;{terms}&quot;&gt;Gemma Terms of Use&lt;/a&gt; (&lt;a href=&quot;{notice}&quot;&gt;notice&lt;/a&gt;).</source>
        <translation>Gemma は &lt;a href=&quot;{terms}&quot;&gt;Gemma 利用規約（Gemma Terms of Use）&lt;/a&gt;に基づいて提供され、同規約に従います（&lt;a href=&quot;{notice}&quot;&gt;通知&lt;/a&gt;）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="338"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="351"/>
        <source>Tuning needs a Llama-family GGUF model, an ONNX causal language model or an ONNX sequence classifier.</source>
        <translation>調整できるのは Llama 系の GGUF モデル、ONNX の因果言語モデル、ONNX の文分類モデルです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="357"/>
        <location filename="../../app/gui/pages/model_page.py" line="363"/>
        <source>Cannot tune</source>
        <translation>調整できません</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="358"/>
        <source>This model can be evaluated but not tuned here. {why}</source>
        <translation>このモデルは評価はできますが、ここでは調整できません。{why}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="365"/>
        <source>This PC cannot tune this model: a run needs about {need} of free memory and only {free} is free now. Close other programs, or choose a smaller model.</source>
        <translation>この PC ではこのモデルを調整できません。約 {need} の空きメモリーが必要ですが、現在の空きは {free} です。ほかのプログラムを閉じるか、より小さいモデルを選んでください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/model_page.py" line="374"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
</context>
<context>
    <name>Page</name>
    <message>
        <location filename="../../app/gui/pages/page.py" line="187"/>
        <source>← &amp;Back</source>
        <translation>← 戻る(&amp;B)</translation>
    </message>
</context>
<context>
    <name>ResultsPage</name>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="263"/>
        <source>Asking both models…</source>
        <translation>両方のモデルに問い合わせています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="279"/>
        <source>Export the tuned model to…</source>
        <translation>調整済みモデルの書き出し先</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="362"/>
        <source>✔ now right</source>
        <translation>✔ 正解になった</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="364"/>
        <source>✘ now wrong</source>
        <translation>✘ 不正解になった</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="365"/>
        <source>changed, still wrong</source>
        <translation>変化（不正解のまま）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="420"/>
        <source>Save these rows</source>
        <translation>この行を保存</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="420"/>
        <source>CSV file (*.csv)</source>
        <translation>CSV ファイル (*.csv)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="438"/>
        <location filename="../../app/gui/pages/results_page.py" line="569"/>
        <source>Sure</source>
        <translation>確信度</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="460"/>
        <source>Saved</source>
        <translation>保存しました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="461"/>
        <source>{n} rows saved to {file}.</source>
        <translation>{n} 行を {file} に保存しました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="485"/>
        <source>1 row whose right label is {right} and the model answered {answer}.</source>
        <translation>正解が「{right}」で、モデルが「{answer}」と答えた 1 行です。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="487"/>
        <source>{n} rows whose right label is {right} and the model answered {answer}.</source>
        <translation>正解が「{right}」で、モデルが「{answer}」と答えた {n} 行です。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="493"/>
        <source>Click a number in the table to list those rows.</source>
        <translation>表の数字を押すと、その行が一覧に出ます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="527"/>
        <source>Results</source>
        <translation>結果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="533"/>
        <source>How much better the tuned model answers the rows kept for the final test (never used while tuning), and the tuned model to take away.</source>
        <translation>最終テスト用に取っておいたデータ（調整中は一度も使っていません）で、調整済みモデルがどれだけ正しく答えるようになったかを示します。調整済みモデルはここから持ち出せます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="538"/>
        <source>Summary</source>
        <translation>まとめ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="542"/>
        <source>Simple keyword model</source>
        <translation>簡単なキーワード方式</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="544"/>
        <source>Time</source>
        <translation>時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="545"/>
        <source>Electricity</source>
        <translation>電力量（電気代）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="550"/>
        <source>Tuned model</source>
        <translation>調整済みモデル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="551"/>
        <source>&amp;Export…</source>
        <translation>書き出す(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="552"/>
        <source>Open run &amp;folder</source>
        <translation>実行フォルダーを開く(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="553"/>
        <source>&amp;Continue this run</source>
        <translation>この実行を再開する(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="554"/>
        <source>Rows kept for the final test</source>
        <translation>最終テスト用のデータ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="556"/>
        <source>after tuning</source>
        <translation>調整後</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="557"/>
        <source>before tuning</source>
        <translation>調整前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="561"/>
        <source>Each final-test row</source>
        <translation>最終テスト用データ 1 件ごとの結果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="434"/>
        <location filename="../../app/gui/pages/results_page.py" line="565"/>
        <source>Text</source>
        <translation>本文</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="436"/>
        <location filename="../../app/gui/pages/results_page.py" line="567"/>
        <source>Before</source>
        <translation>調整前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="437"/>
        <location filename="../../app/gui/pages/results_page.py" line="568"/>
        <source>After</source>
        <translation>調整後</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="570"/>
        <source>Change</source>
        <translation>変化</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="576"/>
        <source>Try it</source>
        <translation>試してみる</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="577"/>
        <source>Type a text as it would appear in your data…</source>
        <translation>データにありそうな文章を入力してください…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="578"/>
        <source>&amp;Ask both models</source>
        <translation>両方のモデルに聞く(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="588"/>
        <source>you stopped it</source>
        <translation>手動で止めた</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="589"/>
        <source>the numbers became unstable, so it stopped early</source>
        <translation>計算が不安定になり、早めに停止した</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="601"/>
        <source>chosen by a short trial before tuning: the layers whose adjustment moved the answers most for the computing time they cost</source>
        <translation>調整前の短い試行で、計算時間あたりに答えへの影響が最も大きい層を選びました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="605"/>
        <source>chosen by you</source>
        <translation>自分で指定</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="607"/>
        <source>the top layers of the model</source>
        <translation>モデルの最上位の層</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="665"/>
        <source>{rows}, correct answers went from {before} to {after}. The run ended because {reason}.</source>
        <translation>{rows}、正解率が {before} から {after} に上がりました。終了理由: {reason}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="537"/>
        <source>&amp;Next: Payback</source>
        <translation>次へ: 費用対効果(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="540"/>
        <source>Correct before</source>
        <translation>調整前の正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="541"/>
        <source>Correct after</source>
        <translation>調整後の正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="543"/>
        <source>Tuning rounds</source>
        <translation>調整の回数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="549"/>
        <source>Details</source>
        <translation>詳細</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="555"/>
        <source>&amp;Right answers and model answers:</source>
        <translation>正解と予測の対応表(&amp;R):</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="559"/>
        <source>Each row is the right label, each column what the model answered. Bold: answered right.</source>
        <translation>行が正解のラベル、列がモデルの答えです。太字が正しく答えた件数です。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="562"/>
        <source>Only rows whose answer &amp;changed</source>
        <translation>答えが変わったものだけ表示(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="435"/>
        <location filename="../../app/gui/pages/results_page.py" line="566"/>
        <source>Right label</source>
        <translation>正解のラベル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="573"/>
        <source>Show &amp;all rows</source>
        <translation>すべての行を表示(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="574"/>
        <source>&amp;Save these rows (CSV)…</source>
        <translation>この行を保存（CSV）(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="584"/>
        <source>the tuning time was used up</source>
        <translation>調整時間を使い切った</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="585"/>
        <source>the set number of rounds was done</source>
        <translation>決めた回数の調整を終えた</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="586"/>
        <source>the electricity limit was reached</source>
        <translation>決めた電力量に達した</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="587"/>
        <source>accuracy had stopped going up, so it stopped early</source>
        <translation>正解率が上がらなくなったので早めに終えた</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="608"/>
        <source>Tuned layers of the model: {layers} ({why}).</source>
        <translation>調整したモデルの層: {layers}（{why}）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="613"/>
        <source>{p}%</source>
        <translation>{p}%</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="630"/>
        <source>No results yet: run the tuning in step 4.</source>
        <translation>まだ結果はありません。手順 4 で調整を実行してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="637"/>
        <source>The checkpoint was kept in {folder}. Press Continue this run to carry on from it.</source>
        <translation>途中経過は {folder} に保存されています。「この実行を再開する」を押すと続きから再開できます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="640"/>
        <source>Nothing was kept: the run stopped before its first checkpoint.</source>
        <translation>保存されたものはありません。最初の途中保存より前に止まりました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="644"/>
        <source>Run failed</source>
        <translation>最後まで実行できませんでした</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="645"/>
        <source>{message}
{kept}</source>
        <translation>{message}
{kept}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="648"/>
        <source>Run folder: {folder}</source>
        <translation>実行フォルダー: {folder}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="654"/>
        <source>On {n} rows kept for the final test (never used while tuning)</source>
        <translation>調整中に一度も使っていない最終テスト用の {n} 件で</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="657"/>
        <source>On {n} rows used to pick the best result (too few rows for a separate final test)</source>
        <translation>一番良い結果を選ぶのに使った {n} 件で（データが少ないため、別の最終テスト用データは取れませんでした）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="663"/>
        <source>Improved</source>
        <translation>改善しました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="702"/>
        <source>{wh} Wh, {yen} (measured)</source>
        <translation>{wh} Wh、{yen}（実測）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="704"/>
        <source>{wh} Wh, {yen} (estimated)</source>
        <translation>{wh} Wh、{yen}（推定）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="710"/>
        <source>The run folder {folder} holds the tuned model, ready to use, and a report. Export copies them to a folder you choose, for example a USB stick.</source>
        <translation>実行フォルダー {folder} に、すぐに使える調整済みモデルとレポートがあります。「書き出す」で、USB メモリーなどお好きなフォルダーにコピーできます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="673"/>
        <source>No gain</source>
        <translation>改善なし</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="675"/>
        <source>{rows}, tuning did not raise the share of correct answers ({before}); the exported model is the unchanged model. The run ended because {reason}. Try a longer tuning time or more training data.</source>
        <translation>{rows}、調整しても正解率は上がりませんでした（{before}）。書き出すモデルは調整前と同じです。終了理由: {reason}。調整時間を長くするか、学習データを増やしてみてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="683"/>
        <source>The tuned model answers better than a simple keyword model ({keyword}).</source>
        <translation>調整済みモデルは、簡単なキーワード方式（{keyword}）より正しく答えます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="686"/>
        <source>A simple keyword model answers as well or better ({keyword}): the tuned model adds nothing over it on these rows.</source>
        <translation>簡単なキーワード方式でも同じかそれ以上に正しく答えます（{keyword}）。このデータでは、調整済みモデルを使う利点はありません。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="717"/>
        <source>Exported</source>
        <translation>書き出し完了</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="717"/>
        <source>Copied to {folder}.</source>
        <translation>{folder} にコピーしました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="455"/>
        <location filename="../../app/gui/pages/results_page.py" line="721"/>
        <location filename="../../app/gui/pages/results_page.py" line="732"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="724"/>
        <source>Copying…</source>
        <translation>コピーしています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="736"/>
        <source>Checking</source>
        <translation>確認中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="736"/>
        <source>Asking both models about the final-test rows…</source>
        <translation>最終テスト用のデータを両方のモデルに答えさせています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="741"/>
        <source>{n} rows kept for the final test; the answer changed for {changed}.</source>
        <translation>最終テスト用のデータ {n} 件のうち、{changed} 件で答えが変わりました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="743"/>
        <source>{n} rows used to pick the best result; the answer changed for {changed}.</source>
        <translation>一番良い結果を選ぶのに使ったデータ {n} 件のうち、{changed} 件で答えが変わりました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/results_page.py" line="764"/>
        <source>Before tuning: {before} ({pb}%)    After tuning: {after} ({pa}%)</source>
        <translation>調整前: {before}（{pb}%）    調整後: {after}（{pa}%）</translation>
    </message>
</context>
<context>
    <name>RoiPage</name>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="301"/>
        <source>Open a run folder</source>
        <translation>実行フォルダーを開く</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="381"/>
        <source>Save the report as…</source>
        <translation>レポートの保存先…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="381"/>
        <source>PDF report (*.pdf)</source>
        <translation>PDF レポート (*.pdf)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="449"/>
        <source>Electricity per run</source>
        <translation>1 回あたりの電力量</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="444"/>
        <source>Payback</source>
        <translation>費用対効果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="450"/>
        <source>Correct before tuning (final test)</source>
        <translation>調整前の正解率（最終テスト）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="451"/>
        <source>Correct after tuning (final test)</source>
        <translation>調整後の正解率（最終テスト）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="452"/>
        <source>PCs or lines</source>
        <translation>PC・ラインの数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="453"/>
        <source>Tuning runs per month, per PC</source>
        <translation>PC 1 台あたりの月間調整回数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="454"/>
        <source>Electricity price</source>
        <translation>電気料金</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="455"/>
        <source>Documents per month, per PC</source>
        <translation>PC 1 台あたりの月間文書数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="456"/>
        <source>Minutes to fix one misclassified document</source>
        <translation>誤分類 1 件の修正にかかる時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="457"/>
        <source>Labour cost</source>
        <translation>人件費</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="458"/>
        <source>Setup cost</source>
        <translation>導入費用</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="463"/>
        <source>Is it worth it?</source>
        <translation>費用対効果の見積もり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="464"/>
        <source>&amp;Next: Fleet (several PCs)</source>
        <translation>次へ: 共同調整（複数の PC）(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="472"/>
        <source>Your figures</source>
        <translation>入力値</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="475"/>
        <source>yen</source>
        <translation>円</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="477"/>
        <source>Wh</source>
        <translation>Wh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="478"/>
        <location filename="../../app/gui/pages/roi_page.py" line="479"/>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="482"/>
        <source>yen per kWh</source>
        <translation>円／kWh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="484"/>
        <source>minutes</source>
        <translation>分</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="485"/>
        <source>yen per hour</source>
        <translation>円／時</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="490"/>
        <source>Reset the e&amp;xamples</source>
        <translation>例の値に戻す(&amp;X)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="491"/>
        <source>What it gives</source>
        <translation>効果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="493"/>
        <source>Electricity cost per run</source>
        <translation>1 回あたりの電気代</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="494"/>
        <source>Net savings per month</source>
        <translation>月あたりの純節約額</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="495"/>
        <source>Setup cost paid back after</source>
        <translation>導入費用の回収期間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="496"/>
        <source>Electricity per month:</source>
        <translation>月あたりの電気代:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="498"/>
        <source>Labour saved per month:</source>
        <translation>月あたりに減る作業費:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="499"/>
        <source>Misclassified documents avoided per month:</source>
        <translation>月あたりに減る誤分類の件数:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="504"/>
        <source>Cumulative cost and benefit</source>
        <translation>累積の費用と効果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="504"/>
        <source>thousand yen</source>
        <translation>千円</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="504"/>
        <source>months</source>
        <translation>経過月数</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="506"/>
        <source>cost: setup + electricity</source>
        <translation>費用: 導入費＋電気代</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="467"/>
        <source>What tuning is worth compared with keeping the model as it came: the labour saved on fewer wrong answers, minus electricity. The run&apos;s electricity and accuracy are filled in; every other figure is an example until you enter your own. The results change as you type.</source>
        <translation>調整の効果を、モデルをそのまま使い続けた場合と比べます。間違いが減って省ける作業費から電気代を引いた金額です。電力量と正解率はこの実行の結果が入っています。ほかの数値は、自社の数値を入れるまでは例の値です。入力するとすぐに結果が変わります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="497"/>
        <source>Likely range, from the number of test rows:</source>
        <translation>テスト件数から見た金額の幅:</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="507"/>
        <source>benefit: labour saved</source>
        <translation>効果: 減った作業費</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="509"/>
        <source>What moves the monthly savings (each input 20% lower or higher)</source>
        <translation>月あたりの節約額を左右する入力（各入力を 20% 増減）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="513"/>
        <source>&lt;span style=&quot;color:{low}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;input 20% lower&amp;nbsp;&amp;nbsp; &lt;span style=&quot;color:{high}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;input 20% higher</source>
        <translation>&lt;span style=&quot;color:{low}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;入力 20% 減&amp;nbsp;&amp;nbsp; &lt;span style=&quot;color:{high}; font-weight:bold&quot;&gt;■&lt;/span&gt;&amp;nbsp;入力 20% 増</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="517"/>
        <source>Report for management</source>
        <translation>経営層向けレポート</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="520"/>
        <source>One PDF and one HTML file with the run, the share of correct answers before and after (with the table of right and model answers), these figures and charts, and what stayed on this PC. They are written in the language of the window.</source>
        <translation>実行の内容、調整前後の正解率（正解と予測の対応表付き）、この画面の数値とグラフ、この PC の外に出なかったものをまとめた PDF と HTML を 1 つずつ作ります。画面と同じ言語で書き出します。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="525"/>
        <source>Save &amp;report (PDF + HTML)…</source>
        <translation>レポートを保存（PDF＋HTML）(&amp;R)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="526"/>
        <source>&amp;Open the report</source>
        <translation>レポートを開く(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="527"/>
        <source>Use an &amp;earlier run…</source>
        <translation>以前の実行を使う(&amp;E)…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="534"/>
        <source>{n} yen</source>
        <translation>{n} 円</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="565"/>
        <source>No run yet: tune in step 4, or press Run the demo in step 1, or use an earlier run.</source>
        <translation>まだ実行結果がありません。手順 4 で調整するか、手順 1 で「デモを実行」を押すか、以前の実行を使ってください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="571"/>
        <location filename="../../app/gui/pages/roi_page.py" line="599"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="577"/>
        <source>measured</source>
        <translation>実測</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="579"/>
        <source>estimated</source>
        <translation>推定</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="583"/>
        <source>Electricity of this run: {wh} Wh — {assumption}</source>
        <translation>この実行の電力量: {wh} Wh — {assumption}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="594"/>
        <source>Saved</source>
        <translation>保存しました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="603"/>
        <source>Writing the report (asking both models about the final-test rows)…</source>
        <translation>レポートを作成中（最終テスト用のデータを両方のモデルに答えさせています）…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="621"/>
        <source>from this run</source>
        <translation>この実行の結果</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="622"/>
        <source>Measured in the run; change it to see what if.</source>
        <translation>実行で測った値です。変えると「もし〜なら」を試せます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="624"/>
        <source>example</source>
        <translation>例</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="625"/>
        <source>An example figure, not your site&apos;s: replace it with your own.</source>
        <translation>自社の数値ではなく例です。自社の数値に置き換えてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="633"/>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="636"/>
        <source>⚠ Calculated with example figures: {fields} are examples, not your site&apos;s. Enter your own figures below before you rely on these amounts.</source>
        <translation>⚠ 例の値で計算中: {fields}は例の値で、現場の数値ではありません。この金額を使う前に、下の欄に自社の数値を入力してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="658"/>
        <source>no payback</source>
        <translation>回収できません</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="659"/>
        <source>The monthly savings do not exceed the costs.</source>
        <translation>月々の節約額が費用を上回りません。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="661"/>
        <source>{n} months</source>
        <translation>{n} か月</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="668"/>
        <source>{low} to {high}</source>
        <translation>{low}〜{high}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/roi_page.py" line="687"/>
        <source>change in net savings per month (yen)</source>
        <translation>月あたりの純節約額の変化（円）</translation>
    </message>
</context>
<context>
    <name>StatusLine</name>
    <message>
        <location filename="../../app/gui/pages/page.py" line="111"/>
        <source>&amp;Copy details</source>
        <translation>詳細をコピー(&amp;C)</translation>
    </message>
</context>
<context>
    <name>TryItBox</name>
    <message>
        <location filename="../../app/gui/try_it.py" line="138"/>
        <source>Try it:</source>
        <translation>試してみる:</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="139"/>
        <source>Type a text as it would appear in your data…</source>
        <translation>データにありそうな文章を入力してください…</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="140"/>
        <source>&amp;Ask</source>
        <translation>聞いてみる(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="145"/>
        <source>high</source>
        <translation>高い</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="147"/>
        <source>medium</source>
        <translation>中くらい</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="148"/>
        <source>low</source>
        <translation>低い</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="154"/>
        <source>Answer: {label}. Certainty: {certainty} ({percent}%).</source>
        <translation>答え: {label}。確かさ: {certainty}（{percent}%）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="160"/>
        <source>From the tuned model this run wrote.</source>
        <translation>この実行で書き出した調整済みモデルの答えです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="162"/>
        <source>From the best result so far (fitted to your examples before the first round).</source>
        <translation>ここまでで一番よい結果（最初の回の前に学習データに合わせたもの）の答えです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="164"/>
        <source>From the best result so far (round {step}).</source>
        <translation>ここまでで一番よい結果（{step} 回目）の答えです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="166"/>
        <source>Not tuned yet: this is how the model answered before tuning.</source>
        <translation>まだ調整前です。調整する前のモデルの答えです。</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="175"/>
        <source>Asking the best model so far…</source>
        <translation>ここまでで一番よいモデルに聞いています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="177"/>
        <source>Asking the tuned model…</source>
        <translation>調整済みモデルに聞いています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/try_it.py" line="184"/>
        <source>Type a text or pick one of your examples, then press Ask.</source>
        <translation>文章を入力するか、データの文章を選んで「聞いてみる」を押してください。</translation>
    </message>
</context>
<context>
    <name>TunePage</name>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="229"/>
        <source>Choose a model first (step 1).</source>
        <translation>先にモデルを選んでください（手順 1）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="231"/>
        <source>The chosen model cannot be tuned on this PC; see step 1.</source>
        <translation>選んだモデルはこの PC では調整できません。手順 1 をご覧ください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="620"/>
        <source>Problem</source>
        <translation>問題あり</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="482"/>
        <source>Tune</source>
        <translation>調整</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="233"/>
        <source>Choose your training data first (step 2).</source>
        <translation>先に学習データを選んでください（手順 2）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="235"/>
        <source>Fix the answer words in step 2 first.</source>
        <translation>先に手順 2 で、答える言葉を直してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="237"/>
        <source>Set the tuning time first (step 3).</source>
        <translation>先に調整時間を決めてください（手順 3）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="363"/>
        <source>The model is getting ready: you can ask once the first check of accuracy is done.</source>
        <translation>モデルを準備中です。最初の正解率の確認が終わると聞けるようになります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="368"/>
        <source>This run wrote no tuned model, so there is nothing to ask.</source>
        <translation>この実行では調整済みモデルが書き出されなかったため、聞くことができません。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="370"/>
        <source>No model to ask yet: start tuning, and ask once the first check of accuracy is done.</source>
        <translation>まだ聞けるモデルがありません。調整を開始し、最初の正解率の確認が終わったら聞いてください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="488"/>
        <source>Start the run and watch it learn. The PC may feel slower while it tunes; this window stays usable. Stop keeps the best result found so far.</source>
        <translation>調整を始めて、上達する様子を見守ります。調整中は PC が遅く感じられることがありますが、このウィンドウは使えます。途中で止めても、それまでで一番良い結果が残ります。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="492"/>
        <source>&amp;Start tuning</source>
        <translation>調整を開始(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="493"/>
        <source>&amp;Pause</source>
        <translation>一時停止(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="494"/>
        <source>Res&amp;ume</source>
        <translation>再開(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="495"/>
        <source>S&amp;top (keep best so far)</source>
        <translation>停止（一番良い結果を残す）(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="496"/>
        <source>&amp;Next: Results</source>
        <translation>次へ: 結果(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="498"/>
        <source>Correct answers: best (at start)</source>
        <translation>正解率: 最高（開始時）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="499"/>
        <source>Time spent</source>
        <translation>経過時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="505"/>
        <source>Accuracy</source>
        <translation>正解率</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="506"/>
        <source>More charts</source>
        <translation>詳しいグラフ</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="507"/>
        <source>time (min:s)</source>
        <translation>経過時間（分:秒）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="509"/>
        <source>Correct answers on the checking rows (they pick the best result)</source>
        <translation>確認用データでの正解率（一番良い結果を選ぶのに使います）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="515"/>
        <source>first model, from the words alone</source>
        <translation>言葉だけで作った最初のモデル</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="516"/>
        <source>simple keyword model (the bar to beat)</source>
        <translation>簡単なキーワード方式（超えたい目標）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="518"/>
        <source>Error while learning (lower is better)</source>
        <translation>学習中の誤差（低いほど良い）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="518"/>
        <source>error</source>
        <translation>誤差</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="520"/>
        <source>each round</source>
        <translation>1 回ごと</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="521"/>
        <source>average</source>
        <translation>平均</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="523"/>
        <source>electricity</source>
        <translation>電力量</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="525"/>
        <location filename="../../app/gui/pages/tune_page.py" line="528"/>
        <source>tuning</source>
        <translation>調整</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="526"/>
        <source>whole PC</source>
        <translation>PC 全体</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="527"/>
        <source>Memory used by tuning</source>
        <translation>調整が使っているメモリー</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="527"/>
        <source>MB</source>
        <translation>MB</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="546"/>
        <source>Not started</source>
        <translation>まだ始めていません</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="547"/>
        <source>Press Start tuning when the steps above are done.</source>
        <translation>手順 1〜3 が済んだら「調整を開始」を押してください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="550"/>
        <source>Did not finish</source>
        <translation>最後まで終わりませんでした</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="550"/>
        <source>See the message above.</source>
        <translation>上のメッセージをご覧ください。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="554"/>
        <source>Stopped early</source>
        <translation>早めに終了しました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="556"/>
        <source>Accuracy had stopped going up, so the run ended early and kept its best result.</source>
        <translation>正解率が上がらなくなったので早めに終え、一番良かった結果を残しました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="559"/>
        <source>Finished</source>
        <translation>完了</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="559"/>
        <source>The best result is kept. See the results (step 5).</source>
        <translation>一番良かった結果が残っています。結果をご覧ください（手順 5）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="561"/>
        <source>Paused</source>
        <translation>一時停止中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="561"/>
        <source>Press Resume to continue.</source>
        <translation>「再開」を押すと続きます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="563"/>
        <source>Stopping</source>
        <translation>停止中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="563"/>
        <source>Keeping the best result so far.</source>
        <translation>それまでで一番良い結果を残しています。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="567"/>
        <source>A first model is ready</source>
        <translation>最初のモデルができました</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="569"/>
        <source>From the words in your examples alone, it answers {acc}% of the checking rows right. The language model is reading your examples now; its answers come next.</source>
        <translation>例文の言葉だけで、確認用データの {acc}% に正しく答えています。いま言語モデルが例文を読み込んでいます。その答えはこのあと出ます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="576"/>
        <source>Getting ready</source>
        <translation>準備中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="577"/>
        <source>The first check of accuracy comes after a few rounds.</source>
        <translation>数回調整したあとで、最初の正解率が出ます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="584"/>
        <source>Stops early if nothing improves for another {left}.</source>
        <translation>あと {left} のあいだ良くならなければ、早めに終えます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="586"/>
        <source>Early stop is off: it runs for the whole time.</source>
        <translation>早めに終える設定はオフです。最後まで調整します。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="591"/>
        <source>Levelling off: safe to stop</source>
        <translation>頭打ち：止めても大丈夫</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="592"/>
        <source>No better result for {since}. {stop}</source>
        <translation>{since} のあいだ良くなっていません。{stop}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="597"/>
        <source>Improving steadily</source>
        <translation>順調に上達中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="598"/>
        <source>Up from {start}% to {best}%. {stop}</source>
        <translation>{start}% から {best}% に上がりました。{stop}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="606"/>
        <source>Learning, no gain yet</source>
        <translation>学習中（まだ伸びていません）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="607"/>
        <source>Gains often come after a few minutes. {stop}</source>
        <translation>伸び始めるまで数分かかることがよくあります。{stop}</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="629"/>
        <source>{model} learns from {n} rows of your data ({labels}); tuning time: {budget}.</source>
        <translation>{model} が学習データ {n} 件（{labels}）から学習します。調整時間: {budget}。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="647"/>
        <source>Paused after {step} rounds. Press Resume to continue.</source>
        <translation>{step} 回の調整のあとで一時停止中です。「再開」を押すと続きます。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="658"/>
        <source>Tuning. The bar shows how much of the tuning time is used.</source>
        <translation>調整中です。バーは調整時間のうち使った割合です。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="686"/>
        <source>{best}%</source>
        <translation>{best}%</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="699"/>
        <source>{wh} Wh, {yen} (measured)</source>
        <translation>{wh} Wh、{yen}（実測）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="701"/>
        <source>{wh} Wh, {yen} (estimated)</source>
        <translation>{wh} Wh、{yen}（推定）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="500"/>
        <source>Time left</source>
        <translation>残り時間</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="501"/>
        <source>Electricity so far</source>
        <translation>これまでの電力量（電気代）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="510"/>
        <source>% correct</source>
        <translation>正解率 %</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="513"/>
        <source>while tuning</source>
        <translation>調整中</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="514"/>
        <source>before tuning</source>
        <translation>調整前</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="522"/>
        <source>Electricity used</source>
        <translation>使った電力量</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="522"/>
        <source>Wh</source>
        <translation>Wh</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="524"/>
        <source>Processor load (whole PC = 100%)</source>
        <translation>CPU の使用率（PC 全体 = 100%）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="524"/>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="640"/>
        <source>Ready.</source>
        <translation>準備ができました。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="642"/>
        <source>The run did not finish.</source>
        <translation>調整は最後まで終わりませんでした。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="644"/>
        <source>Finished: see the results (step 5).</source>
        <translation>終了しました。結果をご覧ください（手順 5）。</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="649"/>
        <source>Stopping: checking the best result and writing the model…</source>
        <translation>停止中: 一番良い結果を確かめて、モデルを書き出しています…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="652"/>
        <source>Preparing: {message}…</source>
        <translation>準備中: {message}…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="655"/>
        <source>Preparing…</source>
        <translation>準備中…</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="678"/>
        <source>{left} (at {time})</source>
        <translation>{left}（{time} ごろ）</translation>
    </message>
    <message>
        <location filename="../../app/gui/pages/tune_page.py" line="689"/>
        <source>{best}% ({start}%)</source>
        <translation>{best}%（{start}%）</translation>
    </message>
</context>
</TS>
