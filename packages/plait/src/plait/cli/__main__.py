"""``python -m plait.cli`` runs the ``plait`` command."""

from ._main import main

main()
