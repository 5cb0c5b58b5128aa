#!/usr/bin/env python3
"""Fails when a file of a lower layer includes a header of a higher one (DESIGN.md: layers that
only look down), or when a layer's CMakeLists.txt links a higher layer's library.

The order, lowest first (a layer may include its own headers and those of any lower rank):

    sip < net < txn < store < {registrar, im, security} < proxy < sbc < server < {client, app}

Peers share a rank and may include one another only along PEER_EDGES, which must stay acyclic
(checked below): registrar is the lowest of its peers (the rules of RFC 3261 §10 over the
location store's Binding); im delivers stored MESSAGEs to registrar bindings (binding_hop), and
security judges REGISTERs the way the registrar takes them (registrar::registers_for), so both
may include registrar/, never the other way round; im and security do not include each other.
client and app are the two front ends: app (the `osprey` subcommands) runs the client tools,
the client never reaches into app.

Usage:
    check_layers.py SRC_DIR     check every file under SRC_DIR/<layer>/ (exit 1 on a violation)
    check_layers.py --self-check
                                runs the checker on small trees with known violations and known
                                allowed includes, so a checker that cannot fail fails itself
"""

import pathlib
import re
import sys
import tempfile

RANKS = {
    "sip": 0,
    "net": 1,
    "txn": 2,
    "store": 3,
    "registrar": 4,
    "im": 4,
    "security": 4,
    "proxy": 5,
    "sbc": 6,
    "server": 7,
    "client": 8,
    "app": 8,
}

# Includes allowed between layers of one rank: (from, to).
PEER_EDGES = {
    ("im", "registrar"),
    ("security", "registrar"),
    ("app", "client"),
}

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([a-z_]+)/[^">]+[">]')
LINKED_LAYER = re.compile(r"\bosprey_([a-z_]+)\b")
SOURCE_SUFFIXES = {".hpp", ".cpp", ".h", ".cc", ".ipp"}


def allowed(from_layer, to_layer):
    if from_layer == to_layer:
        return True
    if RANKS[to_layer] < RANKS[from_layer]:
        return True
    return RANKS[to_layer] == RANKS[from_layer] and (from_layer, to_layer) in PEER_EDGES


def peer_edges_are_acyclic():
    """True when PEER_EDGES has no cycle (a peer may not, through others, include itself)."""
    def reaches(start, goal, seen):
        for a, b in PEER_EDGES:
            if a == start and b not in seen:
                if b == goal or reaches(b, goal, seen | {b}):
                    return True
        return False
    return not any(reaches(layer, layer, set()) for layer in RANKS)


def violations(src_dir):
    """Every forbidden include or link under src_dir, as readable lines."""
    src = pathlib.Path(src_dir)
    found = []
    if not peer_edges_are_acyclic():
        found.append("PEER_EDGES has a cycle")
    for layer_dir in sorted(p for p in src.iterdir() if p.is_dir()):
        layer = layer_dir.name
        if layer not in RANKS:
            found.append(f"{layer_dir}: layer '{layer}' is not in the order (add it to RANKS)")
            continue
        for path in sorted(layer_dir.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES:
                for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    match = INCLUDE.match(line)
                    if match and match.group(1) in RANKS and not allowed(layer, match.group(1)):
                        found.append(f"{path}:{number}: {layer} includes {match.group(1)}/ ({line.strip()})")
            elif path.name == "CMakeLists.txt":
                for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    code = line.split("#", 1)[0]
                    for linked in LINKED_LAYER.findall(code):
                        if linked in RANKS and not allowed(layer, linked):
                            found.append(f"{path}:{number}: {layer} links osprey_{linked}")
    return found


def self_check():
    """The checker flags what it must and passes what it must; returns the failures."""
    must_flag = {
        "store/packed.hpp": '#include "registrar/binding.hpp"\n',  # a lower layer, a higher header
        "sip/uri.cpp": "#include <net/flow.hpp>\n",  # angle brackets count too
        "registrar/rules.cpp": '  #  include "im/delivery.hpp"\n',  # peers only along PEER_EDGES
        "client/tool.cpp": '#include "app/config.hpp"\n',
        "txn/CMakeLists.txt": "target_link_libraries(osprey_txn PUBLIC osprey_proxy)\n",
        "cluster/peer.cpp": '#include "sip/message.hpp"\n',  # a layer not in the order
        "proxy/core.cpp": '#include "sbc/b2bua.hpp"\n',  # the proxy never reaches into the SBC
    }
    must_pass = {
        "im/hop.cpp": '#include "registrar/binding_hop.hpp"\n#include "store/binding.hpp"\n',
        "security/stage.cpp": '#include "net/flow.hpp"\n#include "sip/message.hpp"\n',
        "proxy/stage.cpp": '#include "security/access.hpp"\n#include "registrar/aor.hpp"\n#include "im/x.hpp"\n',
        "sbc/b2bua.cpp": '#include "proxy/request_stage.hpp"\n#include "txn/transaction_table.hpp"\n',
        "app/main.cpp": '#include "client/tool.hpp"\n#include <boost/asio.hpp>\n',
        "sip/aor.cpp": '// #include "registrar/aor.hpp" in a comment is no include\n#include <string>\n',
        "store/CMakeLists.txt": "# the registrar (osprey_registrar) fills it in\n"
                                "target_link_libraries(osprey_store PRIVATE osprey_sip)\n",
    }
    failures = []
    if not peer_edges_are_acyclic():
        failures.append("PEER_EDGES has a cycle")
    for name, text in must_flag.items():
        with tempfile.TemporaryDirectory() as tree:
            path = pathlib.Path(tree, name)
            path.parent.mkdir(parents=True)
            path.write_text(text)
            if not violations(tree):
                failures.append(f"not flagged: {name}: {text.strip()}")
    with tempfile.TemporaryDirectory() as tree:
        for name, text in must_pass.items():
            path = pathlib.Path(tree, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        failures.extend(f"flagged wrongly: {line}" for line in violations(tree))
    return failures


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-check":
        failures = self_check()
        for line in failures:
            print(line)
        print("self-check:", "FAILED" if failures else "ok")
        return 1 if failures else 0
    if len(argv) != 2:
        print(__doc__)
        return 2
    found = violations(argv[1])
    for line in found:
        print(line)
    print(f"{len(found)} layering violation(s)" if found else "layering: ok")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
