"""The cache of parsed and checked content: what ``ptgen check`` (and so ``ptgen build``) learnt
about each file, reused while the file's bytes stay the same.

Each publication has one cache file and one file of models beside it, in the user's cache folder
(``$PTGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/ptgen``, else ``~/.cache/ptgen``;
``PTGEN_CACHE_DIR=off`` turns it off), named after the publication folder's absolute path.  It is never inside the content: it holds pickled
Python objects, and a cache that came with the content (a pull request, in CI) could run code or
hide errors.

What it holds, and what an entry is keyed by:

* for each content file, by its path and the hash of its bytes: where the model read from it is
  in the file of models (it is read and unpickled only when something asks for it:
  :class:`Later`), what the rules across files read of it (``ProjectDoc.facts``) and the problems
  reading it (Y…, F…) — where each value stands is read from the file again when a message needs
  it (``yamlio.FilePositions``);
* for each project, by the hashes of its file, its unit's and its department's file and the rules
  selected: the findings of the per-project rules;
* for each content file, by its path: its size, modification and change times, inode and device
  number when it was last hashed, with that hash.  A file whose ``stat`` still gives all five is
  not read again to be hashed (as git's index and mypy's cache do); a file changed less than
  :data:`SETTLED` seconds before it was hashed is hashed again next time, since a second change
  within the file system's timestamp granularity could leave all five the same;
* the whole cache by ptgen's version and code (the package's files), the hash of ``ptgen.yaml``
  and of the publication's own layout definitions (settings, form and framework).  Anything
  different there and the whole cache is dropped.

Rules that look across files (duplicate bookmarks and identities, totals, …: ``scope =
"publication"``) run on every check over the whole publication, cached or not.

The cache file is written whole to a temporary name and renamed into place; it starts with a
magic line, the key it was made for and the SHA-256 of the rest.  A cache that is cut short,
garbled, from another version or for other settings is ignored (and replaced): never trusted.

The models (nine tenths of the bytes) are in a file of their own (:class:`_Pack`), so a check
with one file changed reads and writes a tenth of the cache: the new models are appended to it
(``O_APPEND``: two checks at once each get their own place), and the cache file that is renamed
into place afterwards is what makes them part of the cache.  Each model's place comes with a
hash of its bytes, checked when it is read; a file of models cut short or damaged is never
trusted (its entries are made again, or the project is read from its file again, and a file
of models found damaged is removed).  When new models would make the file hold more than twice
what is still used (and another MiB), every model in use is written to a new file under a new
name; a file no cache file names is removed a minute after it was last written (a check started
earlier may still be appending to it).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import secrets
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import yamlio

FORMAT = "4"  # 2: no positions (read from the file when asked: yamlio.FilePositions); 3: stat signatures,
# each model pickled on its own inside its entry (Later); 4: the models in a file of their own (_Pack)
# A file's stat is trusted for its hash only if it was last modified this long before it was hashed.
SETTLED = 2.0
MAGIC = b"PTGEN-CACHE\n"
PACK_MAGIC = b"PTGEN-MODELS\n"
PACK_SLACK = 1 << 20  # a file of models is written anew when it holds more than twice what is used, and this
STALE_PACK = 60.0  # seconds: a file of models no cache names is removed once nobody wrote to it for this long
_code_key: str | None = None


@dataclass
class Stats:
    """What the last :class:`CheckCache` did (read by the tests and ``bench/``)."""
    files_hit: int = 0
    files_hashed: int = 0  # read to be hashed (not known by their stat)
    files_parsed: int = 0
    projects_hit: int = 0
    projects_linted: int = 0
    loaded: bool = False  # a valid cache file was found


stats = Stats()


def root_folder() -> Path | None:
    """Where the caches live (None: switched off)."""
    env = os.environ.get("PTGEN_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ptgen"


def code_key() -> str:
    """ptgen's version and its code: the name, size and modification time of every file of the
    package (Python, forms, frameworks, templates), so an edited ptgen never trusts old results."""
    global _code_key
    if _code_key is None:
        from . import __version__
        h = hashlib.sha256(f"{FORMAT}\0{__version__}\0{pickle.HIGHEST_PROTOCOL}".encode())
        package = Path(__file__).resolve().parent
        for dirpath, dirnames, filenames in os.walk(package):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name.endswith((".pyc", ".pyo")):
                    continue
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                h.update(f"{os.path.relpath(p, package)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        _code_key = h.hexdigest()
    return _code_key


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: Path) -> str | None:
    """The hash of a content file's bytes (read with the content's limits), or None if it cannot be read."""
    try:
        return digest(yamlio.read_bytes(path))
    except (OSError, yamlio.YamlProblem):
        return None


def read(path: Path, key: str) -> Any:
    """The payload of cache file ``path`` if it is whole and was made for ``key``, else None."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    head = MAGIC + key.encode("ascii") + b"\n"
    if not blob.startswith(head) or len(blob) < len(head) + 32:
        return None
    check, payload = blob[len(head):len(head) + 32], blob[len(head) + 32:]
    if hashlib.sha256(payload).digest() != check:
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - whatever is wrong with it, it is not used
        return None


