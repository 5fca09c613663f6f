"""Small programs in every language of the catalog, for the tests that run all of them."""

# Exits with status 3 (a runtime error with its code).
EXIT_3 = {
    "python": "import sys; sys.exit(3)",
    "pypy": "import sys; sys.exit(3)",
    "javascript": "process.exit(3)",
    "typescript": "process.exit(3);",
    "c": "int main(void){return 3;}",
    "c-clang": "int main(void){return 3;}",
    "cpp": "int main(){return 3;}",
    "cpp-clang": "int main(){return 3;}",
    "java": "public class Main{public static void main(String[] a){System.exit(3);}}",
    "kotlin": "import kotlin.system.exitProcess\nfun main() { exitProcess(3) }\n",
    "scala": "object Main { def main(a: Array[String]): Unit = sys.exit(3) }\n",
    "csharp": "class P { static int Main() { return 3; } }\n",
    "go": "package main\nimport \"os\"\nfunc main(){ os.Exit(3) }\n",
    "rust": "fn main(){ std::process::exit(3); }\n",
    "ruby": "exit 3\n",
    "php": "<?php exit(3);\n",
    "perl": "exit 3;\n",
    "lua": "os.exit(3)\n",
    "bash": "exit 3\n",
    "multi-file": "exit 3\n",  # a project's source is its run script
    "r": "quit(status = 3)\n",
    "sqlite": ".exit 3\n",
    "haskell": "import System.Exit\nmain :: IO ()\nmain = exitWith (ExitFailure 3)\n",
    "ocaml": "let () = exit 3\n",
    "pascal": "program P;\nbegin\n  halt(3);\nend.\n",
    "fortran": "program p\n  call exit(3)\nend program p\n",
    "d": "int main(){ return 3; }\n",
    "cobol": "IDENTIFICATION DIVISION.\nPROGRAM-ID. P.\nPROCEDURE DIVISION.\n    STOP RUN RETURNING 3.\n",
    "nasm": "section .text\nglobal _start\n_start:\n  mov rax, 60\n  mov rdi, 3\n  syscall\n",
    "lisp": "(sb-ext:exit :code 3)\n",
    "prolog": ":- initialization(main, main).\nmain :- halt(3).\n",
    "elixir": "System.halt(3)\n",
    "erlang": "%% first line\nmain(_) -> halt(3).\n",
}

# Spins on the CPU forever (time: TLE at the CPU limit).
SPIN = {
    "python": "while True: pass",
    "pypy": "while True: pass",
    "javascript": "for (;;) {}",
    "typescript": "let n: number = 0;\nfor (;;) { n++; }\n",
    "c": "int main(void){ volatile int x = 0; for(;;) x++; }",
    "c-clang": "int main(void){ volatile int x = 0; for(;;) x++; }",
    "cpp": "int main(){ volatile int x = 0; for(;;) x++; }",
    "cpp-clang": "int main(){ volatile int x = 0; for(;;) x++; }",
    "java": "public class Main{public static void main(String[] a){long x=0;for(;;)x++;}}",
    "kotlin": "fun main() { var x = 0L\n while (true) { x++ } }\n",
    "scala": "object Main { def main(a: Array[String]): Unit = { var x = 0L; while (true) x += 1 } }\n",
    "csharp": "class P { static void Main() { long x = 0; while (true) x++; } }\n",
    "go": "package main\nfunc main(){ x := 0; for { x++ } }\n",
    "rust": "fn main(){ loop {} }\n",
    "ruby": "loop { }\n",
    "php": "<?php while (true) {}\n",
    "perl": "1 while 1;\n",
    "lua": "while true do end\n",
    "bash": "while :; do :; done\n",
    "multi-file": "while :; do :; done\n",
    "r": "repeat {}\n",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n",
    "haskell": "spin :: Int -> Int\nspin n = spin (n + 1)\n\nmain :: IO ()\nmain = print (spin 0)\n",
    "ocaml": "let rec spin n = spin (n + 1)\nlet () = spin 0\n",
    "pascal": "program P;\nvar x: int64;\nbegin\n  x := 0;\n  while true do x := x + 1;\nend.\n",
    "fortran": "program p\n  integer(8) :: x\n  x = 0\n  do\n    x = x + 1\n  end do\nend program p\n",
    "d": "void main(){ for (;;) {} }\n",
    "cobol": "IDENTIFICATION DIVISION.\nPROGRAM-ID. P.\nPROCEDURE DIVISION.\n    PERFORM UNTIL 1 = 0\n        CONTINUE\n    END-PERFORM.\n    STOP RUN.\n",
    "nasm": "section .text\nglobal _start\n_start:\n  jmp _start\n",
    "lisp": "(loop)\n",
    "prolog": ":- initialization(main, main).\nmain :- repeat, fail.\n",
    "elixir": "defmodule Spin do\n  def forever(n), do: forever(n + 1)\nend\nSpin.forever(0)\n",
    "erlang": "%% first line\nmain(_) -> spin(0).\nspin(N) -> spin(N + 1).\n",
}

