import subprocess
import sys

from generec.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert "generec 0.1.0" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error_not_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "generec", "no-such-command"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "no-such-command" in proc.stderr


def test_help_lists_the_purpose():
    proc = subprocess.run([sys.executable, "-m", "generec", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert "generative recommendation" in proc.stdout
