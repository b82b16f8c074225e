"""The Train window: set up a run from a preset, start/pause/stop/resume it as a child process, watch it live.

The run is ``python -m training.run ... --control stdin`` (a :class:`app.train_process.TrainProcess`);
everything shown comes from its JSON-lines events, so the window can close and reopen (``Resume``
reloads the curve from the run's ``events.jsonl``) without touching the run's files. ``Pause`` holds
the process between two steps after a checkpoint and ``Continue`` goes on from there; ``Resume``
starts a new process from the last checkpoint of a stopped run.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.qt_none_guard import guard_none_refcount
from app.train_process import TrainProcess
from training.presets import PRESETS, Preset
from training.trainers import get_trainer

log = logging.getLogger(__name__)

DATA_CHOICES = ("demo:emoji", "fmnist:train")
CHECKPOINT_METRICS_N = 2000
CURVE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
INT_FIELDS = (
    ("resolution", "Resolution", 4, 1024),
    ("batch", "Batch", 1, 4096),
    ("max_steps", "Steps", 1, 10_000_000),
    ("checkpoint_every", "Checkpoint every", 0, 10_000_000),
    ("sample_every", "Sample every", 0, 10_000_000),
    ("log_every", "Log every", 1, 100_000),
    ("seed", "Seed", 0, 2**31 - 1),
)


PAUSE_TIP = "save a checkpoint, then hold the run between two steps (the process stays; Continue goes on)"
CONTINUE_TIP = "go on training from the step the run paused at"


def trainable_presets() -> list[Preset]:
    """Presets whose trainer makes a model the explorer opens (not the metrics' feature network)."""
    return [p for p in PRESETS.values() if get_trainer(p.family).makes == "model"]


def _format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainWindow(QWidget):
    """Set up, run and watch one training run; ``open_model_requested(path)`` asks the explorer to load it.

    Closing the window only hides it (the run goes on); :meth:`shutdown` stops a run with a checkpoint."""

    open_model_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        guard_none_refcount()
        self.setWindowTitle("LatentLab — Train")
        self.process = TrainProcess(self)
        self.process.event.connect(self.on_event)
        self.process.finished.connect(self._on_finished)
        self.events: list[dict[str, Any]] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.points: dict[str, tuple[list[float], list[float]]] = {}
        self.model_path: str | None = None
        self.sample_path: str | None = None
        self.data_info: dict[str, Any] | None = None
        self.last_error: QMessageBox | None = None
        self._pending: list[str] | None = None  # training arguments waiting for the data check
        self._mode = "idle"  # idle | checking | training
        self._pause = "running"  # running | pausing | paused | continuing (while training)
        self._hparam_edits: dict[str, QLineEdit] = {}

        root = QHBoxLayout(self)
        root.addWidget(self._build_setup(), 0)
        root.addWidget(self._build_live(), 1)
        self.preset_box.setCurrentIndex(max(0, self.preset_box.findData("tiny-dcgan")))
        self._apply_preset()
        self._update_buttons()
        self.resize(1100, 640)

    # --- construction -------------------------------------------------------------------------------
    def _build_setup(self) -> QWidget:
        box = QWidget(self)
        col = QVBoxLayout(box)
        run = QGroupBox("Run", box)
        form = QFormLayout(run)
        self.preset_box = QComboBox(run)
        for p in trainable_presets():
            self.preset_box.addItem(f"{p.name} ({p.family})", p.name)
        self.preset_box.currentIndexChanged.connect(self._apply_preset)
        form.addRow("Preset", self.preset_box)
        self.description = QLabel(run)
        self.description.setWordWrap(True)
        self.description.setMaximumWidth(340)
        form.addRow("", self.description)

        self.data_box = QComboBox(run)
        self.data_box.setEditable(True)
        self.data_box.addItems(DATA_CHOICES)
        self.data_box.setToolTip(
            "a folder of images (sub-folders = classes), a .zip of one, an .npz, demo:emoji or fmnist:train"
        )
        self.data_box.currentTextChanged.connect(self._data_changed)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_box, 1)
        browse_data = QPushButton("Folder…", run)
        browse_data.clicked.connect(self._browse_data)
        data_row.addWidget(browse_data)
        browse_file = QPushButton("File…", run)
        browse_file.setToolTip("a .zip of an image folder (any layout) or an .npz")
        browse_file.clicked.connect(self._browse_data_file)
        data_row.addWidget(browse_file)
        form.addRow("Data", data_row)
        self.data_label = QLabel("not checked", run)
        self.data_label.setWordWrap(True)
        self.data_label.setMaximumWidth(340)
        form.addRow("", self.data_label)

        self.out_edit = QLineEdit(run)
        self.out_edit.textChanged.connect(lambda _: self._update_buttons())
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        browse_out = QPushButton("Folder…", run)
        browse_out.clicked.connect(self._browse_out)
        out_row.addWidget(browse_out)
        form.addRow("Output", out_row)
        col.addWidget(run)

        hp = QGroupBox("Hyper-parameters", box)
        self.hp_form = QFormLayout(hp)
        self.int_edits: dict[str, QSpinBox] = {}
        for key, label, lo, hi in INT_FIELDS:
            spin = QSpinBox(hp)
            spin.setRange(lo, hi)
            self.int_edits[key] = spin
            self.hp_form.addRow(label, spin)
        self.channels_box = QComboBox(hp)
        self.channels_box.addItem("RGB (3)", 3)
        self.channels_box.addItem("grey (1)", 1)
        self.hp_form.addRow("Channels", self.channels_box)
        self.xflip_check = QCheckBox("random horizontal flips", hp)
        self.hp_form.addRow("Augment", self.xflip_check)
        self._fixed_rows = self.hp_form.rowCount()
        col.addWidget(hp)

        buttons = QHBoxLayout()
        self.check_button = QPushButton("Check data", box)
        self.check_button.clicked.connect(self.check_data)
        self.start_button = QPushButton("Start", box)
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause", box)
        self.pause_button.setToolTip(PAUSE_TIP)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton("Stop", box)
        self.stop_button.setToolTip("save a checkpoint and stop (resume later)")
        self.stop_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume", box)
        self.resume_button.setToolTip("continue the run in the output folder from its last checkpoint")
        self.resume_button.clicked.connect(self.resume)
        for b in (self.check_button, self.start_button, self.pause_button, self.stop_button, self.resume_button):
            buttons.addWidget(b)
        col.addLayout(buttons)
        col.addStretch(1)
        return box

    def _build_live(self) -> QWidget:
        box = QWidget(self)
        col = QVBoxLayout(box)
        self.plot = pg.PlotWidget(box, background="w")
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        col.addWidget(self.plot, 3)

        stats = QHBoxLayout()
        self.status_label = QLabel("idle", box)
        self.speed_label = QLabel("– images/s", box)
        self.eta_label = QLabel("ETA –", box)
        self.metrics_label = QLabel("", box)
        self.metrics_label.setToolTip(
            "FID/KID against Fashion-MNIST's test images at each checkpoint (classifier features)"
        )
        for w in (self.status_label, self.speed_label, self.eta_label, self.metrics_label):
            stats.addWidget(w)
        stats.addStretch(1)
        col.addLayout(stats)
        self.progress = QProgressBar(box)
        self.progress.setFormat("step %v / %m")
        col.addWidget(self.progress)

        bottom = QHBoxLayout()
        self.sample_label = QLabel("no samples yet", box)
        self.sample_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sample_label.setMinimumSize(256, 256)
        self.sample_label.setStyleSheet("QLabel { background: #202020; color: #bbbbbb; }")
        bottom.addWidget(self.sample_label, 1)
        side = QVBoxLayout()
        self.sample_caption = QLabel("", box)
        side.addWidget(self.sample_caption)
        self.open_button = QPushButton("Open in explorer", box)
        self.open_button.setToolTip("load the run's latest exported model in the explorer (works while it trains)")
        self.open_button.clicked.connect(self.open_in_explorer)
        side.addWidget(self.open_button)
        side.addStretch(1)
        bottom.addLayout(side)
        col.addLayout(bottom, 2)
        return box

    # --- the form --------------------------------------------------------------------------------------
    @property
    def preset(self) -> Preset:
        return PRESETS[self.preset_box.currentData()]

    def _apply_preset(self) -> None:
        p = self.preset
        self.description.setText(p.description)
        self.data_box.setCurrentText(p.data)
        values = {
            "resolution": p.resolution,
            "batch": p.batch,
            "max_steps": p.max_steps,
            "checkpoint_every": p.checkpoint_every,
            "sample_every": p.sample_every,
            "log_every": 10,
            "seed": p.seed,
        }
        for k, v in values.items():
            self.int_edits[k].setValue(v)
        self.channels_box.setCurrentIndex(self.channels_box.findData(p.channels))
        self.xflip_check.setChecked(p.xflip)
        while self.hp_form.rowCount() > self._fixed_rows:
            self.hp_form.removeRow(self._fixed_rows)
        self._hparam_edits = {}
        for k, v in p.hparams.items():
            edit = QLineEdit(json.dumps(v), self)
            edit.setToolTip("a JSON value")
            self._hparam_edits[k] = edit
            self.hp_form.addRow(k, edit)
        self.extra_edit = QLineEdit(self)
        self.extra_edit.setPlaceholderText('more, as JSON: {"lr": 0.001}')
        self.hp_form.addRow("More", self.extra_edit)
        if not self.out_edit.text() or Path(self.out_edit.text()).name.startswith(tuple(PRESETS)):
            self.out_edit.setText(str(Path("runs") / p.name))
        self.data_info = None
        self.data_label.setText("not checked")

    def _data_changed(self, _text: str) -> None:
        self.data_info = None
        self.data_label.setText("not checked")

    def _browse_data(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Training images", str(Path.home()))
        if path:
            self.data_box.setCurrentText(path)

    def _browse_data_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Training data", str(Path.home()), "Archives and arrays (*.zip *.npz);;All files (*)"
        )
        if path:
            self.data_box.setCurrentText(path)

    def _browse_out(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Run folder", str(Path.cwd()))
        if path:
            self.out_edit.setText(path)

    def hparams(self) -> dict[str, Any]:
        """The hyper-parameter fields as a dict (raises ValueError with the field's name on bad JSON)."""
        out: dict[str, Any] = {}
        for k, edit in self._hparam_edits.items():
            try:
                out[k] = json.loads(edit.text())
            except json.JSONDecodeError as e:
                raise ValueError(f"hyper-parameter '{k}': {edit.text()!r} is not a JSON value") from e
        text = self.extra_edit.text().strip()
        if text:
            try:
                extra = json.loads(text)
            except json.JSONDecodeError as e:
                raise ValueError(f"'More' is not JSON: {e}") from e
            if not isinstance(extra, dict):
                raise ValueError("'More' must be a JSON object, e.g. {\"lr\": 0.001}")
            out.update(extra)
        return out

    def run_args(self) -> list[str]:
        """``latentlab train`` arguments for a new run from the form."""
        data = self.data_box.currentText().strip()
        out = self.out_edit.text().strip()
        if not data:
            raise ValueError("choose the training data (a folder, a .zip, an .npz, demo:emoji or fmnist:train)")
        if not out:
            raise ValueError("choose an output folder for the run")
        args = ["--preset", self.preset.name, "--data", data, "--out", out]
        for key, spin in self.int_edits.items():
            args += ["--" + key.replace("_", "-"), str(spin.value())]
        args += ["--channels", str(self.channels_box.currentData())]
        args.append("--xflip" if self.xflip_check.isChecked() else "--no-xflip")
        args += ["--hparams", json.dumps(self.hparams())]
        measurable = data.startswith("fmnist:train") or data == "demo:emoji"
        if measurable and get_trainer(self.preset.family).checkpoint_metrics:
            args += ["--metrics-n", str(CHECKPOINT_METRICS_N)]  # FID/KID at each checkpoint
        return args

    # --- actions -------------------------------------------------------------------------------------------
    def show_error(self, title: str, text: str) -> QMessageBox:
        log.warning("%s: %s", title, text.replace("\n", " "))
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.open()
        self.last_error = box
        return box

    def _args_or_error(self) -> list[str] | None:
        try:
            return self.run_args()
        except ValueError as e:
            self.show_error("Cannot start training", str(e))
            return None

    def check_data(self) -> None:
        """Open the data in a child process (as training would) and show count and skipped files."""
        args = self._args_or_error()
        if args is not None:
            self._launch("checking", [*args, "--check-data"])

    def start(self) -> None:
        """Check the data, then start a new run (an existing run folder is resumed only by Resume)."""
        args = self._args_or_error()
        if args is None:
            return
        out = Path(self.out_edit.text().strip())
        if (out / "run.json").exists():
            self.show_error(
                "Run folder in use",
                f"{out} already holds a run; press Resume to continue it, or choose another folder.",
            )
            return
        self._reset_live()
        self._pending = args
        self._launch("checking", [*args, "--check-data"])

    def resume(self) -> None:
        """Continue the run in the output folder (``--resume``), reloading its curve so far."""
        out = Path(self.out_edit.text().strip())
        if not (out / "run.json").exists():
            self.show_error("Nothing to resume", f"{out} holds no run (run.json is missing).")
            return
        self._reset_live()
        self._load_history(out)
        args = ["--resume", str(out), "--max-steps", str(self.int_edits["max_steps"].value())]
        self._launch("training", args)

    def toggle_pause(self) -> None:
        """Pause (checkpoint, then hold between steps) or continue the running process."""
        if self._mode != "training" or not self.process.running:
            return
        if self._pause == "running":
            self.process.send("checkpoint")  # the paused state is on disk and in "Open in explorer"
            self.process.send("pause")
            self._pause = "pausing"
            self.status_label.setText("pausing (saving a checkpoint)…")
        elif self._pause == "paused":
            self.process.send("continue")
            self._pause = "continuing"
        self._update_buttons()

    def stop(self) -> None:
        """The trainer writes a checkpoint and stops (paused or not); Resume continues from it."""
        self._pending = None
        if self.process.running:
            self.status_label.setText("stopping (saving a checkpoint)…")
            self.process.stop()

    def open_in_explorer(self) -> None:
        if self.model_path and Path(self.model_path).exists():
            self.open_model_requested.emit(self.model_path)
        else:
            self.show_error("No model yet", "The run has not exported a model yet (it does at each checkpoint).")

    def shutdown(self, wait_ms: int = 60_000) -> None:
        """Stop a running run with a checkpoint (the window or the app is closing)."""
        if self.process.running:
            self.process.stop()
            if not self.process.wait(wait_ms):
                self.process.kill()

    def _launch(self, mode: str, args: list[str]) -> None:
        self._mode = mode
        self._pause = "running"
        self.status_label.setText("checking the data…" if mode == "checking" else "starting…")
        self.process.start(args, control=mode == "training")
        self._update_buttons()

    # --- events ----------------------------------------------------------------------------------------------
    def on_event(self, ev: dict[str, Any]) -> None:
        """Show one event of the running process."""
        self.events.append(ev)
        kind = ev.get("event")
        if kind == "data":
            self.data_info = ev
            text = f"{ev['images']} images at {ev['resolution']}px"
            if ev.get("classes"):
                text += f", {len(ev['classes'])} classes"
            if ev.get("skipped"):
                names = ", ".join(ev.get("skipped_files", [])[:5])
                text += f"; skipped {ev['skipped']} unreadable file(s): {names}"
            self.data_label.setText(text)
        elif kind == "start":
            self.status_label.setText(f"training on {ev.get('device')} ({ev.get('images')} images)")
            self.progress.setRange(0, int(ev.get("max_steps") or 0))
            self.progress.setValue(int(ev.get("step") or 0))
        elif kind == "resumed":
            self.status_label.setText(f"resumed at step {ev.get('step')}")
        elif kind == "paused":
            self._pause = "paused"
            self.progress.setValue(int(ev.get("step") or self.progress.value()))
            self.status_label.setText(f"paused at step {ev.get('step')}")
            self.eta_label.setText("ETA – (paused)")
            self._update_buttons()
        elif kind == "continued":
            self._pause = "running"
            self.status_label.setText(f"training (continued at step {ev.get('step')})")
            self._update_buttons()
        elif kind == "step":
            self._add_losses(int(ev["step"]), ev.get("losses") or {})
            self.progress.setValue(int(ev["step"]))
            self.speed_label.setText(f"{ev.get('images_per_s', 0):.1f} images/s")
            self.eta_label.setText(f"ETA {_format_eta(ev.get('eta_s'))}")
        elif kind == "sample":
            self.show_sample(str(ev["path"]), int(ev["step"]))
        elif kind == "checkpoint":
            self.model_path = ev.get("model")
            self._update_buttons()
        elif kind == "metrics":
            fid = f"FID {ev['fid']:.1f} · " if ev.get("fid") is not None else ""  # None: too few images
            self.metrics_label.setText(f"{fid}KID {ev['kid_mean']:.2f} (step {ev['step']}, {ev['n']} images)")
        elif kind == "done":
            self.model_path = ev.get("model") or self.model_path
            self.progress.setValue(int(ev["step"]))
            self.status_label.setText(f"{'stopped' if ev.get('stopped') else 'done'} at step {ev['step']}")
        elif kind == "error":
            self.status_label.setText("error")
            self.show_error("Training error", str(ev.get("message")))

    def _on_finished(self, code: int, stderr_tail: str) -> None:
        mode, self._mode = self._mode, "idle"
        self._pause = "running"
        pending, self._pending = self._pending, None
        errored = any(e.get("event") == "error" for e in self.events[-3:])
        if code != 0 and not errored:
            self.show_error("Training process failed", stderr_tail or f"exit code {code}")
            self.status_label.setText(f"failed (exit code {code})")
        if mode == "checking" and code == 0 and pending is not None:
            self._launch("training", pending)
        elif mode == "checking" and code == 0:
            self.status_label.setText("data checked")
        self._update_buttons()

    def _add_losses(self, step: int, losses: dict[str, Any]) -> None:
        for k, v in losses.items():
            if v is None:
                continue
            if k not in self.curves:
                colour = CURVE_COLOURS[len(self.curves) % len(CURVE_COLOURS)]
                self.curves[k] = self.plot.plot([], [], name=k, pen=pg.mkPen(colour, width=2))
                self.points[k] = ([], [])
            xs, ys = self.points[k]
            xs.append(step)
            ys.append(float(v))
            self.curves[k].setData(xs, ys)

    def show_sample(self, path: str, step: int) -> None:
        pix = QPixmap(path)
        if pix.isNull():
            return
        self.sample_path = path
        size = self.sample_label.size()
        scale = max(1, min(size.width() // max(1, pix.width()), size.height() // max(1, pix.height())))
        self.sample_label.setPixmap(pix.scaled(pix.width() * scale, pix.height() * scale))
        self.sample_caption.setText(f"samples at step {step}")

    def _reset_live(self) -> None:
        self.events.clear()
        self.plot.clear()
        self.legend.clear()
        self.curves.clear()
        self.points.clear()
        self.model_path = None
        self.progress.reset()

    def _load_history(self, run_dir: Path) -> None:
        """Curves, the last sample and the model from a run's ``events.jsonl`` (for Resume)."""
        path = run_dir / "events.jsonl"
        if not path.exists():
            return
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
            if ev.get("event") == "step":
                self._add_losses(int(ev["step"]), ev.get("losses") or {})
            elif ev.get("event") == "sample" and Path(ev["path"]).exists():
                self.show_sample(ev["path"], int(ev["step"]))
        if (run_dir / "model.safetensors").exists():
            self.model_path = str(run_dir / "model.safetensors")

    def _update_buttons(self) -> None:
        busy = self.process.running
        out = self.out_edit.text().strip()
        for w in (self.check_button, self.start_button, self.preset_box, self.data_box):
            w.setEnabled(not busy)
        self.resume_button.setEnabled(not busy and bool(out) and (Path(out) / "run.json").exists())
        training = busy and self._mode == "training"
        self.stop_button.setEnabled(training)
        paused = self._pause in ("paused", "continuing")
        self.pause_button.setText("Continue" if paused else "Pause")
        self.pause_button.setToolTip(CONTINUE_TIP if paused else PAUSE_TIP)
        self.pause_button.setEnabled(training and self._pause in ("running", "paused"))
        self.open_button.setEnabled(self.model_path is not None)
