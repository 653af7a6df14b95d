#!/usr/bin/env python3
"""docs_check.py [KVSIM] — re-run every `$ kvsim ...` example of README.md
and docs/*.md and compare its output with the text the document shows.

An example is a code block (fenced with ``` or indented by 4 spaces) whose
first line is a command `$ kvsim ...` or `$ build/kvsim ...` (a `for` loop
that runs kvsim counts too). The lines after a command, up to the next
`$ ` line or the end of the block, are its expected output (stdout and
stderr together). In the expected text:
  - a line that is only `[...]` stands for any number of lines;
  - `[...]` inside a line stands for any text on that line.
Trailing spaces are ignored. Commands run through sh in a scratch
directory holding a copy of docs/examples/, a `build/kvsim` link and a
`models` link to the shipped models, with
`kvsim` on PATH, LC_ALL=C.UTF-8, XDG_STATE_HOME unset and a scratch HOME
that the output shows as /home/student.

KVSIM_UPDATE_DOCS=1 rewrites the expected output of every example that has
no `[...]` with what the command printed (look at the diff before you commit).
Exit status: 0 when every example matches, 1 otherwise. The last line is
"docs: N passed, M failed".
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_kvsim_command(cmd):
    return (cmd.startswith("kvsim ") or cmd == "kvsim" or cmd.startswith("build/kvsim")
            or (cmd.startswith("for ") and re.search(r"\bkvsim\b", cmd) is not None))


def blocks(lines):
    """Yield (start, end, indent) of code blocks: lines[start:end] are the
    block's content lines, each with `indent` leading characters to strip."""
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line.lstrip().startswith("```"):
            fence_indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < n and not lines[j].lstrip().startswith("```"):
                j += 1
            yield i + 1, j, fence_indent
            i = j + 1
            continue
        if line.startswith("    ") and line.strip() and (i == 0 or not lines[i - 1].strip()):
            j = i
            while j < n and (lines[j].startswith("    ") or not lines[j].strip()):
                j += 1
            while j > i and not lines[j - 1].strip():
                j -= 1
            yield i, j, 4
            i = j
            continue
        i += 1


def examples(path):
    """(line number, command, expected lines, first, last) of each example."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    for start, end, indent in blocks(lines):
        body = [l[indent:] if l[:indent].strip() == "" else l.lstrip() for l in lines[start:end]]
        if not body or not body[0].startswith("$ ") or not is_kvsim_command(body[0][2:]):
            continue
        k = 0
        while k < len(body):
            cmd = body[k][2:]
            first = k
            # a command continued with a trailing backslash
            while cmd.endswith("\\") and k + 1 < len(body):
                k += 1
                cmd = cmd[:-1] + " " + body[k].strip()
            k += 1
            exp_start = k
            while k < len(body) and not body[k].startswith("$ "):
                k += 1
            expected = body[exp_start:k]
            while expected and not expected[-1].strip():
                expected.pop()
            out.append((start + first + 1, cmd, expected, start + exp_start, start + exp_start + len(expected),
                        indent))
    return lines, out


def to_regex(expected):
    parts = []
    for line in expected:
        s = line.rstrip()
        if s.strip() == "[...]":
            parts.append("(?:[^\n]*\n)*?")
            continue
        pieces = [re.escape(p) for p in s.split("[...]")]
        parts.append("[^\n]*?".join(pieces) + "[ \t]*\n")
    return re.compile("".join(parts))


def normalize(text):
    return "".join(l.rstrip() + "\n" for l in text.rstrip("\n").split("\n")) if text.strip() else ""


def main():
    kvsim = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/kvsim"))
    update = os.environ.get("KVSIM_UPDATE_DOCS") == "1"
    work = tempfile.mkdtemp(prefix="kvsim-docs-")
    passed = failed = 0
    try:
        files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
        for path in files:
            lines, exs = examples(path)
            changed = False
            for lineno, cmd, expected, a, b, indent in reversed(exs):
                # a fresh scratch directory per example
                d = os.path.join(work, "run")
                shutil.rmtree(d, ignore_errors=True)
                ex = os.path.join(ROOT, "docs", "examples")
                if os.path.isdir(ex):
                    shutil.copytree(ex, d)
                else:
                    os.makedirs(d)
                os.makedirs(os.path.join(d, "build"), exist_ok=True)
                os.makedirs(os.path.join(d, "bin"), exist_ok=True)
                os.symlink(kvsim, os.path.join(d, "build", "kvsim"))
                os.symlink(kvsim, os.path.join(d, "bin", "kvsim"))
                # the shipped model, for examples that run it (--model models/default.kvsim)
                os.symlink(os.path.join(ROOT, "models"), os.path.join(d, "models"))
                env = {"PATH": os.path.join(d, "bin") + ":/usr/bin:/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
                       "HOME": os.path.join(work, "home"),
                       "KVSIM_LESSON_DIR": os.path.join(ROOT, "lessons"), "TERM": "dumb"}
                r = subprocess.run(["sh", "-c", cmd], cwd=d, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=300)
                got = normalize(r.stdout.decode("utf-8", "replace").replace(os.path.join(work, "home"), "/home/student"))
                want = normalize("\n".join(expected))
                rel = os.path.relpath(path, ROOT)
                if to_regex(expected).fullmatch(got):
                    passed += 1
                    continue
                if update and "[...]" not in want:
                    pad = " " * indent
                    lines[a:b] = [(pad + l if l else "") for l in got.rstrip("\n").split("\n")] if got else []
                    changed = True
                    print(f"updated: {rel}:{lineno}: $ {cmd}")
                    passed += 1
                    continue
                failed += 1
                print(f"FAIL: {rel}:{lineno}: $ {cmd}")
                import difflib
                for l in difflib.unified_diff(want.split("\n"), got.split("\n"), "document", "kvsim", lineterm="", n=2):
                    print("    " + l)
            if changed:
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"docs: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
