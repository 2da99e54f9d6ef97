#!/usr/bin/env python3
"""Fails when a module of src/ imports against the direction of dependencies (ARCHITECTURE.md).

Each top-level module has a layer; a module may use modules of lower layers and its own module,
never a module of its own or a higher layer. Inside one top-level module, files must not import
each other in a circle. Test code (`#[cfg(test)]` onwards) and `src/bin/` are not checked.

Services and handlers speak to the database through `db::Database` and `&dyn Sql` only (issue #21):
a file under src/services/ or src/http/ that names `rusqlite` fails.

    python3 tests/architecture/check_imports.py      (prints the violations; exit 1 if any)
"""
import collections
import os
import re
import sys

# Lowest first. A new top-level module must be placed here (the check fails until it is).
LAYERS = [
    ["domain"],  # pure types and rules, no I/O
    ["error", "config", "metrics"],  # usable from anywhere above the domain
    ["protocol", "search", "logging"],  # wire formats, the query language, log output set-up
    ["db", "store", "scan", "mail", "upstream", "auth", "directory", "oidc"],  # adapters to the outside world
    ["cache", "limits"],  # in-memory state over the adapters
    ["state"],  # the bundle of adapters services receive
    ["services"],  # use cases: every rule is decided here
    ["http", "jobs"],  # faces: extract, call a service, map the outcome
    ["app"],  # the composition root: builds the state, mounts http, starts jobs
    ["cli"],  # one file per sub-command, main.rs's dispatch
]
LEVEL = {name: i for i, names in enumerate(LAYERS) for name in names}
ROOT_FILES = {"lib", "main"}

# Layers that must not name the SQLite driver: their SQL goes through `db::` functions on `&dyn Sql`.
ENGINE_NEUTRAL = ("services", "http")

PATH = re.compile(r"crate::((?:[a-z_0-9]+::)*[a-z_0-9]+)")
GROUP = re.compile(r"crate::((?:[a-z_0-9]+::)*)\{([^}]*)\}", re.S)
SUPER = re.compile(r"super::((?:[a-z_0-9]+::)*[a-z_0-9]+)")


def modules(src):
    found = {}
    for folder, _, files in os.walk(src):
        if os.path.relpath(folder, src).split(os.sep)[0] == "bin":
            continue
        for name in files:
            if name.endswith(".rs"):
                path = os.path.join(folder, name)
                parts = os.path.relpath(path, src)[:-3].split(os.sep)
                is_mod = parts[-1] == "mod"
                if is_mod:
                    parts = parts[:-1]
                found["::".join(parts)] = (path, is_mod)
    return found


def references(text, module):
    code = text.split("#[cfg(test)]")[0]
    code = re.sub(r"//[^\n]*", "", code)  # comments name modules without using them
    refs = set(PATH.findall(code))
    for prefix, items in GROUP.findall(code):
        refs.update(prefix + item for item in re.findall(r"[a-z_0-9]+(?:::[a-z_0-9]+)*", items))
    # `super::x` names a sibling of this file (or of this folder, for a mod.rs).
    for r in SUPER.findall(code):
        refs.add("::".join(module.split("::")[:-1] + [r]))
    return refs


def resolve(ref, mods):
    parts = ref.split("::")
    for i in range(len(parts), 0, -1):
        name = "::".join(parts[:i])
        if name in mods:
            return name
    return None


def main():
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src")
    mods = modules(src)
    problems = []
    edges = collections.defaultdict(set)
    for module, (path, is_mod) in sorted(mods.items()):
        top = module.split("::")[0]
        if top in ROOT_FILES:
            continue
        if top not in LEVEL:
            problems.append(f"src/{top}: a new top-level module; place it in a layer in {__file__}")
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for ref in sorted(references(text, module)):
            target = resolve(ref, mods)
            if target is None or target == module or module.startswith(target + "::"):
                continue
            other = target.split("::")[0]
            if other != top:
                if other in LEVEL and LEVEL[other] >= LEVEL[top]:
                    problems.append(f"{os.path.relpath(path, os.path.dirname(src))}: {top} (layer {LEVEL[top]}) uses crate::{ref} ({other}, layer {LEVEL[other]})")
            else:
                edges[module].add(target)
    problems.extend(circles(edges))
    problems.extend(engine_neutral(mods, src))
    for p in problems:
        print(p)
    if problems:
        print(f"\n{len(problems)} problem(s): imports against the direction of dependencies, or the SQLite driver named in services/http (see ARCHITECTURE.md)")
        return 1
    print(f"imports follow the direction of dependencies ({len(mods)} modules checked)")
    return 0


def engine_neutral(mods, src):
    """`rusqlite` named in services or http."""
    found = []
    for module, (path, _) in sorted(mods.items()):
        if module.split("::")[0] not in ENGINE_NEUTRAL:
            continue
        with open(path, encoding="utf-8") as f:
            code = re.sub(r"//[^\n]*", "", f.read().split("#[cfg(test)]")[0])
        rel = os.path.relpath(path, os.path.dirname(src))
        if re.search(r"\brusqlite\b", code):
            found.append(f"{rel}: names rusqlite; take `&dyn Sql` and call a `db::` function (ARCHITECTURE.md)")
    return found


def circles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append("files import each other in a circle: " + " -> ".join(sorted(component)))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


if __name__ == "__main__":
    sys.exit(main())
