"""Languages compiled to a native binary (`./main`), in a compile box, then run from the cache."""

from __future__ import annotations

from dataclasses import replace

from .spec import Language

C = Language(
    id="c",
    label="C",
    implementation="GCC",
    aliases=("gcc", "c17"),
    extensions=(".c",),
    source_file="main.c",
    compile=("gcc", "-O2", "-std=gnu17", "-pipe", "-o", "main", "{options}", "{source}", "-lm"),
    run=("./main",),
    version_command=("gcc", "-dumpfullversion"),
    self_test='#include <stdio.h>\nint main(void){char s[64];scanf("%63s",s);printf("hello %s\\n",s);return 0;}\n',
    packages=("gcc",),
    judge0_ids=(50,),
)

CPP = Language(
    id="cpp",
    label="C++17",
    implementation="GCC",
    aliases=("c++", "g++", "cxx", "cc"),
    extensions=(".cpp", ".cc", ".cxx", ".c++"),
    source_file="main.cpp",
    compile=("g++", "-O2", "-std=c++17", "-pipe", "-o", "main", "{options}", "{source}", "-lm"),
    run=("./main",),
    version_command=("g++", "-dumpfullversion"),
    compile_memory_mb=1024,
    self_test="#include <iostream>\n#include <string>\nint main(){std::string s;std::cin>>s;std::cout<<\"hello \"<<s<<\"\\n\";}\n",
    precompiled_headers=("bits/stdc++.h", "iostream"),  # contest programs' first line; most others'
    packages=("g++",),
    judge0_ids=(52, 54),
)

# Clang, as a version of C and of C++: GCC's entry with the other compiler (same flags). No
# extensions of its own: a .c file is GCC's unless Clang is asked for.
_CLANG = {"implementation": "Clang", "extensions": (), "version_command": ("clang", "--version"),
          "packages": ("clang",), "precompiled_headers": ()}  # a .gch is GCC's own format
C_CLANG = replace(C, id="c-clang", family="c", aliases=("clang",), compile=("clang", *C.compile[1:]),
                  judge0_ids=(75,), **_CLANG)
# clang++ is a link to clang, which the sandbox runs by its real path: the driver mode says C++.
CPP_CLANG = replace(CPP, id="cpp-clang", family="cpp", aliases=("clang++",),
                    compile=("clang", "--driver-mode=g++", *CPP.compile[1:]), judge0_ids=(76,), **_CLANG)

# The compiler's cache lives in the compile box's /tmp (gone with it); no cgo, so no C toolchain.
GO = Language(
    id="go",
    label="Go",
    aliases=("golang",),
    extensions=(".go",),
    source_file="main.go",
    compile=("go", "build", "-o", "main", "{options}", "{source}"),
    run=("./main",),
    version_command=("go", "version"),
    env={"GOCACHE": "/tmp/go-build", "GOPATH": "/tmp/go", "CGO_ENABLED": "0", "GO111MODULE": "off",
         "GOFLAGS": "-buildvcs=false", "GOTOOLCHAIN": "local"},
    extra_processes=32,
    address_space_fallback=False,  # the runtime reserves its arenas up front
    memory_error_markers=("fatal error: runtime: out of memory",),
    crash_markers=("goroutine 1 [running]",),
    compile_memory_mb=1024,
    self_test='package main\nimport "fmt"\nfunc main(){var s string;fmt.Scan(&s);fmt.Println("hello " + s)}\n',
    packages=("golang-go",),
    judge0_ids=(60,),
)

RUST = Language(
    id="rust",
    label="Rust",
    aliases=("rs", "rustc"),
    extensions=(".rs",),
    source_file="main.rs",
    compile=("rustc", "-O", "--edition", "2021", "-C", "codegen-units=1", "-o", "main", "{options}", "{source}"),
    run=("./main",),
    version_command=("rustc", "--version"),
    extra_processes=16,
    memory_error_markers=("memory allocation of",),
    compile_memory_mb=1024,
    self_test="use std::io;\nfn main(){let mut s=String::new();io::stdin().read_line(&mut s).unwrap();"
    "println!(\"hello {}\", s.trim());}\n",
    packages=("rustc",),
    judge0_ids=(73,),
)

# Interface files go to the compile box's /tmp, so the artifact is the binary alone.
HASKELL = Language(
    id="haskell",
    label="Haskell",
    implementation="GHC",
    aliases=("hs", "ghc"),
    extensions=(".hs",),
    source_file="main.hs",
    compile=("ghc", "-O", "-outputdir", "/tmp/ghc", "-o", "main", "{options}", "{source}"),
    run=("./main",),
    version_command=("ghc", "--numeric-version"),
    extra_binds=("/var/lib/ghc",),  # the installed packages' database
    address_space_fallback=False,  # the RTS reserves a terabyte of address space
    memory_error_markers=("Heap exhausted",),
    compile_memory_mb=1024,
    self_test="main :: IO ()\nmain = getLine >>= \\s -> putStrLn (\"hello \" ++ s)\n",
    packages=("ghc",),
    judge0_ids=(61,),
)

