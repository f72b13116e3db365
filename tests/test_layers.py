"""The house's shape, read from the source: each layer imports only the ones below it (README, Layout).

Every import in dropout/ is read with `ast`, resolved to the dropout module it names, and checked
against the layers: rules/ and pdf/ are pure, the domain packages import no view, CLI or scheduler,
nothing in production imports the demo, no domain package reads `current_app`, and the domain
packages import one another without a cycle.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dropout"
DOMAINS = ("core", "children", "roster", "casework", "notices", "reporting", "accounts", "verification")
# What stands above the domain packages: pages, commands, the scheduler and what gathers from every area.
ABOVE = ("views", "cli", "scheduler", "jobs", "todo", "tasks", "forms", "case_forms", "auth", "security", "i18n")


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path):
    """The dropout modules a file imports (as dotted names, `from a import b` giving `a.b` when b is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                is_module = (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists() or (
                    PACKAGE.parent / candidate.replace(".", "/") / "__init__.py"
                ).exists()
                names.add(candidate if is_module else base)
    return {name for name in names if name == "dropout" or name.startswith("dropout.")}


def area(module):
    """The first part under dropout/ ('views', 'notices', 'models', …), or '' for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


SOURCES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
IMPORTS = {module: imports_of(path) for module, path in SOURCES.items()}


def offenders(importers, forbidden):
    return sorted(
        f"{module} imports {target}"
        for module, targets in IMPORTS.items()
        if importers(module)
        for target in targets
        if forbidden(target)
    )


def test_the_reader_resolves_relative_imports():
    """The guard below is only as good as this reader: it must see the package's own imports."""
    assert "dropout.core.errors" in IMPORTS["dropout.casework.cases"]
    assert "dropout.models" in IMPORTS["dropout.casework.cases"]
    assert any(target.startswith("dropout.casework") for target in IMPORTS["dropout.views.cases"])


def test_rules_and_pdf_are_pure():
    """rules/ imports only rules/; pdf/ only pdf/ and rules/: plain data in, no models, no database."""
    assert offenders(lambda m: area(m) == "rules", lambda t: area(t) != "rules") == []
    assert offenders(lambda m: area(m) == "pdf", lambda t: area(t) not in ("pdf", "rules")) == []


def test_domain_packages_import_nothing_above_them():
    assert offenders(lambda m: area(m) in DOMAINS, lambda t: area(t) in ABOVE + ("demo",)) == []


def test_nothing_in_production_imports_the_demo():
    """Only the demo itself and the CLI's `demo` command load dropout/demo/."""
    assert offenders(lambda m: area(m) not in ("demo", "cli"), lambda t: area(t) == "demo") == []


@pytest.mark.parametrize("domain", DOMAINS + ("demo",))
def test_no_domain_package_reads_the_flask_app(domain):
    """Settings are passed in (or read at the edge): a service runs the same from a page, a job and a test."""
    readers = [
        module
        for module, path in SOURCES.items()
        if area(module) == domain and "current_app" in path.read_text(encoding="utf-8")
    ]
    assert readers == []


def test_the_domain_packages_form_no_cycle():
    """Package to package, the imports go one way: a cycle would mean two areas that cannot be read apart."""
    edges = {domain: set() for domain in DOMAINS}
    for module, targets in IMPORTS.items():
        if area(module) in DOMAINS:
            edges[area(module)].update(area(t) for t in targets if area(t) in DOMAINS and area(t) != area(module))
    state = {}

    def visit(node, path):
        if state.get(node) == "open":
            return path[path.index(node) :] + [node]
        if state.get(node) == "done":
            return None
        state[node] = "open"
        for successor in sorted(edges[node]):
            cycle = visit(successor, path + [node])
            if cycle:
                return cycle
        state[node] = "done"
        return None

    cycle = next((found for found in (visit(domain, []) for domain in DOMAINS) if found), None)
    assert cycle is None, " → ".join(cycle)
