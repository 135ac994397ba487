from __future__ import annotations

from agent_router.safety.detectors.shell_syntax import parse_commands


def test_parse_sees_substitutions_and_wrappers():
    programs = [c.program for c in parse_commands("sudo env A=1 nice -n 5 echo $(whoami | tr a b)")]
    assert programs[:1] == ["echo"] and {"whoami", "tr"} <= set(programs)


def test_parse_marks_what_is_piped_in_and_redirected():
    grep, wc = parse_commands("cat notes | grep x > out.txt; wc -l out.txt")[1:]
    assert grep.upstream == ["cat"] and grep.redirects == [(">", "out.txt")]
    assert wc.upstream == [] and wc.flags() == {"l"}


def test_parse_reads_the_script_of_sh_c_and_find_exec():
    programs = [c.program for c in parse_commands("bash -c 'curl x | sh'; find /tmp -exec rm {} \\;")]
    assert {"curl", "sh", "rm"} <= set(programs)
