"""The log lines' helpers."""

from codearena.logs import shorten


def test_shorten_puts_a_program_on_one_short_line():
    assert shorten("print(1)\n\nprint( 2 )\n") == "print(1) print( 2 )"
    assert shorten("x" * 60) == "x" * 60
    assert shorten("x" * 61) == "x" * 57 + "..."


def test_shorten_reads_only_the_start_of_a_long_source():
    long_source = "int main() {\n" + "    x++;\n" * 20000 + "}\n"
    line = shorten(long_source)
    assert line.startswith("int main() { x++; x++;") and line.endswith("...") and len(line) == 60
    assert shorten(" " * 1000 + "tail") == "..."  # nothing but blank in the start: said to be cut