# Allocates and touches memory without end (memory: MLE at the memory limit).
MEMORY = {
    "python": "a = []\nwhile True: a.append(bytearray(1 << 20))",
    "pypy": "a = []\nwhile True: a.append(bytearray(1 << 20))",
    "javascript": "const a = []; while (true) a.push(Buffer.alloc(1 << 20, 1));",
    "typescript": "const a: Buffer[] = [];\nwhile (true) a.push(Buffer.alloc(1 << 20, 1));\n",
    "c": "#include <stdlib.h>\n#include <string.h>\nint main(void){ for(;;){ char *p = malloc(1<<20); if(!p) return 1; memset(p, 1, 1<<20);} }",
    "c-clang": "#include <stdlib.h>\nint main(void){ for(;;){ volatile char *p = malloc(1<<20); if(!p) return 1;"
               " for (int i = 0; i < (1<<20); i += 4096) p[i] = 1; } }",
    "cpp": "#include <vector>\nint main(){ std::vector<std::vector<char>> v; for(;;) v.emplace_back(1<<20, 'x'); }",
    "cpp-clang": "#include <vector>\nint main(){ std::vector<std::vector<char>> v; for(;;) v.emplace_back(1<<20, 'x'); }",
    "java": "import java.util.*;\npublic class Main{public static void main(String[] a){List<long[]> l=new ArrayList<>();for(;;)l.add(new long[1<<17]);}}",
    "kotlin": "fun main() { val l = ArrayList<LongArray>()\n while (true) l.add(LongArray(1 shl 17) { 1L }) }\n",
    "scala": "object Main { def main(a: Array[String]): Unit = { val l = new java.util.ArrayList[Array[Long]]()\n"
             "  while (true) l.add(Array.fill(1 << 17)(1L)) } }\n",
    "csharp": "using System.Collections.Generic;\nclass P { static void Main() { var l = new List<long[]>();\n"
              "  while (true) { var b = new long[1 << 17]; for (int i = 0; i < b.Length; i += 512) b[i] = 1; l.Add(b); } } }\n",
    "go": "package main\nfunc main(){ var l [][]byte; for { b := make([]byte, 1<<20); for i := range b { b[i] = 1 }; l = append(l, b) } }\n",
    "rust": "fn main(){ let mut l: Vec<Vec<u8>> = Vec::new(); loop { l.push(vec![1u8; 1 << 20]); } }\n",
    "ruby": "a = []\nloop { a << ('x' * (1 << 20)) }\n",
    "php": "<?php $a = [];\nwhile (true) $a[] = str_repeat('x', 1 << 20);\n",
    "perl": "my @a;\nwhile (1) { push @a, 'x' x (1 << 20); }\n",
    "lua": "local t = {}\nwhile true do t[#t + 1] = string.rep('x', 1 << 20) .. #t end\n",
    "bash": "s=x\nwhile :; do s=$s$s; done\n",
    "multi-file": "s=x\nwhile :; do s=$s$s; done\n",
    "r": "l <- list()\nrepeat { l[[length(l) + 1]] <- runif(1e5) }\n",
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT group_concat(printf('%0100d', x)) FROM c;\n",
    "haskell": "import qualified Data.Map.Strict as M\nmain :: IO ()\nmain = print (M.size (M.fromList [(i, i) | i <- [1 :: Int ..]]))\n",
    "ocaml": "let () = let l = ref [] in while true do l := Bytes.make (1 lsl 20) 'x' :: !l done\n",
    "pascal": "program Hog;\nvar p: PByte;\nbegin\n  while true do begin\n    GetMem(p, 1 shl 20);\n    FillChar(p^, 1 shl 20, 1);\n  end;\nend.\n",
    "fortran": "program p\n  integer, pointer :: a(:)\n  do\n    allocate(a(262144))\n    a = 1\n  end do\nend program p\n",
    "d": "void main(){ ubyte[][] l; for (;;) { auto b = new ubyte[1 << 20]; b[] = 1; l ~= b; } }\n",
    "cobol": None,
    "nasm": ("section .text\nglobal _start\n_start:\n  mov rax, 12\n  xor rdi, rdi\n  syscall\n  mov rbx, rax\n"
             "grow:\n  add rbx, 4096\n  mov rax, 12\n  mov rdi, rbx\n  syscall\n  mov byte [rbx - 1], 1\n  jmp grow\n"),
    "lisp": "(defvar *l* nil)\n(loop (push (make-array (* 1024 1024) :element-type '(unsigned-byte 8) :initial-element 1) *l*))\n",
    "prolog": ":- initialization(main, main).\nmain :- numlist(1, 100000000, L), msort(L, S), length(S, N), print(N).\n",
    "elixir": "Stream.iterate([], fn l -> [:binary.copy(<<1>>, 1_048_576) | l] end) |> Stream.run()\n",
    "erlang": "%% first line\nmain(_) -> grow([]).\ngrow(L) -> grow([binary:copy(<<1>>, 1048576) | L]).\n",
}

