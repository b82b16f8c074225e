"""The Train window's loss legend: each curve's colour, name and what it measures, in a row under the
plot (never over the curves)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QLabel, QWidget

LOSS_NAMES: dict[str, str] = {
    "G": "generator loss",
    "D": "discriminator loss",
    "loss_G": "generator loss",
    "loss_D": "discriminator loss",
    "G_pl": "path-length penalty (keeps the image change per step in w even)",
    "D_r1": "R1 penalty (D's gradient on real images)",
    "D_gp": "gradient penalty (WGAN-GP)",
    "gp": "gradient penalty (WGAN-GP)",
    "D_real": "D's score on real images (1 = sure they are real)",
    "D_fake": "D's score on generated images",
    "wasserstein": "estimated Wasserstein distance",
    "G_GAN": "adversarial loss of the generator",
    "G_L1": "L1 distance to the target image",
    "cycle": "cycle consistency (there and back again)",
    "identity": "identity loss (an image already in the target domain stays)",
    "D_cls": "domain classification of real images",
    "G_cls": "domain classification of translated images",
    "rec": "reconstruction after translating back",
    "recon": "reconstruction",
    "kl": "KL divergence to the prior",
    "loss": "total loss",
    "code": "distance to the true W+ code (synthetic images)",
    "w_norm": "distance to the average w",
    "level": "resolution level being trained",
    "alpha": "fade-in of the newest level (0 → 1)",
    "ce": "cross-entropy",
    "train_acc": "training accuracy",
}


def describe(key: str) -> str:
    """What the loss ``key`` measures (empty when unknown)."""
    return LOSS_NAMES.get(key, "")


class LossLegend(QLabel):
    """Coloured names and explanations of the curves shown, wrapped in rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.entries: list[tuple[str, str]] = []

    def add(self, key: str, colour: str) -> None:
        """Add curve ``key`` drawn in ``colour``."""
        self.entries.append((key, colour))
        self._show()

    def clear(self) -> None:
        self.entries = []
        self._show()

    def _show(self) -> None:
        parts = []
        for key, colour in self.entries:
            about = describe(key)
            text = f"<b>{escape(key)}</b>" + (f" — {escape(about)}" if about else "")
            parts.append(f'<span style="color:{colour}">&#9632;</span>&nbsp;{text}')
        self.setText(" &nbsp;&nbsp; ".join(parts))
