"""The batch queue: image files waiting to be compared (folders dropped on the window land here)."""

from __future__ import annotations

from pathlib import Path

from codec.image_io import IMAGE_SUFFIXES

from app.core.events import Event

__all__ = ["BatchQueue", "images_in_folder"]


def images_in_folder(folder: Path, recursive: bool = True) -> list[Path]:
    pattern = "**/*" if recursive else "*"
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


class BatchQueue:
    """An ordered, duplicate-free list of image paths."""

    def __init__(self) -> None:
        self._paths: list[Path] = []
        self.changed = Event()  # ()

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, index: int) -> Path:
        return self._paths[index]

    def paths(self) -> list[Path]:
        return list(self._paths)

    def add(self, paths: list[Path]) -> int:
        known = set(self._paths)
        new = []
        for path in paths:
            if path not in known:
                known.add(path)
                new.append(path)
        self._paths.extend(new)
        if new:
            self.changed.emit()
        return len(new)

    def add_folder(self, folder: Path) -> int:
        return self.add(images_in_folder(folder))

    def remove(self, index: int) -> None:
        del self._paths[index]
        self.changed.emit()

    def clear(self) -> None:
        self._paths.clear()
        self.changed.emit()
