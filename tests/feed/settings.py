"""Constants the feed's tests share (import them with `from .settings import ...`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the template repository
PROJECT = ROOT / "{{cookiecutter.project_slug}}"  # the team-repo template folder
KIT = ROOT / "kit" / "src"  # the course kit's source: the feed is capstone/feed/ in it
DOMAINS = ("churn", "credit_default", "house_prices")