OCAML = Language(
    id="ocaml",
    label="OCaml",
    aliases=("ml",),
    extensions=(".ml",),
    source_file="main.ml",
    compile=("ocamlopt", "-o", "main", "{options}", "{source}"),
    run=("./main",),
    version_command=("ocamlopt", "-version"),
    memory_error_markers=("Out_of_memory",),
    self_test="let () = Printf.printf \"hello %s\\n\" (read_line ())\n",
    packages=("ocaml-nox",),
    judge0_ids=(65,),
)

PASCAL = Language(
    id="pascal",
    label="Pascal",
    implementation="Free Pascal",
    aliases=("fpc", "pas"),
    extensions=(".pas", ".pp"),
    source_file="main.pas",
    compile=("fpc", "-O2", "-v0", "-omain", "{options}", "{source}"),
    run=("./main",),
    version_command=("fpc", "-iV"),
    extra_binds=("/etc/fpc.cfg", "/etc/fpc-*.cfg"),  # where the compiler finds its units
    memory_error_markers=("Runtime error 203",),
    self_test="program Hello;\nvar s: string;\nbegin\n  readln(s);\n  writeln('hello ', s);\nend.\n",
    packages=("fp-compiler",),
    judge0_ids=(67,),
)

FORTRAN = Language(
    id="fortran",
    label="Fortran",
    implementation="GFortran",
    aliases=("gfortran", "f90"),
    extensions=(".f90", ".f95", ".f03", ".f08"),
    source_file="main.f90",
    compile=("gfortran", "-O2", "-pipe", "-o", "main", "{options}", "{source}"),
    run=("./main",),
    version_command=("gfortran", "-dumpfullversion"),
    self_test="program hello\n  character(len=64) :: s\n  read(*,'(A)') s\n  print '(A)', 'hello ' // trim(s)\nend program hello\n",
    packages=("gfortran",),
    judge0_ids=(59,),
)

D = Language(
    id="d",
    label="D",
    implementation="GDC",
    aliases=("gdc", "dlang"),
    extensions=(".d",),
    source_file="main.d",
    compile=("gdc", "-O2", "-pipe", "-o", "main", "{options}", "{source}"),
    run=("./main",),
    version_command=("gdc", "-dumpfullversion"),
    extra_processes=8,
    memory_error_markers=("OutOfMemoryError",),
    compile_memory_mb=1024,
    self_test="import std.stdio, std.string;\nvoid main(){ writeln(\"hello \", readln().strip()); }\n",
    packages=("gdc",),
    judge0_ids=(56,),
)

COBOL = Language(
    id="cobol",
    label="COBOL",
    implementation="GnuCOBOL",
    aliases=("cobc", "cob"),
    extensions=(".cob", ".cbl"),
    source_file="main.cob",
    compile=("cobc", "-x", "-free", "-O2", "-o", "main", "{options}", "{source}"),
    run=("./main",),
    version_command=("cobc", "--version"),
    extra_binds=("/etc/gnucobol",),  # the compiler's and the runtime's configuration
    self_test="IDENTIFICATION DIVISION.\nPROGRAM-ID. HELLO.\nDATA DIVISION.\nWORKING-STORAGE SECTION.\n"
    "01 NAME PIC X(64).\nPROCEDURE DIVISION.\n    ACCEPT NAME.\n"
    "    DISPLAY \"hello \" FUNCTION TRIM(NAME).\n    STOP RUN.\n",
    packages=("gnucobol",),
    judge0_ids=(77,),
)

# Two steps, assemble then link: a fixed script (never request data) that gets the file name as $1.
NASM = Language(
    id="nasm",
    label="Assembly",
    implementation="NASM",
    aliases=("asm", "assembly"),
    extensions=(".asm", ".s"),
    source_file="main.asm",
    compile=("bash", "-c", 'nasm -f elf64 -o /tmp/main.o "$1" && ld -o main /tmp/main.o', "nasm", "{source}"),
    run=("./main",),
    version_command=("nasm", "-v"),
    self_test=(
        "section .bss\n  buf resb 64\nsection .data\n  hi db 'hello '\nsection .text\nglobal _start\n_start:\n"
        "  mov rax, 0\n  mov rdi, 0\n  mov rsi, buf\n  mov rdx, 64\n  syscall\n  mov r12, rax\n"
        "  mov rax, 1\n  mov rdi, 1\n  mov rsi, hi\n  mov rdx, 6\n  syscall\n"
        "  mov rax, 1\n  mov rdi, 1\n  mov rsi, buf\n  mov rdx, r12\n  syscall\n"
        "  mov rax, 60\n  xor rdi, rdi\n  syscall\n"
    ),
    packages=("nasm", "binutils"),
    judge0_ids=(45,),
)