def write(path: Path, key: str, payload: Any) -> bool:
    """Write the cache file whole under a temporary name, then rename it into place.  A cache
    that cannot be written (a read-only home, a full disk) is simply not written (False)."""
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _write_whole(path, [MAGIC + key.encode("ascii") + b"\n" + hashlib.sha256(data).digest(), data])


def _write_whole(path: Path, parts: list[bytes]) -> bool:
    """``parts`` written to a temporary name and renamed to ``path``; False (nothing there) if it failed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.writelines(parts)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
        return False


def _check(blob: bytes) -> int:
    # CRC-32 finds a model cut short or garbled (the cache file naming it has its SHA-256) at
    # ~4 GB/s: hashing the 33 MB of models of 10,000 tables with BLAKE2 took 50 ms of a check.
    return zlib.crc32(blob)


def _places(offset: int, blobs: list[bytes]) -> list[tuple[int, int, int]]:
    """Where ``blobs`` are, written one after another from ``offset``: (offset, length, check) each."""
    places = []
    for blob in blobs:
        places.append((offset, len(blob), _check(blob)))
        offset += len(blob)
    return places


class _Pack:
    """A publication's file of models: a magic line and its name, then pickled models one after
    another.  A model is found by ``(offset, length, hash)``; the file only grows (until it is
    written anew under another name), so a place once written keeps its bytes."""

    def __init__(self, path: Path, ident: str, fd: int, size: int):
        self.path, self.ident, self.fd, self.size = path, ident, fd, size

    @staticmethod
    def name(stem: str, ident: str) -> str:
        return f"{stem}.{ident}.models"

    @staticmethod
    def head(ident: str) -> bytes:
        return PACK_MAGIC + ident.encode("ascii") + b"\n"

    @classmethod
    def open(cls, folder: Path, stem: str, ident) -> _Pack | None:
        """The file of models ``ident`` if it is there and is one, else None."""
        if not isinstance(ident, str) or not ident.isalnum():
            return None
        path = folder / cls.name(stem, ident)
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            head = cls.head(ident)
            if os.pread(fd, len(head), 0) == head:
                return cls(path, ident, fd, os.fstat(fd).st_size)
        except OSError:
            pass
        os.close(fd)
        return None

    def holds(self, ref) -> bool:
        """Whether ``ref`` is a place inside this file (its bytes are checked when read)."""
        return (isinstance(ref, tuple) and len(ref) == 3 and isinstance(ref[0], int) and isinstance(ref[1], int)
                and isinstance(ref[2], int) and 0 < ref[0] and 0 <= ref[1] and ref[0] + ref[1] <= self.size)

    def read(self, ref) -> bytes | None:
        """The bytes at ``ref``, or None if they cannot be read or are not what was written."""
        offset, length, check = ref
        try:
            blob = os.pread(self.fd, length, offset)
        except OSError:
            return None
        return blob if len(blob) == length and _check(blob) == check else None

    def discard(self) -> None:
        """Remove this file of models (found damaged): the cache file naming it is then ignored."""
        try:
            if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                os.unlink(self.path)
        except OSError:
            pass

    def __del__(self):
        try:
            os.close(self.fd)
        except (OSError, AttributeError, TypeError):
            pass


class Damaged(Exception):
    """A model the cache holds that can no longer be read as it was written."""


class Later:
    """A model as the cache keeps it, unpickled when called (``ProjectDoc.later``): its bytes, or
    its place in the file of models (``pack``); ``facts``: what the rules across files read of it,
    at hand without unpickling; ``digest``: the hash of the file it was read from."""
    __slots__ = ("blob", "pack", "facts", "digest")

    def __init__(self, blob, pack: _Pack | None, facts, digest: str):
        self.blob, self.pack, self.facts, self.digest = blob, pack, facts, digest

    def __call__(self):
        blob = self.blob if self.pack is None else self.pack.read(self.blob)
        try:
            if blob is None:
                raise Damaged(self.digest)
            return pickle.loads(blob)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with it, it is not used
            if self.pack is not None:
                self.pack.discard()  # the next check makes its entries again
            raise Damaged(self.digest) from exc

    def __reduce__(self):
        # A copy (pickle, deepcopy) holds the bytes, not the open file of models.
        blob = self.blob if self.pack is None else self.pack.read(self.blob)
        return Later, (b"" if blob is None else blob, None, self.facts, self.digest)


class CheckCache:
    """The cache of one publication for one check (see the module's docstring)."""

    def __init__(self, root: Path, select: set[str] | None, ignore: set[str] | None):
        self.root = Path(root)
        folder = root_folder()
        real = os.path.realpath(self.root)
        self.stem = digest(real.encode("utf-8"))
        self.path = folder / "check" / f"{self.stem}.pickle" if folder else None
        h = hashlib.sha256(code_key().encode())
        for p in [self.root / "ptgen.yaml", *sorted((self.root / "layouts").glob("*.yaml"))]:
            h.update(f"{p.name}\0{file_digest(p)}\n".encode("utf-8"))
        self.key = h.hexdigest()
        self.rules_key = repr((sorted(select or ()), sorted(ignore or ())))
        old = read(self.path, self.key) if self.path else None
        stats.__init__()
        stats.loaded = isinstance(old, dict)
        old = old if isinstance(old, dict) else {}
        self._old_files: dict = old.get("files", {}) if isinstance(old.get("files"), dict) else {}
        self._old_lint: dict = old.get("lint", {}) if isinstance(old.get("lint"), dict) else {}
        self._old_sigs: dict = old.get("sigs", {}) if isinstance(old.get("sigs"), dict) else {}
        # An entry whose model is in a file of models that is not there (or not this one) is not
        # of the shape this cache takes (_entry_shape): it is made again.
        self._pack = _Pack.open(self.path.parent, self.stem, old.get("pack")) if self.path and self._old_files else None
        self._packed = 0  # bytes of the file of models that the entries kept use
        self._made: dict = {}  # entries this check made (their model in the entry itself), as objects
        self.sigs: dict[str, tuple] = {}  # absolute path → (stat signature, hash): see _digest
        self.files: dict = {}
        self.lint: dict = {}
        self.digests: dict[str, str | None] = {}  # absolute path → hash of the bytes, this check
        self._current: set[tuple] = set()  # (project, digests of its files) as they are now
        self.changed = not stats.loaded
        self._last: tuple[str, bytes] | None = None
        self._of_path: dict[Path, str] = {}  # a path as given → its absolute form (a key of digests)
        # Made earlier in this check, before the publication itself was loaded (ptgen.checkpool):
        # this process's share as live objects, the other process's as entries (counted as read
        # and linted in this check, not as hits).
        self.live: dict = {}
        self.live_lint: dict = {}
        self._adopted: set = set()

    def _digest(self, path: Path | str) -> str | None:
        known = self._of_path.get(path)  # a project's unit and department are asked for again and again
        if known is not None:
            return self.digests[known]
        k = self._of_path[path] = os.path.abspath(path)
        if k not in self.digests:
            try:
                st = os.stat(k)
            except OSError:
                st = None
            sig = None if st is None else (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
            known = self._old_sigs.get(k)
            if sig is not None and isinstance(known, tuple) and len(known) == 2 and known[0] == sig:
                self.digests[k] = known[1]  # the same file, untouched since it was hashed
                self.sigs[k] = known
                return known[1]
            stats.files_hashed += 1
            try:
                data = yamlio.read_bytes(path)
            except (OSError, yamlio.YamlProblem):
                self.digests[k] = None
            else:
                self.digests[k] = d = digest(data)
                self._last = (k, data)  # a file not in the cache is parsed next: it need not be read twice
                # Stat first, read after: a change in between leaves a signature that no longer
                # matches, so the file is hashed again next time.
                if sig is not None and time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLED * 1e9:
                    self.sigs[k] = (sig, d)
        return self.digests[k]

    def take_bytes(self, path: Path) -> bytes | None:
        """The bytes of ``path`` if they were the last read for a hash (and are read no more)."""
        last, self._last = self._last, None
        return last[1] if last is not None and last[0] == os.path.abspath(path) else None

    # --- files ---------------------------------------------------------------------------------
    def get_file(self, path: Path, rel: str, model: str, later: bool = False):
        """(object, issues) read from ``path`` last time, if its bytes are the same.  ``later``: the
        object may be a :class:`Later` (the model still pickled) when it has facts."""
        d = self._digest(path)
        if d is None:
            return None
        key = (rel, model, d)
        got = self._take(key, self.live, self._old_files, self.files, "files_parsed", "files_hit", self._entry_shape)
        if got is None or len(got) == 2:  # made in this process: (object, issues) themselves
            return got
        where, facts, issues = got
        if where is None:
            return None, issues
        pack = self._pack if isinstance(where, tuple) else None
        if later and facts is not None:
            return Later(where, pack, facts, d), issues
        try:
            return Later(where, pack, facts, d)(), issues
        except Damaged:  # the file is read again
            self.files.pop(key, None)
            return None

    def _entry_shape(self, v) -> bool:
        """A file's entry: (its model's bytes, or their place in the file of models, or None; facts; issues)."""
        return (isinstance(v, tuple) and len(v) == 3 and isinstance(v[2], list)
                and (v[0] is None or isinstance(v[0], bytes) or (self._pack is not None and self._pack.holds(v[0]))))

    def _take(self, key, live: dict, old: dict, kept: dict, made: str, hit: str, shape):
        """The entry ``key``: one this process read or made for the check (``live``: at hand, counted
        already), else the cache's or the helper's (``old``), unpickled and kept for the next cache;
        None if there is none, it is damaged or not of the ``shape`` this version writes (made again)."""
        if key in live:
            return live.pop(key)
        if self.helper is not None and key not in old:
            self.wait_for_helper()
        blob = old.get(key)
        if not isinstance(blob, bytes):
            return None
        try:
            value = pickle.loads(blob)
        except Exception:  # noqa: BLE001 - a damaged entry is made again
            return None
        if not shape(value):
            return None
        kept[key] = blob  # kept as it was: only what changed is pickled again
        if kept is self.files and isinstance(value[0], tuple):
            self._packed += value[0][1]
        counter = made if key in self._adopted else hit  # the helper's were made in this check
        setattr(stats, counter, getattr(stats, counter) + 1)
        if self.keep_live:  # read for a share (ptgen.checkpool): the check takes it from there, uncounted
            live[key] = value
        return value

    def put_file(self, path: Path, rel: str, model: str, obj, issues, raw: bytes | None, facts=None) -> None:
        """Keep what was read from ``path`` (the model, its ``facts`` and the problems reading it;
        where each value stands is read from the file again when a message needs it), by the hash
        of ``raw``, the bytes it was read from: a file that changed since it was first hashed is
        kept as parsed."""
        stats.files_parsed += 1
        if raw is None:
            return
        d = digest(raw)
        self.digests[self._of_path.setdefault(path, os.path.abspath(path))] = d  # this check's view of it
        blob = None if obj is None else pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        self.files[(rel, model, d)] = pickle.dumps((blob, facts, list(issues)), protocol=pickle.HIGHEST_PROTOCOL)
        self._made[(rel, model, d)] = (blob, facts, list(issues))  # as saved: not unpickled again
        self.changed = True
        if self.keep_live:
            self.live[(rel, model, d)] = (obj, list(issues))

    # --- per-project findings ------------------------------------------------------------------
    def _lint_key(self, doc, unit, dept):
        ds = [self._digest(x.source.path) for x in (doc, unit, dept)]
        if None in ds:
            return None
        self._current.add((doc.source.rel, *ds))
        return (doc.source.rel, *ds, self.rules_key)

    def get_project(self, doc, unit, dept) -> dict | None:
        key = self._lint_key(doc, unit, dept)
        if key is None:
            return None
        return self._take(key, self.live_lint, self._old_lint, self.lint, "projects_linted", "projects_hit",
                          lambda v: isinstance(v, dict))

    def put_project(self, doc, unit, dept, found: dict) -> None:
        stats.projects_linted += 1
        key = self._lint_key(doc, unit, dept)
        if key:
            self.lint[key] = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
            self.changed = True
            if self.keep_live:
                self.live_lint[key] = found

    # --- the work of another process (ptgen.checkpool) ----------------------------------------
    keep_live = False  # while True, what is read and linted stays as objects for the check that follows
    helper = None  # a parallel.Helper whose entries are taken where the check first misses one

    def wait_for_helper(self) -> None:
        """Take the helper's entries (if it failed, the check reads its files itself)."""
        helper, self.helper = self.helper, None
        got = helper.result() if helper is not None else None
        if got is not None:
            self.adopt(*got)

    def made_here(self) -> tuple[dict, dict]:
        """The entries this cache made (not those it found): what a helper process sends back."""
        return ({k: v for k, v in self.files.items() if k not in self._old_files},
                {k: v for k, v in self.lint.items() if k not in self._old_lint})

    def adopt(self, files: dict, lint: dict, digests: dict | None = None, sigs: dict | None = None) -> None:
        """Take the entries another process made in this check as if they had been in the cache
        (the check that follows finds them; they count as read and linted, not as hits), and the
        hashes (and stat signatures) of the files it read."""
        for k, v in (digests or {}).items():
            self.digests.setdefault(k, v)
        for k, v in (sigs or {}).items():
            self.sigs.setdefault(k, v)
        self._old_files.update(files)
        self._old_lint.update(lint)
        self._adopted.update(files)
        self._adopted.update(lint)
        self.changed = True

    def save(self) -> None:
        """Keep what this check used (so entries of files since changed or removed go).  Each entry
        is pickled on its own (bytes inside the file): a hit is unpickled only when asked for, and
        writing never holds a pickle memo of the whole publication."""
        if self.path is None:
            return
        # The findings for other rule selections (check --select …) stay while their files are the same.
        lint = {k: v for k, v in self._old_lint.items() if isinstance(k, tuple) and k[:4] in self._current}
        lint.update(self.lint)
        if not self.changed and len(self.files) == len(self._old_files) and len(lint) == len(self._old_lint) \
                and self.sigs == self._old_sigs:
            return
        got = self._models()
        if got is None:
            return  # the models could not be written: the cache stays as it was
        files, pack = got
        if write(self.path, self.key, {"files": files, "lint": lint, "sigs": self.sigs,
                                       "pack": pack.ident if pack else None}):
            self._sweep(pack)

    def _sweep(self, pack: _Pack | None) -> None:
        """Remove the files of models this cache no longer names and nobody has written to for a
        minute.  Not at once: another check started before this one may still append to the
        file it opened and name it in the cache file it writes (its models would be lost)."""
        now = time.time()
        for old in self.path.parent.glob(_Pack.name(self.stem, "*")):
            if pack is not None and old.name == pack.path.name:
                continue
            try:
                if now - old.stat().st_mtime > STALE_PACK:
                    old.unlink()
            except OSError:
                pass

    def _models(self):
        """The entries to keep, each model at its place in the file of models: the new ones
        appended, or, when the file would then hold more than twice what is used and another
        :data:`PACK_SLACK` (or there is none, or it was removed), every one written to a new file.
        ``(entries, file of models)``, or None when the models cannot be written."""
        made = {k: self._made[k] if k in self._made else pickle.loads(v)
                for k, v in self.files.items() if k in self._made or k in self._adopted}
        new = {k: e for k, e in made.items() if isinstance(e[0], bytes)}
        grow = sum(len(e[0]) for e in new.values())
        pack = self._pack
        try:  # removed since it was opened (another check wrote a new one): the models go to a new one
            gone = pack is not None and os.fstat(pack.fd).st_nlink == 0
        except OSError:
            gone = True
        if not new and not gone:
            return self.files, pack
        files = dict(self.files)
        if pack is not None and not gone and pack.size + grow <= 2 * (self._packed + grow) + PACK_SLACK:
            places = self._append(pack, [e[0] for e in new.values()])
            if places is None:
                return None
        else:
            pack, places = self._compact(files, new)
            if pack is None:
                return None
        for (k, (_, facts, issues)), place in zip(new.items(), places):
            files[k] = pickle.dumps((place, facts, issues), protocol=pickle.HIGHEST_PROTOCOL)
        return files, pack

    @staticmethod
    def _append(pack: _Pack, blobs: list[bytes]) -> list[tuple] | None:
        """Append ``blobs`` to ``pack`` in one write (O_APPEND: the end is found as the write
        starts, so another check appending at the same time gets another place); their places."""
        data = b"".join(blobs)
        try:
            fd = os.open(pack.path, os.O_WRONLY | os.O_APPEND)
        except OSError:
            return None
        try:
            if os.write(fd, data) != len(data):
                return None  # cut short (a full disk): no cache names those bytes
            offset = os.lseek(fd, 0, os.SEEK_CUR) - len(data)
        except OSError:
            return None
        finally:
            os.close(fd)
        return _places(offset, blobs)

    def _compact(self, files: dict, new: dict) -> tuple[_Pack | None, list[tuple]]:
        """Write every model the kept entries use, then ``new``'s, to a new file of models (under
        a temporary name, renamed into place); the old entries in ``files`` are rewritten with their
        new places (one whose model cannot be read is dropped).  The new file and ``new``'s places."""
        ident = secrets.token_hex(8)
        path = self.path.parent / _Pack.name(self.stem, ident)
        parts = [_Pack.head(ident)]
        size = len(parts[0])
        for k, v in list(files.items()):
            if k in new:
                continue
            e = pickle.loads(v)
            if isinstance(e[0], tuple):
                blob = self._pack.read(e[0]) if self._pack is not None else None
                if blob is None:
                    del files[k]  # its model is damaged: the file is read again next time
                    continue
                files[k] = pickle.dumps(((size, len(blob), e[0][2]), e[1], e[2]), protocol=pickle.HIGHEST_PROTOCOL)
                parts.append(blob)
                size += len(blob)
        blobs = [blob for blob, _, _ in new.values()]
        places = _places(size, blobs)
        parts += blobs
        size += sum(map(len, blobs))
        if not _write_whole(path, parts):
            return None, []
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None, []
        return _Pack(path, ident, fd, size), places


def open_check(root: Path, select: set[str] | None = None, ignore: set[str] | None = None) -> CheckCache | None:
    if root_folder() is None:
        stats.__init__()
        return None
    return CheckCache(root, select, ignore)
