"""The common shape of a parameter panel: built from capabilities, shows Params, emits edits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from app.params import Params
from engine.api import RenderRequest, RenderResult
from engine.families.base import Capabilities

if TYPE_CHECKING:
    from app.session import Session


class ParamPanel(QWidget):
    """A panel that edits part of :class:`Params`.

    - ``edited(key, changes)``: the user changed something; ``changes`` is a dict of Params fields
      and ``key`` names the control (consecutive edits with the same key merge into one undo step).
    - ``committed()``: a continuous edit (a slider drag) ended; the next edit starts a new undo step.
    - ``previewed(changes)``: a transient change (an animation frame) that is shown but not undoable.

    :meth:`bind` connects these to a :class:`~app.session.Session`; a panel with work of its own
    (encoding, exporting, computing directions, ...) submits it through ``self.session`` and
    receives its results itself. Panels with ``takes_images`` take dropped image files
    (:meth:`take_image`).

    Panels may also show frames of their own: :meth:`side_requests` returns requests keyed by
    engine channel (each channel is its own latest-wins mailbox), and the frame loop hands each
    channel's frames back through :meth:`show_side_frame`. A panel whose side frames are thumbnails
    says how big they are shown (``thumbnail_size``, pixels): a big model renders them as previews of
    that size, never as full frames.
    """

    edited = Signal(str, object)
    committed = Signal()
    previewed = Signal(object)
    title = ""
    takes_images = False
    thumbnail_size: int | None = None
    session: Session | None = None

    def bind(self, session: Session) -> None:
        """Work in ``session``: edits become its undo steps, jobs run on its model."""
        self.session = session
        self.edited.connect(session.edit)
        self.committed.connect(session.seal_undo)
        self.previewed.connect(session.preview)

    @staticmethod
    def applies_to(caps: Capabilities) -> bool:
        """Whether this panel has anything to show for a model with ``caps``."""
        return True

    def set_capabilities(self, caps: Capabilities) -> None:
        """Rebuild the controls for a model with ``caps``."""

    def set_params(self, params: Params) -> None:
        """Show ``params`` without emitting ``edited``."""

    def side_requests(self, base: RenderRequest, params: Params) -> dict[str, RenderRequest]:
        """Extra frames this panel shows, by channel, for the main request ``base``."""
        return {}

    def show_side_frame(self, channel: str, result: RenderResult) -> None:
        """Show a frame of one of this panel's channels."""

    def take_image(self, path: str) -> None:
        """An image file was given to this panel (a drop on the window); panels with ``takes_images`` use it."""

    def emit_edit(self, key: str, **changes: object) -> None:
        self.edited.emit(key, changes)
