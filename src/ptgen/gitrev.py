"""Content at a git revision, loaded like the working tree (for ``ptgen diff`` and ``check --against``)."""
from __future__ import annotations

import os
import subprocess
import tarfile
import tempfile
from pathlib import Path

from .errors import SetupError, UserError
from .load import find_publications, load
from .model import Publication
from .report import Issue
from .yamlio import MAX_BYTES

OTHER_MAX = 64 * 1024 * 1024  # a template or an image at a revision; larger ones are left empty
DEFAULT_BRANCHES = ("origin/HEAD", "origin/main", "origin/master", "main", "master")


def _git(repo: Path, *args: str, binary: bool = False):
    try:
        proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=not binary, timeout=120)
    except FileNotFoundError as exc:
        raise SetupError("没有找到 git。", hint="安装 Debian 软件包 git。") from exc
    return proc


def repo_root(path: Path) -> Path:
    proc = _git(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise UserError(f"{path} 不在 git 仓库里：ptgen diff 比较的是两个 git 版本。")
    return Path(proc.stdout.strip())


def resolve(repo: Path, rev: str) -> str:
    proc = _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if proc.returncode != 0:
        shallow = _git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"
        hint = ("这是一个浅克隆（shallow clone），较早的版本没有下载：运行 git fetch --unshallow，"
                "或在 GitHub Actions 的 actions/checkout 里设置 fetch-depth: 0。" if shallow
                else "用 git log --oneline 查看可用的版本；分支名要写全，例如 origin/main。")
        raise UserError(f"找不到 git 版本“{rev}”。", hint=hint)
    return proc.stdout.strip()


def default_base(repo: Path) -> str:
    """The merge base of HEAD with the default branch (what a pull request is compared with)."""
    for branch in DEFAULT_BRANCHES:
        if _git(repo, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}").returncode == 0:
            proc = _git(repo, "merge-base", "HEAD", branch)
            if proc.returncode == 0:
                return proc.stdout.strip()
    raise UserError("找不到默认分支（main / master / origin/HEAD），无法确定比较的起点。",
                    hint="直接写出要比较的版本，例如 ptgen diff HEAD~1 或 ptgen diff origin/main HEAD。")


def _extract_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, except that a symbolic link is kept as it is, wherever it points: the
    link is only ever looked at by :func:`ptgen.load.load`, which reports one that leads out of the
    publication (F004, at the line that lists it) and never reads through it — as for the working
    tree.  (The "data" filter refuses such links with an exception; files are still extracted
    only inside ``dest``.)"""
    if member.issym():
        return tarfile.tar_filter(member, dest)
    return tarfile.data_filter(member, dest)


def _extract(repo: Path, commit: str, rel: str, target: Path) -> bytes | None:
    """Extract ``rel`` at ``commit`` into ``target``, streaming (git archive's output is never held
    whole); a YAML file over the content size limit (any other file over 64 MB) is written as a
    sparse file of its size, unread, so loading reports it (Y007) as it does in the working tree.  Returns git's stderr if it failed."""
    import shutil
    try:
        # core.bigFileThreshold: git streams a blob over it instead of loading it whole
        proc = subprocess.Popen(["git", "-C", str(repo), "-c", "core.bigFileThreshold=1m", "archive", "--format=tar",
                                 commit, "--", rel],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise SetupError("没有找到 git。", hint="安装 Debian 软件包 git。") from exc
    with proc:
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for member in tar:
                    if member.isfile() and member.size > (MAX_BYTES if member.name.endswith(".yaml") else OTHER_MAX):
                        safe = _extract_filter(member, str(target))
                        dest = target / safe.name
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        with open(dest, "wb") as f:
                            f.truncate(member.size)
                        continue
                    tar.extract(member, target, filter=_extract_filter)
        except tarfile.ReadError:  # no output at all: git failed (its message is on stderr)
            pass
        with open(os.devnull, "wb") as sink:
            shutil.copyfileobj(proc.stdout, sink)  # let git finish writing
        stderr = proc.stderr.read()
    return stderr if proc.wait() != 0 else None


def load_at(repo: Path, rev: str | None, path: Path, workdir: Path) -> tuple[list[Publication], list[Issue]]:
    """The publications under ``path`` at ``rev`` (None: the working tree), loaded without lint,
    and the problems found loading them (as ``ptgen check`` reports them)."""
    path = path.resolve()
    if rev is None:
        roots = find_publications(path)
    else:
        commit = resolve(repo, rev)
        rel = path.relative_to(repo.resolve()).as_posix() or "."
        target = workdir / commit[:12]
        target.mkdir(parents=True, exist_ok=True)
        stderr = _extract(repo, commit, rel, target)
        if stderr is not None:
            if b"did not match any files" in stderr or b"pathspec" in stderr:
                return [], []  # the content folder did not exist yet at that revision
            raise UserError(f"无法读取版本 {rev}：{stderr.decode('utf-8', 'replace').strip()[:200]}")
        if not (target / rel).resolve().is_relative_to(target.resolve()):
            # the content folder (or a folder above it) is a link at that revision: never followed,
            # or a pull request could have ptgen read whatever the CI machine holds there
            raise UserError(f"版本 {rev} 中的 {rel} 是指向仓库以外的符号链接：ptgen 不会读取它，无法比较。",
                            hint=f"内容文件夹要是真正的文件夹；用 git show {rev} -- {rel} 查看这个链接。")
        roots = find_publications(target / rel)
    pubs, issues = [], []
    for root in roots:
        pub, report = load(root)
        issues += report.sorted()
        if pub is not None:
            pubs.append(pub)
    return pubs, issues


def publications_at(repo: Path, rev: str | None, path: Path, workdir: Path) -> list[Publication]:
    """The publications under ``path`` at ``rev`` (None: the working tree), loaded without lint.

    A file that cannot be loaded there is an error (never a project "removed" or "added")."""
    pubs, issues = load_at(repo, rev, path, workdir)
    if issues:
        where = f"版本 {rev} " if rev else "工作区"
        lines = "\n".join(f"  {i.file}:{i.line}:{i.column}  {i.code}  {i.message}" for i in issues)
        raise UserError(f"{where}的内容有 {len(issues)} 处无法读取的问题，无法比较：\n{lines}",
                        hint="先修正这些问题（ptgen check 会列出同样的问题），再比较。")
    return pubs


def temp_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="ptgen-rev-")
