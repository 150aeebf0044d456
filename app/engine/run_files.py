"""The layout of a run folder, in one place: every module that reads or writes a run's files names them here.

<run>/checkpoint.npz      the tuner's state (adapters, optimiser, the step log, the head), written atomically
<run>/steps.jsonl         the (seed, projected gradient) records, one per step: the run replays from them
<run>/adapters.npz        the tuned adapters alone, for loading beside the original model
<run>/report.json         what the run measured (accuracy on each split, times, energy, the keyword model)
<run>/model/              the exported model: model.onnx (+ model.onnx.data), the tokenizer, genba_task.json
<run>/.genba.lock         held while a run uses the folder (run_lock.RunLock)
"""

CHECKPOINT = "checkpoint.npz"
LOCK_FILE = ".genba.lock"
STEPS_FILE = "steps.jsonl"
ADAPTER_FILE = "adapters.npz"
REPORT_FILE = "report.json"
EXPORT_DIR = "model"
TASK_FILE = (
    "genba_task.json"  # inside EXPORT_DIR: template, labels, label words, max_tokens, the head's output
)
ONNX_DATA_FILE = "model.onnx.data"  # where onnx_surgery.save_model puts external weights
CLASS_LOGITS = "class_logits"  # the exported model's class scores when the run fitted a head
TEXT_IDS = (
    "text_ids"  # its optional input: whole prompts for a head whose words read them (``ClassHead.text_ids``)
)