# -- containment: each program shows that its language's way of doing the thing works where it
# is allowed, then tries it where it is not. None: the language has no way to do it installed.

_C_FILES = ('#include <stdio.h>\nint main(void){ FILE *f = fopen("inside.txt", "w"); fputs("in", f); fclose(f);\n'
            '  char b[8] = {0}; f = fopen("inside.txt", "r"); fgets(b, 8, f); puts(b); fflush(stdout);\n'
            '  f = fopen("@OUTSIDE@", "w"); if (f) { fputs("x", f); fclose(f); } return 0; }\n')
_PY_FILES = ("with open('inside.txt', 'w') as f:\n    f.write('in')  # PyPy closes a file only when told\n"
             "print(open('inside.txt').read(), flush=True)\n"
             "open('@OUTSIDE@', 'w').write('x')\n")
_JS_FILES = ("fs.writeFileSync('inside.txt', 'in');\nconsole.log(fs.readFileSync('inside.txt', 'utf8'));\n"
             "fs.writeFileSync('@OUTSIDE@', 'x');\n")
_SH_FILES = "printf in > inside.txt\ncat inside.txt; echo\necho x > '@OUTSIDE@'\n"

# Writes `in` to inside.txt in its directory and prints it back (stdout starts with "in"), then
# writes to @OUTSIDE@, a path outside the box: that file must never appear on the host.
FILES = {
    "python": _PY_FILES,
    "pypy": _PY_FILES,
    "javascript": "const fs = require('fs');\n" + _JS_FILES,
    "typescript": "import * as fs from 'fs';\n" + _JS_FILES,
    "c": _C_FILES, "c-clang": _C_FILES, "cpp": _C_FILES, "cpp-clang": _C_FILES,
    "java": "import java.nio.file.*;\npublic class Main{public static void main(String[] a) throws Exception {\n"
            "  Files.writeString(Path.of(\"inside.txt\"), \"in\");\n"
            "  System.out.println(Files.readString(Path.of(\"inside.txt\"))); System.out.flush();\n"
            "  Files.writeString(Path.of(\"@OUTSIDE@\"), \"x\"); }}\n",
    "kotlin": "import java.io.File\nfun main() {\n  File(\"inside.txt\").writeText(\"in\")\n"
              "  println(File(\"inside.txt\").readText()); System.out.flush()\n  File(\"@OUTSIDE@\").writeText(\"x\")\n}\n",
    "scala": "import java.nio.file._\nobject Main { def main(a: Array[String]): Unit = {\n"
             "  Files.write(Paths.get(\"inside.txt\"), \"in\".getBytes)\n"
             "  println(new String(Files.readAllBytes(Paths.get(\"inside.txt\")))); System.out.flush()\n"
             "  Files.write(Paths.get(\"@OUTSIDE@\"), \"x\".getBytes) } }\n",
    "csharp": "using System.IO;\nclass P { static void Main() {\n  File.WriteAllText(\"inside.txt\", \"in\");\n"
              "  System.Console.WriteLine(File.ReadAllText(\"inside.txt\")); System.Console.Out.Flush();\n"
              "  File.WriteAllText(\"@OUTSIDE@\", \"x\"); } }\n",
    "go": "package main\nimport (\n\t\"fmt\"\n\t\"os\"\n)\nfunc main() {\n\tos.WriteFile(\"inside.txt\", []byte(\"in\"), 0644)\n"
          "\tb, _ := os.ReadFile(\"inside.txt\")\n\tfmt.Println(string(b))\n\tos.WriteFile(\"@OUTSIDE@\", []byte(\"x\"), 0644)\n}\n",
    "rust": "use std::fs;\nfn main() {\n  fs::write(\"inside.txt\", \"in\").unwrap();\n"
            "  println!(\"{}\", fs::read_to_string(\"inside.txt\").unwrap());\n  let _ = fs::write(\"@OUTSIDE@\", \"x\");\n}\n",
    "ruby": "File.write('inside.txt', 'in')\nputs File.read('inside.txt')\n$stdout.flush\nFile.write('@OUTSIDE@', 'x')\n",
    "php": "<?php file_put_contents('inside.txt', 'in');\necho file_get_contents('inside.txt'), \"\\n\";\n"
           "file_put_contents('@OUTSIDE@', 'x');\n",
    "perl": "open(my $f, '>', 'inside.txt') or die; print $f 'in'; close $f;\nopen($f, '<', 'inside.txt') or die;\n"
            "$| = 1; print <$f>, \"\\n\";\nopen(my $o, '>', '@OUTSIDE@') and print $o 'x';\n",
    "lua": "local f = io.open('inside.txt', 'w'); f:write('in'); f:close()\nprint(io.open('inside.txt'):read('a'))\n"
           "io.stdout:flush()\nlocal o = io.open('@OUTSIDE@', 'w'); if o then o:write('x'); o:close() end\n",
    "bash": _SH_FILES,
    "multi-file": _SH_FILES,
    "r": "writeLines('in', 'inside.txt')\ncat(readLines('inside.txt'), '\\n', sep = '')\nwriteLines('x', '@OUTSIDE@')\n",
    # File locks are refused in boxes (a covert channel between them): SQLite opens files without.
    "sqlite": "ATTACH DATABASE 'file:inside.db?vfs=unix-none' AS i;\nCREATE TABLE i.t(x);\nINSERT INTO i.t VALUES ('in');\nSELECT x FROM i.t;\n"
              "ATTACH DATABASE 'file:@OUTSIDE@?vfs=unix-none' AS o;\nCREATE TABLE o.t(x);\n",
    "haskell": "import System.IO\nmain :: IO ()\nmain = do\n  writeFile \"inside.txt\" \"in\"\n  s <- readFile \"inside.txt\"\n"
               "  putStrLn s\n  hFlush stdout\n  writeFile \"@OUTSIDE@\" \"x\"\n",
    "ocaml": "let () =\n  let o = open_out \"inside.txt\" in output_string o \"in\"; close_out o;\n"
             "  let i = open_in \"inside.txt\" in print_endline (input_line i); flush stdout;\n"
             "  let o = open_out \"@OUTSIDE@\" in output_string o \"x\"; close_out o\n",
    "pascal": "program P;\nvar f: text; s: string;\nbegin\n  assign(f, 'inside.txt'); rewrite(f); write(f, 'in'); close(f);\n"
              "  assign(f, 'inside.txt'); reset(f); readln(f, s); close(f); writeln(s); flush(output);\n"
              "  assign(f, '@OUTSIDE@'); {$I-} rewrite(f); {$I+}\n  if ioresult = 0 then begin write(f, 'x'); close(f); end;\nend.\n",
    "fortran": "program p\n  character(len=8) :: s\n  integer :: i\n  open(10, file='inside.txt', status='replace')\n"
               "  write(10, '(a)') 'in'\n  close(10)\n  open(10, file='inside.txt', status='old')\n  read(10, '(a)') s\n"
               "  close(10)\n  print '(a)', trim(s)\n  flush(6)\n  open(11, file='@OUTSIDE@', status='replace', iostat=i)\n"
               "  if (i == 0) write(11, '(a)') 'x'\nend program p\n",
    "d": "import std.stdio;\nstatic import std.file;\nvoid main() {\n  std.file.write(\"inside.txt\", \"in\");\n"
         "  writeln(std.file.readText(\"inside.txt\")); stdout.flush();\n  std.file.write(\"@OUTSIDE@\", \"x\");\n}\n",
    # libcob's lock on a file it opens fails (status 30: locks are refused in boxes); the file is open.
    "cobol": ("IDENTIFICATION DIVISION.\nPROGRAM-ID. P.\nENVIRONMENT DIVISION.\nINPUT-OUTPUT SECTION.\nFILE-CONTROL.\n"
              "    SELECT INSIDE-FILE ASSIGN TO \"inside.txt\" ORGANIZATION LINE SEQUENTIAL\n"
              "        FILE STATUS IS WS-IN.\n"
              "    SELECT OUTSIDE-FILE ASSIGN TO \"@OUTSIDE@\" ORGANIZATION LINE SEQUENTIAL\n"
              "        FILE STATUS IS WS-STATUS.\nDATA DIVISION.\nFILE SECTION.\nFD INSIDE-FILE.\n01 IN-REC PIC X(2).\n"
              "FD OUTSIDE-FILE.\n01 OUT-REC PIC X(1).\nWORKING-STORAGE SECTION.\n01 WS-STATUS PIC XX.\n01 WS-IN PIC XX.\n"
              "PROCEDURE DIVISION.\n    OPEN OUTPUT INSIDE-FILE. MOVE \"in\" TO IN-REC. WRITE IN-REC. CLOSE INSIDE-FILE.\n"
              "    OPEN INPUT INSIDE-FILE. READ INSIDE-FILE. DISPLAY IN-REC. CLOSE INSIDE-FILE.\n"
              "    OPEN OUTPUT OUTSIDE-FILE.\n    IF WS-STATUS = \"00\"\n        MOVE \"x\" TO OUT-REC\n"
              "        WRITE OUT-REC\n        CLOSE OUTSIDE-FILE\n    END-IF.\n    STOP RUN.\n"),
    "nasm": ("section .data\ninside: db \"inside.txt\", 0\noutside: db \"@OUTSIDE@\", 0\ntext: db \"in\"\n"
             "section .bss\nbuf: resb 8\nsection .text\nglobal _start\n_start:\n"
             "  mov rax, 2\n  lea rdi, [rel inside]\n  mov rsi, 0x241\n  mov rdx, 420\n  syscall\n"
             "  mov rdi, rax\n  mov rax, 1\n  lea rsi, [rel text]\n  mov rdx, 2\n  syscall\n  mov rax, 3\n  syscall\n"
             "  mov rax, 2\n  lea rdi, [rel inside]\n  xor rsi, rsi\n  syscall\n"
             "  mov rdi, rax\n  xor rax, rax\n  lea rsi, [rel buf]\n  mov rdx, 8\n  syscall\n"
             "  mov rdx, rax\n  mov rax, 1\n  mov rdi, 1\n  lea rsi, [rel buf]\n  syscall\n"
             "  mov rax, 2\n  lea rdi, [rel outside]\n  mov rsi, 0x241\n  mov rdx, 420\n  syscall\n"
             "  mov rax, 60\n  xor rdi, rdi\n  syscall\n"),
    "lisp": "(with-open-file (o \"inside.txt\" :direction :output :if-exists :supersede) (write-string \"in\" o))\n"
            "(with-open-file (i \"inside.txt\") (write-line (read-line i)))\n(finish-output)\n"
            "(with-open-file (o \"@OUTSIDE@\" :direction :output :if-exists :supersede) (write-string \"x\" o))\n",
    "prolog": ":- initialization(main, main).\nmain :- open('inside.txt', write, O), write(O, in), close(O),\n"
              "  open('inside.txt', read, I), read_line_to_string(I, S), close(I), writeln(S), flush_output,\n"
              "  open('@OUTSIDE@', write, X), write(X, x), close(X).\n",
    "elixir": "File.write!(\"inside.txt\", \"in\")\nIO.puts(File.read!(\"inside.txt\"))\nFile.write!(\"@OUTSIDE@\", \"x\")\n",
    "erlang": "%% first line\nmain(_) ->\n  ok = file:write_file(\"inside.txt\", <<\"in\">>),\n"
              "  {ok, B} = file:read_file(\"inside.txt\"),\n  io:format(\"~s~n\", [B]),\n"
              "  file:write_file(\"@OUTSIDE@\", <<\"x\">>).\n",
}

