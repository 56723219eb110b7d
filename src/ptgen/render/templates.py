"""Where templates are found: the publication's own (``templates:`` in ptgen.yaml), then ptgen's.

Its own module, below both the build and the renderers, so that a renderer finding its templates
does not import the build that calls it."""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from ..model import Publication


def _builtin_templates() -> Path:
    """ptgen's own templates: shipped in the package (``ptgen/templates``, an installed wheel), else
    the top-level ``templates/`` of the source tree (an editable install, or run from the source)."""
    import importlib.resources
    shipped = importlib.resources.files("ptgen") / "templates"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[3] / "templates"


BUILTIN_TEMPLATES = _builtin_templates()


def find_template(pub: Publication, kind: str, name: str) -> Path:
    """A template file: the publication's own (``templates:`` in ptgen.yaml) first, then ptgen's."""
    candidates = []
    if pub.settings.templates:
        candidates.append(pub.root / pub.settings.templates / kind / name)
    candidates.append(BUILTIN_TEMPLATES / kind / name)
    for c in candidates:
        if c.is_file():
            if c.suffix == ".docx" and c != candidates[-1]:
                _check_word_template(c)
            return c
    if pub.settings.templates and not (pub.root / pub.settings.templates).is_dir():
        raise UserError(f"ptgen.yaml 里的模板文件夹 {pub.settings.templates} 不存在（相对 {pub.root}）。")
    raise UserError(f"找不到模板 {kind}/{name}。", hint=f"ptgen 自带的模板应在 {BUILTIN_TEMPLATES}：ptgen 的安装不完整，"
                    "请重新安装（pip install ptgen 或 pip install -e .）。")


def _check_word_template(path: Path) -> None:
    """A publication's Word template (it may come with a pull request) within the limits that
    ``import`` sets for a .docx, read from the zip directory before python-docx inflates anything."""
    import zipfile

    from ..importers import ImportProblem
    from ..importers.docx import _check_directory
    try:
        with zipfile.ZipFile(path) as z:
            _check_directory(z.infolist(), str(path))
    except ImportProblem as problem:
        raise UserError(f"Word 模板 {path} 不能用：{problem.message}") from None
    except (zipfile.BadZipFile, OSError):
        raise UserError(f"Word 模板 {path} 不是有效的 .docx 文件（不是 zip 压缩包）。",
                        hint="从 ptgen 自带的 templates/docx/ 复制模板再修改。") from None
