from generec.cli import run

run()