_C_NETWORK = ('#include <stdio.h>\n#include <arpa/inet.h>\n#include <sys/socket.h>\n#include <unistd.h>\n'
              'int main(void){ int s = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in a = {0};\n'
              '  a.sin_family = AF_INET; a.sin_port = htons(@PORT@); a.sin_addr.s_addr = inet_addr("127.0.0.1");\n'
              '  puts(connect(s, (struct sockaddr *)&a, sizeof a) == 0 ? "connected" : "refused"); return 0; }\n')
_PY_NETWORK = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', @PORT@), timeout=2)\n    print('connected')\n"
               "except OSError as e:\n    print('refused', e)\n")
_JS_NETWORK = ("const s = net.connect(@PORT@, '127.0.0.1', () => { console.log('connected'); process.exit(0); });\n"
               "s.on('error', (e) => console.log('refused', String(e)));\n")
_JVM_NETWORK = "try { java.net.Socket(\"127.0.0.1\", @PORT@); println(\"connected\") } catch (e: Exception) { println(\"refused $e\") }"
_SH_NETWORK = "if (echo > /dev/tcp/127.0.0.1/@PORT@) 2>/dev/null; then echo connected; else echo refused; fi\n"

# Connects to 127.0.0.1:@PORT@, where the test listens on the host: prints "refused" (its own
# loopback has nothing there) and the host's listener never sees a connection.
NETWORK = {
    "python": _PY_NETWORK,
    "pypy": _PY_NETWORK,
    "javascript": "const net = require('net');\n" + _JS_NETWORK,
    "typescript": "import * as net from 'net';\n" + _JS_NETWORK,
    "c": _C_NETWORK, "c-clang": _C_NETWORK, "cpp": _C_NETWORK, "cpp-clang": _C_NETWORK,
    "java": "public class Main{public static void main(String[] a){\n  try { new java.net.Socket(\"127.0.0.1\", @PORT@);"
            " System.out.println(\"connected\"); }\n  catch (Exception e) { System.out.println(\"refused \" + e); } }}\n",
    "kotlin": "fun main() {\n  " + _JVM_NETWORK + "\n}\n",
    "scala": "object Main { def main(a: Array[String]): Unit =\n  try { new java.net.Socket(\"127.0.0.1\", @PORT@);"
             " println(\"connected\") }\n  catch { case e: Exception => println(\"refused \" + e) } }\n",
    "csharp": "class P { static void Main() {\n  try { new System.Net.Sockets.TcpClient(\"127.0.0.1\", @PORT@);"
              " System.Console.WriteLine(\"connected\"); }\n"
              "  catch (System.Exception e) { System.Console.WriteLine(\"refused \" + e.Message); } } }\n",
    "go": "package main\nimport (\n\t\"fmt\"\n\t\"net\"\n)\nfunc main() {\n\tif _, err := net.Dial(\"tcp\", \"127.0.0.1:@PORT@\"); err != nil {\n"
          "\t\tfmt.Println(\"refused\", err)\n\t} else {\n\t\tfmt.Println(\"connected\")\n\t}\n}\n",
    "rust": "fn main() {\n  match std::net::TcpStream::connect(\"127.0.0.1:@PORT@\") {\n"
            "    Ok(_) => println!(\"connected\"),\n    Err(e) => println!(\"refused {}\", e),\n  }\n}\n",
    "ruby": "require 'socket'\nbegin\n  TCPSocket.new('127.0.0.1', @PORT@)\n  puts 'connected'\nrescue => e\n  puts \"refused #{e}\"\nend\n",
    "php": "<?php $s = @fsockopen('127.0.0.1', @PORT@, $errno, $errstr, 2);\necho $s ? \"connected\\n\" : \"refused $errstr\\n\";\n",
    "perl": "use IO::Socket::INET;\nmy $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => @PORT@, Timeout => 2);\n"
            "print $s ? \"connected\\n\" : \"refused $@\\n\";\n",
    "lua": None,  # no socket library in Lua's standard install
    "bash": _SH_NETWORK,
    "multi-file": _SH_NETWORK,
    "r": "s <- tryCatch(socketConnection('127.0.0.1', @PORT@, timeout = 2), error = function(e) NULL,"
         " warning = function(w) NULL)\ncat(if (is.null(s)) 'refused\\n' else 'connected\\n')\n",
    "sqlite": None,  # SQL has no network
    "haskell": None,  # GHC's boot libraries have no sockets (the network package is not installed)
    "ocaml": None,  # sockets are in the unix library, which the compile line does not link
    "pascal": "program P;\nuses Sockets;\nvar s: longint; a: TInetSockAddr;\nbegin\n  s := fpSocket(AF_INET, SOCK_STREAM, 0);\n"
              "  a.sin_family := AF_INET; a.sin_port := htons(@PORT@); a.sin_addr := StrToNetAddr('127.0.0.1');\n"
              "  if fpConnect(s, @a, sizeof(a)) = 0 then writeln('connected') else writeln('refused');\nend.\n",
    "fortran": None,  # no sockets in Fortran
    "d": "import std.socket, std.stdio;\nvoid main() {\n  try { new TcpSocket(new InternetAddress(\"127.0.0.1\", @PORT@));"
         " writeln(\"connected\"); }\n  catch (Exception e) { writeln(\"refused \", e.msg); }\n}\n",
    "cobol": None,  # no sockets in COBOL
    "nasm": ("section .data\naddr: dw 2\n  db (@PORT@ >> 8) & 0xff, @PORT@ & 0xff\n  db 127, 0, 0, 1\n  dq 0\n"
             "yes: db \"connected\", 10\nno: db \"refused\", 10\nsection .text\nglobal _start\n_start:\n"
             "  mov rax, 41\n  mov rdi, 2\n  mov rsi, 1\n  xor rdx, rdx\n  syscall\n"
             "  mov rdi, rax\n  mov rax, 42\n  lea rsi, [rel addr]\n  mov rdx, 16\n  syscall\n"
             "  lea rsi, [rel no]\n  mov rdx, 8\n  test rax, rax\n  jnz report\n  lea rsi, [rel yes]\n  mov rdx, 10\n"
             "report:\n  mov rax, 1\n  mov rdi, 1\n  syscall\n  mov rax, 60\n  xor rdi, rdi\n  syscall\n"),
    "lisp": "(require :sb-bsd-sockets)\n(handler-case\n    (let ((s (make-instance 'sb-bsd-sockets:inet-socket :type :stream :protocol :tcp)))\n"
            "      (sb-bsd-sockets:socket-connect s #(127 0 0 1) @PORT@)\n      (write-line \"connected\"))\n"
            "  (error (e) (format t \"refused ~a~%\" e)))\n",
    "prolog": ":- use_module(library(socket)).\n:- initialization(main, main).\n"
              "main :- catch((tcp_connect('127.0.0.1':@PORT@, _, []), writeln(connected)), E,\n"
              "  (print_message(informational, E), writeln(refused))).\n",
    "elixir": "case :gen_tcp.connect({127, 0, 0, 1}, @PORT@, [], 2000) do\n  {:ok, _} -> IO.puts(\"connected\")\n"
              "  {:error, e} -> IO.puts(\"refused #{e}\")\nend\n",
    "erlang": "%% first line\nmain(_) ->\n  case gen_tcp:connect({127, 0, 0, 1}, @PORT@, [], 2000) of\n"
              "    {ok, _} -> io:format(\"connected~n\");\n    {error, E} -> io:format(\"refused ~p~n\", [E])\n  end.\n",
}

