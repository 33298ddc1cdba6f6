#!/usr/bin/python3
"""Generates the Python stubs of benchlab.v1 with Debian's python3-grpc-tools.

    make_python_stubs.py PROTO_ROOT OUT_DIR

Debian bookworm's grpc_tools (1.14) bundles protoc 3.5, which predates proto3 `optional`.
A proto3 `optional T name = N;` is, by definition, a field in a oneof of its own named
`_name` (protobuf's "synthetic oneof"): same wire format, same JSON, same HasField(). So
the protos are copied to a scratch folder with each `optional` field spelled as that
oneof, and grpc_tools compiles the copies. The runtime (python3-protobuf 3.21) reads the
resulting descriptors like those of the original files.
"""
import os
import re
import sys
import tempfile

from grpc_tools import protoc

OPTIONAL_FIELD = re.compile(
    r"^(?P<indent>\s*)optional\s+(?P<type>[A-Za-z0-9_.]+)\s+(?P<name>[A-Za-z0-9_]+)"
    r"\s*=\s*(?P<number>\d+)\s*;", re.MULTILINE)


def spell_optional_as_oneof(text):
    return OPTIONAL_FIELD.sub(
        lambda m: "{indent}oneof _{name} {{ {type} {name} = {number}; }}".format(**m.groupdict()),
        text)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: make_python_stubs.py PROTO_ROOT OUT_DIR\n")
        return 2
    proto_root, out_dir = argv[1], argv[2]
    protos = []
    with tempfile.TemporaryDirectory(prefix="benchlab-protos-") as scratch:
        for folder, _, files in os.walk(proto_root):
            for name in sorted(files):
                if not name.endswith(".proto"):
                    continue
                relative = os.path.relpath(os.path.join(folder, name), proto_root)
                with open(os.path.join(proto_root, relative), encoding="utf-8") as source:
                    text = spell_optional_as_oneof(source.read())
                os.makedirs(os.path.join(scratch, os.path.dirname(relative)), exist_ok=True)
                with open(os.path.join(scratch, relative), "w", encoding="utf-8") as copy:
                    copy.write(text)
                protos.append(relative)
        os.makedirs(out_dir, exist_ok=True)
        # protoc.main takes argv with the program name first; it returns protoc's exit code.
        # grpc_tools' own folder holds google/protobuf/*.proto, as `python3 -m
        # grpc_tools.protoc` adds it.
        well_known = os.path.join(os.path.dirname(protoc.__file__), "_proto")
        code = protoc.main(["protoc", "-I", scratch, "-I", well_known, "--python_out=" + out_dir,
                            "--grpc_python_out=" + out_dir] + sorted(protos))
    if code != 0:
        sys.stderr.write("make_python_stubs.py: grpc_tools.protoc failed (exit %d)\n" % code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
