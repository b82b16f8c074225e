"""The Translate panel (image-to-image and multi-domain models): drop, paste or open images, choose a
direction (named with the model's domains: "edges → colour") or target domain(s) (one at a time
where the model's domains are exclusive, any combination where they are attributes), see input and
output side by side, save outputs, translate a folder. An input unlike the model's sample training
inputs gets a warning and the samples are shown (click one to translate it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.drops import reporting_drop_errors
from app.image_reader import ImageReader
from app.panels.base import ParamPanel
from app.widgets import Tile, compact_combo, section, thumbnail_pair
from engine import zoo
from engine.api import JobHandle, JobProgress, JobResult
from engine.families.base import Capabilities
from engine.input_check import InputProfile, profile_of

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp *.gif *.tif *.tiff);;All files (*)"
VIEW = 128  # the canvas shows the pair large; the panel only needs to say which is which
SAMPLE = 68  # 64 px samples at their own size (line drawings do not survive shrinking)
SAMPLE_COLUMNS = 4
READ_SIDE = 1024
"""Shorter side images are read at (at least) before a model is open; with a model, its input size."""
FITS = {
    "native": ("Own size", "Run at the image's own size, rounded to the network's stride (fully convolutional models)"),
    "crop": ("Crop to square", "Cut the longer side to a square: keeps the middle"),
    "pad": ("Pad to square", "Add white bars to the shorter side: keeps everything"),
}
"""How an input meets the model: the combo's short label (it fits the column) and the item's tooltip."""


@dataclass(eq=False)
class Item:
    """One input: its name, the image (original size), its last translation (the input as the model
    saw it, the output, the choice they were made with) and whether it looked unlike the model's
    training inputs."""

    name: str
    image: Image.Image
    fitted: np.ndarray | None = None
    output: np.ndarray | None = None
    note: str = ""  # what was done to the image (InputPlan.describe)
    choice: tuple[object, ...] | None = None
    unlike: bool = False


@dataclass
class _ReadBatch:
    """Images of one drop or Open… being read: the items read so far (in the given order), the
    reasons of the bad ones, and how many are still being read."""

    items: list[Item | None]
    bad: list[str] = field(default_factory=list)
    left: int = 0

    def __post_init__(self) -> None:
        self.left = len(self.items)


def qimage_to_pil(img: QImage) -> Image.Image:
    """A clipboard QImage → an RGBA PIL image."""
    img = img.convertToFormat(QImage.Format.Format_RGBA8888)
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
    return Image.fromarray(buf[:, : w * 4].reshape(h, w, 4).copy(), "RGBA")


class TranslatePanel(ParamPanel):
    """Images in, translations out; every translation runs as an engine job of the panel's own on the
    current model (only while that model is a translator: see :meth:`set_capabilities`)."""

    title = "Translate"
    takes_images = True
    pair_shown = Signal(object)
    """The current input and its translation side by side (uint8 HWC), for the main canvas; None when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caps: Capabilities | None = None
        self.items: list[Item] = []
        self.current = -1
        self.start_dir = str(Path.home())
        self._folder_handle: JobHandle | None = None
        self.last_folder_report: tuple[int, list[str]] | None = None
        self.reader = ImageReader(self)
        self.samples: dict[str, list[tuple[Path, np.ndarray]]] = {}
        self.profiles: dict[str, InputProfile] = {}
        self.setAcceptDrops(True)

        outer = QVBoxLayout(self)
        row = QHBoxLayout()
        self.open_button = QPushButton("Open images…")
        self.open_button.setToolTip("Translate one or more image files (or drop them here)")
        self.paste_button = QPushButton("Paste")
        self.paste_button.setToolTip("Translate the image on the clipboard (Ctrl+V)")
        row.addWidget(self.open_button)
        row.addWidget(self.paste_button)
        row.addStretch(1)
        outer.addLayout(row)

        choice = QGridLayout()
        self.direction_label = QLabel("Direction")
        self.direction = compact_combo()
        choice.addWidget(self.direction_label, 0, 0)
        choice.addWidget(self.direction, 0, 1)
        self.domains_label = QLabel("Target domains")
        self.domain_row = QWidget()
        self.domain_layout = QHBoxLayout(self.domain_row)
        self.domain_layout.setContentsMargins(0, 0, 0, 0)
        self.domain_boxes: list[QAbstractButton] = []
        self.domain_group: QButtonGroup | None = None
        choice.addWidget(self.domains_label, 1, 0)
        choice.addWidget(self.domain_row, 1, 1)
        choice.addWidget(QLabel("Fit"), 2, 0)
        self.fit = compact_combo()
        for key, (text, tip) in FITS.items():
            self.fit.addItem(text, key)
            self.fit.setItemData(self.fit.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.fit.setToolTip(
            "How an image meets the model: at its own size (fully convolutional models, rounded to the "
            "network's stride, scaled down when it would need too much memory), or made square and resized"
        )
        choice.addWidget(self.fit, 2, 1)
        outer.addLayout(choice)

        views, self.input_view, self.output_view = thumbnail_pair(
            VIEW, ("Input (as the model sees it)", "Output"), "drop, paste\nor open\nan image"
        )
        outer.addLayout(views)

        row = QHBoxLayout()
        self.shown = compact_combo()
        self.shown.setToolTip("Which of the opened images is shown")
        self.save_button = QPushButton("Save output…")
        self.save_button.setEnabled(False)
        row.addWidget(self.shown, 1)
        row.addWidget(self.save_button)
        outer.addLayout(row)

        row = QHBoxLayout()
        self.folder_button = QPushButton("Translate folder…")
        self.folder_button.setToolTip("Translate every image of a folder into an output folder (inputs are kept)")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        row.addWidget(self.folder_button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        outer.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b26a00;")
        self.warning.hide()
        outer.addWidget(self.warning)
        self.examples = section("Inputs it was trained on")
        self.examples_grid = QGridLayout()
        self.examples_grid.setSpacing(4)
        holder = QWidget()
        holder.setLayout(self.examples_grid)
        self.examples.addWidget(holder)
        self.sample_tiles: list[Tile] = []
        self.examples.hide()
        outer.addWidget(self.examples)
        outer.addStretch(1)

        self.paste_action = QAction("Paste image", self)
        self.paste_action.setShortcut(QKeySequence.StandardKey.Paste)
        self.paste_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.paste_action)
        self.open_button.clicked.connect(self.open_dialog)
        self.paste_button.clicked.connect(self.paste)
        self.paste_action.triggered.connect(self.paste)
        self.save_button.clicked.connect(self.save_dialog)
        self.folder_button.clicked.connect(self.folder_dialog)
        self.cancel_button.clicked.connect(self.cancel_folder)
        self.direction.currentIndexChanged.connect(lambda _: (self._show_samples(), self.retranslate()))
        self.fit.currentIndexChanged.connect(lambda _: self.retranslate())
        self.shown.currentIndexChanged.connect(self._show)

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        return caps.task in ("image-to-image", "multi-domain") and caps.image_input is not None

    def set_capabilities(self, caps: Capabilities) -> None:
        self.caps = caps
        multi = caps.task == "multi-domain"
        ii = caps.image_input
        self.direction.blockSignals(True)
        self.direction.clear()
        for d in ii.directions if ii else ():
            self.direction.addItem(ii.direction_name(d), d)
        self.direction.blockSignals(False)
        self._build_domains(caps.classes if multi else (), bool(ii and ii.exclusive_domains))
        for w in (self.direction_label, self.direction):
            w.setVisible(not multi)
        for w in (self.domains_label, self.domain_row):
            w.setVisible(multi)
        ii = caps.image_input
        native = ii is not None and ii.fully_convolutional
        self.fit.blockSignals(True)
        self.fit.clear()
        for key, (text, tip) in FITS.items():
            if key != "native" or native:
                self.fit.addItem(text, key)
                self.fit.setItemData(self.fit.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.fit.setCurrentIndex(0)  # native when the model allows it, else crop
        self.fit.blockSignals(False)
        if ii is None:
            self.status.setText("")
        elif native:
            self.status.setText(
                f"Fully convolutional: images run at their own size (multiples of {ii.stride} px), "
                f"{ii.channels} channel(s)"
            )
        else:
            self.status.setText(f"Images are fitted to {ii.size}×{ii.size}, {ii.channels} channel(s)")
        self._load_samples(caps)
        for it in self.items:
            it.fitted = it.output = it.choice = None
            it.unlike = False
        self._show_warning()
        self.retranslate()

    def _build_domains(self, names: tuple[str, ...], exclusive: bool) -> None:
        """One radio button per domain when the domains are exclusive (one at a time), else one check
        box per attribute (any combination); the first is chosen."""
        for box in self.domain_boxes:
            self.domain_layout.removeWidget(box)
            box.deleteLater()
        self.domain_boxes = []
        self.domain_group = QButtonGroup(self) if exclusive else None
        self.domains_label.setText("Target domain" if exclusive else "Target attributes")
        self.domain_row.setToolTip(
            "The domain to translate into (the model's domains are exclusive: one at a time)"
            if exclusive
            else "The attributes the output should have (they combine)"
        )
        for i, name in enumerate(names):
            box: QAbstractButton = QRadioButton(name) if exclusive else QCheckBox(name)
            if self.domain_group is not None:
                self.domain_group.addButton(box, i)
            box.setChecked(i == 0)
            box.toggled.connect(lambda on, b=box: (on or not isinstance(b, QRadioButton)) and self.retranslate())
            self.domain_layout.addWidget(box)
            self.domain_boxes.append(box)

    def _load_samples(self, caps: Capabilities) -> None:
        """The model's sample training inputs (bundled translators ship some), as the model sees them,
        and their profile per input side."""
        from engine.images import fit_image, read_image

        self.samples, self.profiles = {}, {}
        path = self.session.model.meta.get("path") if self.session is not None and self.session.model else None
        ii = caps.image_input
        if path and ii is not None:
            for side, files in zoo.sample_inputs(str(path)).items():
                try:
                    fitted = [(f, fit_image(read_image(f), ii.size, ii.channels)) for f in files]
                except ValueError:
                    continue  # a damaged sample: no profile for this side
                self.samples[side] = fitted
                self.profiles[side] = profile_of([a for _, a in fitted])
        self._show_samples()

    def input_side(self) -> str:
        """Which of the model's domains the input is in: "B" for B → A, else "A"."""
        direction, _ = self.choice()
        return "B" if direction == "BtoA" else "A"

    def _show_samples(self) -> None:
        for tile in self.sample_tiles:
            self.examples_grid.removeWidget(tile)
            tile.deleteLater()
        self.sample_tiles = []
        samples = self.samples.get(self.input_side(), [])
        for i, (path, image) in enumerate(samples):
            tile = Tile(SAMPLE)
            tile.set_frame(image)
            tile.setToolTip(f"{path.name}: click to translate it")
            tile.clicked.connect(lambda p=path: self.take_images([str(p)]))
            self.examples_grid.addWidget(tile, i // SAMPLE_COLUMNS, i % SAMPLE_COLUMNS)
            self.sample_tiles.append(tile)
        self.examples.setVisible(bool(samples))

    def _current_caps(self) -> Capabilities | None:
        """The current model's capabilities when it is a translator this panel was built for."""
        caps = self.session.caps if self.session is not None else None
        return caps if caps is not None and caps == self.caps and self.applies_to(caps) else None

    # --- the current choice --------------------------------------------------------------------------
    def choice(self) -> tuple[str | None, np.ndarray | None]:
        """(direction, None) for image-to-image models, (None, target) for multi-domain ones: one-hot
        where the domains are exclusive, multi-hot where they are attributes."""
        if self.caps is not None and self.caps.task == "multi-domain":
            return None, np.array([1.0 if b.isChecked() else 0.0 for b in self.domain_boxes], np.float32)
        return self.direction.currentData(), None

    def _choice_key(self) -> tuple[object, ...]:
        direction, target = self.choice()
        return (direction, None if target is None else tuple(target.tolist()), self.fit_mode())

    def fit_mode(self) -> str:
        return str(self.fit.currentData())

    # --- inputs ---------------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Translate images", self.start_dir, IMAGE_FILTER)
        if paths:
            self.start_dir = str(Path(paths[0]).parent)
            self.take_images(paths)

    def take_image(self, path: str) -> None:
        self.take_images([path])

    def take_images(self, paths: list[str]) -> None:
        """Read each file on a worker (shrunk to what the model needs); bad ones are named in one
        dialog once all are read, the others are still translated."""
        ii = self.caps.image_input if self.caps is not None else None
        batch = _ReadBatch([None] * len(paths))
        if paths:
            self.status.setText(f"Reading {len(paths)} image(s)…")
        for i, path in enumerate(paths):
            self.reader.read(
                path,
                ii.size if ii is not None else READ_SIDE,
                lambda image, i=i, path=path: self._read_one(batch, i, Item(Path(path).name, image)),
                lambda reason, i=i: self._read_one(batch, i, reason),
            )

    def _read_one(self, batch: _ReadBatch, index: int, outcome: Item | str) -> None:
        if isinstance(outcome, Item):
            batch.items[index] = outcome
        else:
            batch.bad.append(outcome)
        batch.left -= 1
        if batch.left == 0:
            self._add([it for it in batch.items if it is not None])
            if batch.bad:
                self.session.show_error("Cannot translate", "\n".join(batch.bad))

    def paste(self) -> None:
        img = QGuiApplication.clipboard().image()
        if img.isNull():
            self.session.show_error("Cannot paste", "The clipboard holds no image.")
            return
        self._add([Item("pasted image", qimage_to_pil(img))])

    def _add(self, items: list[Item]) -> None:
        if not items:
            return
        self.items += items
        self.shown.blockSignals(True)
        for it in items:
            self.shown.addItem(it.name)
        self.shown.setCurrentIndex(len(self.items) - 1)
        self.shown.blockSignals(False)
        self.current = len(self.items) - 1
        self.retranslate(items)

    # --- translation jobs --------------------------------------------------------------------------
    def retranslate(self, items: list[Item] | None = None) -> None:
        """Translate ``items`` (default: every open image, as after a new choice) with the current
        choice (one engine job); each also gets checked against the model's sample inputs."""
        caps = self._current_caps()
        batch = list(self.items if items is None else items)
        if caps is None or not batch:
            return
        direction, target = self.choice()
        from engine.translate import plan_input, prepare_image, translate_array

        ii = caps.image_input
        fit, images = self.fit_mode(), [it.image for it in batch]
        channels = ii.channels
        profile = self.profiles.get(self.input_side())
        key = self._choice_key()

        def job(model):
            import torch

            t = None if target is None else torch.from_numpy(target)
            out = []
            for i, im in enumerate(images):
                plan = plan_input(model, *im.size, fit)
                fitted = prepare_image(im, plan, channels)
                unlike = profile is not None and profile.unlike(fitted)
                out.append((fitted, translate_array(model, fitted, direction, t), plan.describe(), unlike))
                yield (i + 1, len(images), "")
            return out

        self.status.setText(f"Translating {len(images)} image(s)…")
        self.session.model_job(
            "translate",
            job,
            on_done=lambda value: self._one_done(batch, key, value),
            on_error=lambda result: self._one_failed(key, result),
        )

    def _show(self, index: int | None = None) -> None:
        if index is not None and index >= 0:
            self.current = index
        it = self.items[self.current] if 0 <= self.current < len(self.items) else None
        self.input_view.set_frame(None if it is None else it.fitted)
        self.output_view.set_frame(None if it is None else it.output)
        self.save_button.setEnabled(it is not None and it.output is not None)
        self.input_view.setToolTip(f"{it.name}: {it.note}" if it is not None and it.note else "")
        self._show_warning()
        pair = None
        if it is not None and it.output is not None and it.fitted.shape == it.output.shape:
            gap = np.full((it.fitted.shape[0], max(1, it.fitted.shape[1] // 16), it.fitted.shape[2]), 255, np.uint8)
            pair = np.concatenate([it.fitted, gap, it.output], axis=1)
        self.pair_shown.emit(pair)

    def folder_dialog(self) -> None:
        src = QFileDialog.getExistingDirectory(self, "Folder to translate", self.start_dir)
        if not src:
            return
        dst = QFileDialog.getExistingDirectory(self, "Output folder", str(Path(src).parent))
        if dst:
            self.translate_folder(src, dst)

    def translate_folder(self, src: str, dst: str) -> None:
        """Translate every file of ``src`` into ``dst`` as a cancellable engine job with progress."""
        if self._current_caps() is None:
            self.session.show_error("Cannot translate", "Open an image-to-image model first.")
            return
        from engine.translate import collect_inputs, translate_files

        files = collect_inputs([src])
        if not files:
            self.session.show_error("Cannot translate", f"“{src}” holds no files.")
            return
        direction, target = self.choice()
        fit = self.fit_mode()

        def job(model):
            import torch

            t = None if target is None else torch.from_numpy(target)
            done, bad = 0, []
            for r in translate_files(model, files, dst, direction, t, fit):
                if r.error:
                    bad.append(r.error)
                else:
                    done += 1
                yield (r.index + 1, r.total, r.source.name)
            return done, bad

        self._folder_handle = self.session.model_job(
            f"translate {Path(src).name}",
            job,
            on_progress=self._on_progress,
            on_done=self._folder_done,
            on_error=self._folder_failed,
        )
        self.progress.setRange(0, len(files))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.folder_button.setEnabled(False)
        self.status.setText(f"Translating {len(files)} file(s) from {src} into {dst}…")

    def cancel_folder(self) -> None:
        if self._folder_handle is not None:
            self._folder_handle.cancel()

    def _on_progress(self, p: JobProgress) -> None:
        self.progress.setValue(p.done)
        self.progress.setFormat(f"%v / %m  {p.message}")

    def _one_done(
        self, batch: list[Item], key: tuple[object, ...], value: list[tuple[np.ndarray, np.ndarray, str, bool]]
    ) -> None:
        if key != self._choice_key():
            return  # made with an earlier choice: the job for the current one follows
        for it, (fitted, out, note, unlike) in zip(batch, value):
            it.fitted, it.output, it.note, it.choice, it.unlike = fitted, out, note, key, unlike
        n = len(batch)
        total = "" if n == len(self.items) else f" ({len(self.items)} open)"
        shown = self.items[self.current] if 0 <= self.current < len(self.items) else None
        note = f" — {shown.name}: {shown.note}" if shown is not None and shown.note else ""
        self.status.setText(f"Translated {n} image{'s' if n != 1 else ''}{total} · fit: {self.fit_mode()}{note}")
        self._show()

    def _one_failed(self, key: tuple[object, ...], result: JobResult) -> None:
        if key != self._choice_key():
            return
        self.status.setText("Translation failed")
        self.session.show_error("Cannot translate", result.error or "cancelled")

    def _show_warning(self) -> None:
        """Warn about the shown input when it looks unlike what the model was trained on, and open the
        samples it was trained on."""
        it = self.items[self.current] if 0 <= self.current < len(self.items) else None
        unlike = it is not None and it.unlike
        if unlike:
            self.warning.setText(
                f"⚠ {it.name} looks unlike the inputs this model was trained on, so its output may mean "
                "little. Inputs it was trained on are below: click one to translate it."
            )
            self.examples.expand(animate=False)
        self.warning.setVisible(unlike)

    def _folder_ended(self) -> None:
        self._folder_handle = None
        self.progress.hide()
        self.cancel_button.hide()
        self.folder_button.setEnabled(True)

    def _folder_failed(self, result: JobResult) -> None:
        self._folder_ended()
        if result.cancelled:
            self.status.setText("Folder translation cancelled (files written so far are kept)")
        else:
            self.session.show_error("Cannot translate folder", result.error or "failed")

    def _folder_done(self, value: tuple[int, list[str]]) -> None:
        self._folder_ended()
        done, bad = value
        self.last_folder_report = (done, bad)
        summary = f"Translated {done} of {done + len(bad)} files" + (f"; skipped {len(bad)}" if bad else "")
        self.status.setText(summary)  # the summary `latentlab translate` prints
        if bad:
            self.session.show_error("Some files were not translated", f"{summary}:\n\n" + "\n".join(bad))

    # --- output -------------------------------------------------------------------------------------
    def save_dialog(self) -> None:
        it = self.items[self.current] if 0 <= self.current < len(self.items) else None
        if it is None or it.output is None:
            return
        stem = Path(it.name).stem.replace(" ", "_")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save output", str(Path(self.start_dir) / f"{stem}_translated.png"), "PNG (*.png)"
        )
        if path:
            self.save_output(path)

    def save_output(self, path: str) -> None:
        it = self.items[self.current]
        assert it.output is not None
        y = it.output
        try:
            Image.fromarray(y[:, :, 0] if y.shape[2] == 1 else y).save(path)
        except (OSError, ValueError) as e:
            self.session.show_error("Cannot save", f"Could not save “{path}”.\n\n{e}")
            return
        self.status.setText(f"Saved {Path(path).name}")

    # --- drops --------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            with reporting_drop_errors(self.session.show_error, paths):
                self.take_images(paths)
        elif mime.hasImage():
            event.acceptProposedAction()
            self._add([Item("dropped image", qimage_to_pil(QImage(mime.imageData())))])
        else:
            event.ignore()
