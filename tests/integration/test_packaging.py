"""What gets installed: the wheel, the declared dependencies, the locks and the image."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeGuard

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from yoyo import read_migrations

from infra.migrations import SCHEMA_MIGRATIONS

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "infra", "projections", "api")
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once for the tests that read it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("supervision-*.whl")
    return built


def test_the_wheel_holds_every_layer_and_the_supervision_command(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in LAYERS:
        assert f"{package}/__init__.py" in names and f"{package}/py.typed" in names
    assert "api/http/routes/findings.py" in names and "infra/recorder.py" in names
    # The console's templates and vendored scripts are package data, not only source files.
    for data in ("templates/base.html", "static/echarts.min.js", "static/htmx.min.js"):
        assert f"api/console/{data}" in names, data
    # So is the vendored Swagger UI of /docs (api/http/docs.py).
    for data in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
        assert f"api/http/static/{data}" in names, data
    assert not any(name.startswith("tests/") for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "supervision = api.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_wheel_carries_the_schema_migrations_where_infra_migrations_reads_them(
    wheel: Path, tmp_path: Path
) -> None:
    # yoyo's migrations (ADR 023) are package data ("*.sql"): without them an installed
    # `supervision migrate` would make no table. infra.migrations reads the folder beside
    # its own module (SCHEMA_MIGRATIONS), which is where the wheel must put them.
    source = sorted(SCHEMA_MIGRATIONS.glob("*.sql"))
    assert source, SCHEMA_MIGRATIONS
    folder = SCHEMA_MIGRATIONS.relative_to(ROOT).as_posix()
    with zipfile.ZipFile(wheel) as archive:
        carried = sorted(
            n for n in archive.namelist() if n.startswith(f"{folder}/") and n.endswith(".sql")
        )
        assert carried == [f"{folder}/{path.name}" for path in source]
        for path in source:
            assert archive.read(f"{folder}/{path.name}") == path.read_bytes(), path.name
        archive.extractall(tmp_path, members=carried)
    # The wheel's copies, read as `migrate` reads its folder: the same migrations, in order.
    from_wheel = read_migrations(str(tmp_path / folder))
    assert [m.id for m in from_wheel] == [m.id for m in read_migrations(str(SCHEMA_MIGRATIONS))]
    assert [m.id for m in from_wheel] == [path.stem for path in source]


# -- declared dependencies -------------------------------------------------------------------


def declared(group: str = "runtime") -> dict[str, Requirement]:
    """pyproject's requirements of one group ("runtime" or an extra), by canonical name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = (
        project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    )
    requirements = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in requirements}


def is_type_checking_block(node: ast.AST) -> TypeGuard[ast.If]:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported_modules(nodes: Iterable[ast.AST]) -> Iterator[str]:
    """Absolute imports' top-level names, leaving out `if TYPE_CHECKING:` (never run)."""
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0]
        if is_type_checking_block(node):
            yield from imported_modules(node.orelse)
        else:
            yield from imported_modules(ast.iter_child_nodes(node))


def third_party_imports() -> dict[str, set[str]]:
    """Each third-party top-level module the layers import, with the files importing it."""
    found: dict[str, set[str]] = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            for module in imported_modules([ast.parse(path.read_text(), str(path))]):
                if module in sys.stdlib_module_names or module in LAYERS:
                    continue
                found.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_module_the_layers_import_is_a_declared_runtime_dependency() -> None:
    distributions = importlib.metadata.packages_distributions()
    runtime = declared()
    undeclared = {}
    for module, files in third_party_imports().items():
        names = {canonicalize_name(d) for d in distributions.get(module, [])}
        if not names & runtime.keys():
            undeclared[module] = (sorted(names) or "not installed", sorted(files)[:3])
    assert not undeclared, f"imported but not in [project].dependencies: {undeclared}"


def test_the_walk_finds_the_imports_the_issue_named() -> None:
    # A guard on the walk itself: these are imported in function bodies and submodules.
    assert {"starlette", "psutil", "psycopg", "fastapi", "eventsourcing"} <= set(
        third_party_imports()
    )


def brought_by(requirement: Requirement) -> set[str]:
    """What an installed requirement brings with it, its requested extras included."""
    brought: set[str] = set()
    for line in importlib.metadata.requires(requirement.name) or []:
        dependency = Requirement(line)
        environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
        if dependency.marker is None or any(map(dependency.marker.evaluate, environments)):
            brought.add(canonicalize_name(dependency.name))
    return brought


def test_a_dependency_another_one_brings_is_declared_only_when_imported_directly() -> None:
    # psycopg[pool] brings psycopg-pool: naming it again only let the two ranges drift apart.
    # psycopg itself comes with eventsourcing[postgres] but stays declared: we import it.
    lines = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = [canonicalize_name(Requirement(line).name) for line in lines]
    assert len(names) == len(set(names)), names
    distributions = importlib.metadata.packages_distributions()
    imported = {
        canonicalize_name(d)
        for module in third_party_imports()
        for d in distributions.get(module, [])
    }
    runtime = declared()
    brought = {name: brought_by(r) for name, r in runtime.items()}
    twice = {
        name: sorted(by for by, theirs in brought.items() if name in theirs)
        for name in runtime.keys() - imported
        if any(name in theirs for theirs in brought.values())
    }
    assert not twice, f"declared but already brought by (and never imported): {twice}"
    assert not runtime.keys() & declared("dev").keys(), "dev repeats a runtime dependency"


