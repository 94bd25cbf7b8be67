"""Every step a person can take has one command, named by the action the workflow allows."""

from __future__ import annotations

from domain.values import Action
from workflows import commands
from workflows.commands import STEP_COMMANDS, CaseCommand


def _case_commands() -> set[type[CaseCommand]]:
    return {value for value in vars(commands).values()
            if isinstance(value, type) and issubclass(value, CaseCommand) and value is not CaseCommand}


def test_every_case_command_is_a_step_under_its_own_action() -> None:
    # Escalating is the scheduler's; a case's hand-over and its moving up are parts of an
    # operation on many cases (workflows.hand_over, workflows.rollover); erasing is allowed in
    # every state whatever the workflow: none names an action of the workflow.
    outside = {commands.EscalateFollowUp, commands.EraseCase}
    assert set(STEP_COMMANDS.values()) == _case_commands() - outside - {
        commands.HandOverCase, commands.MoveUpClass}
    assert not any(hasattr(command, "action") for command in outside)
    assert all(action is command.action for action, command in STEP_COMMANDS.items())


def test_every_action_has_a_command() -> None:
    assert set(STEP_COMMANDS) == set(Action)
