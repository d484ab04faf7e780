"""The batch queue as a Qt list model + view (folders dropped on the window land here).

Double-clicking an entry opens it as the current image.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from app.core.batch import BatchQueue

__all__ = ["BatchQueueModel", "BatchQueueView"]

Index = QModelIndex | QPersistentModelIndex


class BatchQueueModel(QAbstractListModel):
    def __init__(self, queue: BatchQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        queue.changed.connect(self._reset)

    def _reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.queue)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.queue):
            return None
        path = self.queue[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return path.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(path)
        if role == Qt.ItemDataRole.UserRole:
            return str(path)
        return None


class BatchQueueView(QWidget):
    openRequested = Signal(object)  # Path

    def __init__(self, queue: BatchQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.model = BatchQueueModel(queue, self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setToolTip("Images queued for batch comparison; double-click one to open it")
        self.count = QLabel()
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Empty the batch queue")
        self.clear_button.clicked.connect(queue.clear)
        self.list.doubleClicked.connect(lambda index: self.openRequested.emit(Path(index.data(Qt.ItemDataRole.UserRole))))
        top = QHBoxLayout()
        top.addWidget(self.count, 1)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.list)
        queue.changed.connect(self._update_count)
        self._update_count()

    def _update_count(self) -> None:
        self.count.setText(f"{len(self.queue)} image(s) queued")
        self.clear_button.setEnabled(len(self.queue) > 0)
