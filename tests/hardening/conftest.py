"""The controller fixtures (stand-in API server, controller process) for the fault tests."""

from tests.controller.conftest import apiserver, start_controller

__all__ = ["apiserver", "start_controller"]