# -- the locks -------------------------------------------------------------------------------


def pins(lock: Path) -> dict[str, str]:
    """A lock's requirement lines (continuations and comments dropped), by canonical name."""
    text = re.sub(r"\\\n", " ", lock.read_text())
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line.split(" --hash", 1)[0])
        found[canonicalize_name(requirement.name)] = str(requirement.specifier)
    return found


def test_every_lock_line_is_pinned_exactly_and_hashed() -> None:
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        for name, specifier in pins(lock).items():
            assert re.fullmatch(r"==[^,*]+", specifier), f"{lock.name}: {name}{specifier}"
        entries = re.sub(r"\\\n", " ", lock.read_text()).split("\n")
        unhashed = [e for e in entries if e[:1].isalnum() and "--hash=sha256:" not in e]
        assert not unhashed, f"{lock.name}: {unhashed}"


def test_the_runtime_lock_pins_every_runtime_dependency_within_its_range() -> None:
    assert_pinned_within_range(RUNTIME_LOCK, declared())


def test_the_dev_lock_pins_every_runtime_and_dev_dependency_within_its_range() -> None:
    assert_pinned_within_range(DEV_LOCK, declared() | declared("dev"))


def assert_pinned_within_range(lock: Path, requirements: dict[str, Requirement]) -> None:
    pinned = pins(lock)
    missing = sorted(requirements.keys() - pinned.keys())
    assert not missing, f"{lock.name} lacks {missing}: run `make lock`"
    for name, requirement in requirements.items():
        version = pinned[name].removeprefix("==")
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock.name} pins {name}=={version} outside {requirement}: run `make lock`"
        )


def test_the_two_locks_agree_on_every_package_they_share() -> None:
    runtime, dev = pins(RUNTIME_LOCK), pins(DEV_LOCK)
    assert runtime.keys() <= dev.keys(), sorted(runtime.keys() - dev.keys())
    differ = {name: (runtime[name], dev[name]) for name in runtime if runtime[name] != dev[name]}
    assert not differ, differ


def test_make_install_installs_the_dev_lock_then_the_project_without_resolving(
    tmp_path: Path,
) -> None:
    dry_run = subprocess.run(
        ["make", "--dry-run", "--always-make", "install", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    commands = [line for line in dry_run.splitlines() if " -m pip install" in line]
    assert len(commands) == 2, dry_run
    assert "--require-hashes" in commands[0] and f"-r {DEV_LOCK.name}" in commands[0]
    assert "--no-deps" in commands[1] and "-e ." in commands[1]


def test_the_install_stamp_is_renewed_when_pyproject_or_the_lock_changes() -> None:
    database = subprocess.run(
        ["make", "--print-data-base", "--question", "VENV=/nonexistent"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    (rule,) = re.findall(r"^/nonexistent/\.installed-stamp: (.*)$", database, re.MULTILINE)
    assert {"pyproject.toml", DEV_LOCK.name} <= set(rule.split())


def test_make_help_lists_every_target_with_what_it_does() -> None:
    listed = subprocess.run(
        ["make", "--silent", "help", "VENV=/nonexistent"],  # installs nothing
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    described = dict(re.findall(r"^  make (\S+) +(\S.*)$", listed, re.MULTILINE))
    (phony,) = re.findall(r"^\.PHONY: (.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert set(described) == set(phony.split()), listed
    assert described["run"].startswith("install, migrate, load the demo data and serve")


# -- the image -------------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = (line.strip() for line in text.splitlines())
    instructions = (line.split(None, 1) for line in lines if line and not line.startswith("#"))
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in instructions]


def test_the_image_runs_as_a_non_root_user_from_after_the_last_install() -> None:
    instructions = dockerfile()
    installs = [i for i, (op, args) in enumerate(instructions) if op == "RUN" and "install" in args]
    users = [(i, args.split()[0]) for i, (op, args) in enumerate(instructions) if op == "USER"]
    assert installs and users, instructions
    last_user_at, user = users[-1]
    assert user.partition(":")[0] not in {"root", "0"}, user
    assert last_user_at > installs[-1], "USER must come after the last RUN that installs"
    created = [args for op, args in instructions if op == "RUN" and "useradd" in args]
    assert any(re.search(rf"\b{re.escape(user)}\b", args) for args in created), created


def test_the_image_gives_its_user_the_data_directory() -> None:
    instructions = dockerfile()
    (workdir,) = [args for op, args in instructions if op == "WORKDIR"]
    data_dir = f"{workdir.rstrip('/')}/var"  # SUPERVISION_DATA_DIR defaults to ./var
    user = [args for op, args in instructions if op == "USER"][-1].split()[0]
    chowns = [args for op, args in instructions if op == "RUN" and "chown" in args]
    assert any(user in args and data_dir in args for args in chowns), chowns


def test_the_image_installs_the_runtime_lock_with_hashes_and_the_project_without_deps() -> None:
    instructions = dockerfile()
    copied = " ".join(args for op, args in instructions if op == "COPY")
    assert RUNTIME_LOCK.name in copied.split()
    runs = [args for op, args in instructions if op == "RUN" and "pip install" in args]
    assert any(f"-r {RUNTIME_LOCK.name}" in a and "--require-hashes" in a for a in runs), runs
    project_installs = [a for a in runs if re.search(r"pip install .*(?<!\S)\.(?!\S)", a)]
    assert project_installs and all("--no-deps" in a for a in project_installs), runs
