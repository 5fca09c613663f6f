#!/usr/bin/env bash
# Installs the languages beyond the core five: their Debian packages, and TypeScript from npm
# (its lock file, under /usr/local/lib/codearena/typescript, which boxes can read). Idempotent.
# The package list is the catalog's (`packages=` of each entry in src/codearena/languages/);
# a unit test checks the two agree. Without root it names what is missing and fails.
set -euo pipefail
. "$(dirname "$0")/lib/apt.sh"

# One line per language: its Debian packages.
PACKAGES=(
    pypy3                    # Python (PyPy)
    clang                    # C and C++ (Clang)
    golang-go                # Go
    rustc                    # Rust
    ghc                      # Haskell
    ocaml-nox                # OCaml
    fp-compiler              # Pascal
    gfortran                 # Fortran
    gdc                      # D
    gnucobol                 # COBOL
    nasm binutils            # Assembly
    ruby                     # Ruby
    php-cli                  # PHP
    perl                     # Perl
    lua5.4                   # Lua
    bash                     # Bash
    r-base-core              # R
    sqlite3                  # SQL
    swi-prolog-nox           # Prolog
    sbcl                     # Common Lisp
    kotlin                   # Kotlin
    scala                    # Scala
    mono-mcs mono-runtime    # C#
    elixir                   # Elixir
    erlang-base              # Erlang
)

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
apt_install "codearena languages" "${missing[@]}"

# TypeScript (npm, from the lock file): tsc and Node's type definitions, where a box can read them.
lock="$(cd "$(dirname "$0")" && pwd)/typescript"
prefix=/usr/local/lib/codearena/typescript
if [ ! -f "$prefix/node_modules/.package-lock.json" ] || [ "$lock/package-lock.json" -nt "$prefix/node_modules/.package-lock.json" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "codearena languages: TypeScript is not installed in $prefix (run this as root)" >&2
        exit 1
    fi
    mkdir -p "$prefix"
    cp "$lock/package.json" "$lock/package-lock.json" "$prefix/"
    (cd "$prefix" && npm ci --silent --no-audit --no-fund --ignore-scripts >/dev/null)
    chmod -R a+rX "$prefix"
fi