_C_PROCESSES = ('#include <stdio.h>\n#include <unistd.h>\nint main(void){ for (int n = 0; n < 500; n++) {\n'
                '  pid_t p = fork(); if (p < 0) { puts("stopped"); return 0; }\n'
                '  if (p == 0) { sleep(30); _exit(0); }\n  puts("+"); fflush(stdout); } return 0; }\n')
_PY_PROCESSES = ("import threading, time\ntry:\n    for _ in range(500):\n"
                 "        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n        print('+', flush=True)\n"
                 "except RuntimeError as e:\n    print('stopped', e)\n")
_JS_PROCESSES = ("let n = 0;\nfunction next(): void {\n  if (n >= 500) process.exit(0);\n"
                 "  const c = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });\n"
                 "  c.on('spawn', () => { n++; console.log('+'); next(); });\n"
                 "  c.on('error', (e: Error) => { console.log('stopped', e.message); process.exit(0); });\n}\nnext();\n")
_SH_PROCESSES = "for n in $(seq 500); do sleep 30 & echo +; done\n"

# Starts processes or threads that stay alive (each one prints a "+") until the process limit
# stops it: fewer than the limit ever run at once, and none outlives the run.
PROCESSES = {
    "python": _PY_PROCESSES,
    "pypy": _PY_PROCESSES,
    "javascript": "const { spawn } = require('child_process');\n" + _JS_PROCESSES.replace(": void", "").replace(": Error", ""),
    "typescript": "import { spawn } from 'child_process';\n" + _JS_PROCESSES,
    "c": _C_PROCESSES, "c-clang": _C_PROCESSES, "cpp": _C_PROCESSES, "cpp-clang": _C_PROCESSES,
    "java": "public class Main{public static void main(String[] a){\n  try { for (int i = 0; i < 500; i++) {\n"
            "    Thread t = new Thread(() -> { try { Thread.sleep(30000); } catch (InterruptedException e) {} });\n"
            "    t.setDaemon(true); t.start(); System.out.println(\"+\"); } }\n"
            "  catch (Throwable e) { System.out.println(\"stopped \" + e); } }}\n",
    "kotlin": "fun main() {\n  try { repeat(500) {\n    val t = Thread { Thread.sleep(30000) }\n"
              "    t.isDaemon = true; t.start(); println(\"+\") } }\n  catch (e: Throwable) { println(\"stopped $e\") }\n}\n",
    "scala": "object Main { def main(a: Array[String]): Unit =\n  try { for (_ <- 1 to 500) {\n"
             "    val t = new Thread(new Runnable { def run(): Unit = Thread.sleep(30000) })\n"
             "    t.setDaemon(true); t.start(); println(\"+\") } }\n"
             "  catch { case e: Throwable => println(\"stopped \" + e) } }\n",
    "csharp": "using System.Threading;\nclass P { static void Main() {\n  try { for (int i = 0; i < 500; i++) {\n"
              "    new Thread(() => Thread.Sleep(30000)) { IsBackground = true }.Start(); System.Console.WriteLine(\"+\"); } }\n"
              "  catch (System.Exception e) { System.Console.WriteLine(\"stopped \" + e.Message); } } }\n",
    "go": "package main\nimport (\n\t\"fmt\"\n\t\"os/exec\"\n)\nfunc main() {\n\tfor i := 0; i < 500; i++ {\n"
          "\t\tif err := exec.Command(\"/bin/sleep\", \"30\").Start(); err != nil {\n\t\t\tfmt.Println(\"stopped\", err)\n"
          "\t\t\treturn\n\t\t}\n\t\tfmt.Println(\"+\")\n\t}\n}\n",
    "rust": "fn main() {\n  for _ in 0..500 {\n    match std::thread::Builder::new().spawn(|| std::thread::sleep(std::time::Duration::from_secs(30))) {\n"
            "      Ok(_) => println!(\"+\"),\n      Err(e) => { println!(\"stopped {}\", e); return; }\n    }\n  }\n}\n",
    "ruby": "$stdout.sync = true\nbegin\n  500.times { Thread.new { sleep 30 }; puts '+' }\nrescue ThreadError => e\n"
            "  puts \"stopped #{e}\"\nend\n",
    "php": "<?php for ($i = 0; $i < 500; $i++) {\n  $p = @proc_open(['/bin/sleep', '30'], [], $pipes);\n"
           "  if ($p === false) { echo \"stopped\\n\"; exit(0); }\n  echo \"+\\n\";\n}\n",
    "perl": "$| = 1;\nfor (1 .. 500) {\n  my $p = fork();\n  if (!defined $p) { print \"stopped\\n\"; exit 0; }\n"
            "  if ($p == 0) { sleep 30; exit 0; }\n  print \"+\\n\";\n}\n",
    "lua": "for i = 1, 500 do\n  local ok, p = pcall(io.popen, 'exec sleep 30')\n  if not ok or not p then print('stopped') return end\n"
           "  print('+') io.stdout:flush()\nend\n",
    "bash": _SH_PROCESSES,
    "multi-file": _SH_PROCESSES,
    "r": "for (i in 1:500) {\n  p <- tryCatch(parallel::mcparallel(Sys.sleep(30)), error = function(e) NULL)\n"
         "  if (is.null(p)) { cat('stopped\\n'); break }\n  cat('+\\n')\n}\n",
    "sqlite": None,  # SQL starts no processes
    "haskell": "import System.Process\nimport Control.Exception\nimport Control.Monad\nimport System.IO\nmain :: IO ()\n"
               "main = do\n  hSetBuffering stdout LineBuffering\n"
               "  r <- try (forM_ [1 .. 500 :: Int] (\\_ -> spawnProcess \"/bin/sleep\" [\"30\"] >> putStrLn \"+\"))\n"
               "  case r of\n    Left e -> putStrLn (\"stopped \" ++ show (e :: SomeException))\n    Right _ -> return ()\n",
    "ocaml": "let () =\n  try for _ = 1 to 500 do\n    if Sys.command \"sleep 30 &\" <> 0 then failwith \"no fork\";\n"
             "    print_endline \"+\"; flush stdout done\n  with Failure _ -> print_endline \"stopped\"\n",
    "pascal": "program Spawner;\nuses BaseUnix, SysUtils;\nvar i: integer; p: TPid;\nbegin\n  for i := 1 to 500 do begin\n"
              "    p := fpFork;\n    if p < 0 then begin writeln('stopped'); halt(0); end;\n"
              "    if p = 0 then begin Sleep(30000); fpExit(0); end;\n    writeln('+'); flush(output);\n  end;\nend.\n",
    "fortran": None,  # execute_command_line(wait=.false.) does not report a failed fork
    "d": "import core.thread, std.stdio;\nimport core.time : seconds;\nvoid main() {\n  try { foreach (i; 0 .. 500) {\n"
         "    auto t = new Thread({ Thread.sleep(30.seconds); }); t.isDaemon = true; t.start(); writeln(\"+\"); stdout.flush(); } }\n"
         "  catch (Throwable e) { writeln(\"stopped \", e.msg); }\n}\n",
    "cobol": None,  # COBOL starts no processes of its own
    "nasm": ("section .data\nplus: db \"+\"\nsection .text\nglobal _start\n_start:\n  mov r12, 500\nagain:\n"
             "  mov rax, 57\n  syscall\n  test rax, rax\n  js done\n  jz child\n"
             "  mov rax, 1\n  mov rdi, 1\n  lea rsi, [rel plus]\n  mov rdx, 1\n  syscall\n  dec r12\n  jnz again\n"
             "done:\n  mov rax, 60\n  xor rdi, rdi\n  syscall\nchild:\n  mov rax, 34\n  syscall\n  jmp child\n"),
    "lisp": "(handler-case\n    (loop repeat 500 do (sb-thread:make-thread (lambda () (sleep 30))) (write-line \"+\") (finish-output))\n"
            "  (error (e) (format t \"stopped ~a~%\" e)))\n",
    "prolog": ":- initialization(main, main).\nmain :- catch(forall(between(1, 500, _),\n"
              "  (thread_create(sleep(30), _, [detached(true)]), writeln(+), flush_output)), E,\n"
              "  (print_message(informational, E), writeln(stopped))).\n",
    "elixir": "Enum.reduce_while(1..500, 0, fn _, n ->\n  try do\n"
              "    Port.open({:spawn_executable, \"/bin/sleep\"}, args: [\"30\"])\n    IO.puts(\"+\")\n    {:cont, n + 1}\n"
              "  rescue\n    e -> IO.puts(\"stopped #{inspect(e)}\")\n    {:halt, n}\n  end\nend)\n",
    "erlang": "%% first line\nmain(_) -> spawn_loop(500).\nspawn_loop(0) -> ok;\nspawn_loop(N) ->\n"
              "  try open_port({spawn_executable, \"/bin/sleep\"}, [{args, [\"30\"]}]) of\n"
              "    _ -> io:format(\"+~n\"), spawn_loop(N - 1)\n  catch _:E -> io:format(\"stopped ~p~n\", [E])\n  end.\n",
}
