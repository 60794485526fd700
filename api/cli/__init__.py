"""The command-line room: `supervision …` (main.py) and the demo data it loads."""
