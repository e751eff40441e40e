"""Statuses drawn as coloured labels, so a failed payment stands out in a long list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desk_billing.gui import formatting
from desk_billing.gui.table_model import KindRole, RawRole


class StatusDelegate(QStyledItemDelegate):
    """Paints "status" cells as a rounded label in the status colour; other cells as usual."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if index.data(KindRole) != "status" or not index.data(RawRole):
            super().paint(painter, option, index)
            return
        # The row background (selection, alternate colour) first, without the text.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        text = str(index.data(Qt.ItemDataRole.DisplayRole))
        background, foreground = formatting.status_colours(index.data(RawRole))
        metrics = QFontMetrics(option.font)
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, option.rect.width() - 22)
        width = metrics.horizontalAdvance(text) + 14
        height = min(option.rect.height() - 6, metrics.height() + 4)
        rect = QRectF(
            option.rect.x() + 4,
            option.rect.y() + (option.rect.height() - height) / 2,
            min(width, option.rect.width() - 8),
            height,
        )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        painter.setPen(QColor(foreground))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        if index.data(KindRole) == "status":
            size.setWidth(size.width() + 18)
        return size
