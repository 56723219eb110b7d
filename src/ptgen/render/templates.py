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
            return c
    if pub.settings.templates and not (pub.root / pub.settings.templates).is_dir():
        raise UserError(f"ptgen.yaml 里的模板文件夹 {pub.settings.templates} 不存在（相对 {pub.root}）。")
    raise UserError(f"找不到模板 {kind}/{name}。", hint=f"ptgen 自带的模板应在 {BUILTIN_TEMPLATES}：ptgen 的安装不完整，"
                    "请重新安装（pip install ptgen 或 pip install -e .）。")
