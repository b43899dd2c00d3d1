"""The graph algorithms of the loader: cycles (one per strongly connected component) and the
order in which the partitions run. Plain ``name -> names it depends on`` graphs; what the
nodes mean, and the issues a cycle raises, are the caller's (``_assemble``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["cycles", "layered_order"]


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One representative cycle per strongly connected component with a cycle (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            members = set(component)
            if len(component) > 1 or node in graph.get(node, ()):
                result.append(_one_cycle(graph, min(members), members))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def _one_cycle(graph: Mapping[str, set[str]], start: str, members: set[str]) -> list[str]:
    path, seen = [start], {start}
    node = start
    while True:
        nexts = sorted(n for n in graph.get(node, ()) if n in members)
        if start in nexts:
            return path
        step = next((n for n in nexts if n not in seen), None)
        if step is None:
            return path
        path.append(step)
        seen.add(step)
        node = step


def layered_order(first: str, nodes: Iterable[str], needs: Mapping[str, set[str]]) -> list[str]:
    """``first``, then the nodes layer by layer, each after every node it needs (``needs[node]``),
    in the given order within a layer. Nodes on or behind a cycle are left out (the caller
    reports the cycle)."""
    order = [first]
    placed = {first}
    remaining = list(nodes)
    while remaining:
        ready = [node for node in remaining if needs[node] <= placed]
        if not ready:
            break  # a cycle
        for node in ready:
            order.append(node)
            placed.add(node)
            remaining.remove(node)
    return order
